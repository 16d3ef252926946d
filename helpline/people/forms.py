"""Forms that parse what the review and debrief pages send; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Role, Staff
from helpline.contacts.models import Channel, Contact
from helpline.people.models import SCORE_MAX, SCORE_MIN, Criterion
from helpline.people.services import SAMPLE_MAX

BLANK: list[tuple[str, Any]] = [("", "—")]


class SampleForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=BLANK + list(Channel.choices), required=False)
    counsellor = forms.ModelChoiceField(
        label=_("Counsellor"),
        queryset=Staff.objects.filter(role__in=[Role.COUNSELLOR, Role.VOLUNTEER, Role.SUPERVISOR]).order_by(
            "username"
        ),
        to_field_name="username",
        required=False,
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(label=_("How many"), min_value=1, max_value=SAMPLE_MAX, initial=5)


class ChooseForm(forms.Form):
    contact = forms.UUIDField(label=_("Contact reference (from the contact's page)"))


class ScoreForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the counsellor"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(n, str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]
        for criterion in criteria:
            self.fields[f"score_{criterion.code}"] = forms.TypedChoiceField(
                label=criterion.label, choices=choices, coerce=int, widget=forms.RadioSelect
            )
        self.order_fields([f"score_{c.code}" for c in criteria] + ["comment"])

    def scores(self) -> dict[str, int]:
        return {
            name.removeprefix("score_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("score_")
        }


def _contact_label(contact: Contact) -> str:
    return f"#{contact.short_id} {contact.get_channel_display()} {contact.arrived_at:%d/%m %H:%M}"


class DebriefRequestForm(forms.Form):
    contact = forms.ModelChoiceField(
        label=_("The contact it is about (if any)"), queryset=Contact.objects.none(), required=False
    )
    reason = forms.CharField(
        label=_("What you would like to talk about (only you and the supervisor who holds it read this)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, contacts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if contacts is not None:
            field = self.fields["contact"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = contacts
            field.label_from_instance = _contact_label  # type: ignore[method-assign,assignment]


class DebriefHoldForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes (only you and the counsellor read them)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CriterionForm(forms.Form):
    label_en = forms.CharField(label=_("English label"), max_length=200)
    label_km = forms.CharField(label=_("Khmer label"), max_length=200)
