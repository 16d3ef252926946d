"""Forms that parse what the referral pages send; the rules themselves live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.cases.models import Case
from helpline.contacts import taxonomy
from helpline.contacts.models import Vocabulary
from helpline.referrals.models import (
    PARTNER_MOVES,
    Consent,
    ReferralSettings,
    ReferralStatus,
    ReferralUrgency,
)
from helpline.referrals.sharing import SHAREABLE

BLANK: list[tuple[str, Any]] = [("", "—")]


ANY = "any"  # the province filter's value that widens the search to the whole country


class PartnerSearchForm(forms.Form):
    """Finding a partner: by service, where the child is, their age and words of a name. A
    province or age left empty is the case's own; "any province" and "any age" widen the search."""

    service = forms.ChoiceField(label=_("Service"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    age = forms.IntegerField(label=_("Age"), required=False, min_value=0, max_value=25)
    any_age = forms.BooleanField(label=_("Any age"), required=False)
    q = forms.CharField(label=_("Name or words"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = BLANK + taxonomy.choices(Vocabulary.SERVICE)  # type: ignore[attr-defined]
        self.fields["province"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            (ANY, _("Any province")),
            *taxonomy.choices(Vocabulary.PROVINCE),
        ]


class ReferForm(forms.Form):
    service = forms.ChoiceField(label=_("Service"))
    partner = forms.UUIDField(
        label=_("Partner"), error_messages={"required": _("Choose a partner from the list.")}
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=ReferralUrgency.choices, widget=forms.RadioSelect, initial="routine"
    )
    request = forms.CharField(
        label=_("What the partner is asked to do"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    shared_fields = forms.MultipleChoiceField(
        label=_("What the partner may see of the case"),
        required=False,
        choices=[(s.key, s.label) for s in SHAREABLE],
        widget=forms.CheckboxSelectMultiple,
    )
    consent = forms.ChoiceField(label=_("Consent"), choices=Consent.choices, widget=forms.RadioSelect)
    consent_note = forms.CharField(
        label=_("How consent was given"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confidentiality_break = forms.ChoiceField(label=_("Confidentiality break"), required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = BLANK + taxonomy.choices(Vocabulary.SERVICE)  # type: ignore[attr-defined]
        breaks = case.breaks.order_by("-disclosed_at")
        self.fields["confidentiality_break"].choices = BLANK + [  # type: ignore[attr-defined]
            (str(b.pk), f"{b.get_reason_display()} · {b.recipient} · {b.disclosed_at:%Y-%m-%d}")
            for b in breaks
        ]


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class AnswerForm(forms.Form):
    """A partner's answer given by phone or in person, recorded by the counsellor."""

    to = forms.ChoiceField(
        label=_("The partner"),
        choices=BLANK + [(s.value, s.label) for s in ReferralStatus if s in PARTNER_MOVES],
    )
    note = forms.CharField(
        label=_("How you heard, and what they said"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class ReferralSettingsForm(forms.ModelForm[ReferralSettings]):
    class Meta:
        model = ReferralSettings
        fields = [
            "acknowledge_working_days",
            "acknowledge_urgent_hours",
            "link_valid_days",
            "expire_after_days",
            "follow_up_after_delivery_days",
        ]
