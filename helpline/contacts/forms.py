"""Forms for coding a contact. The API validates through the same forms, so a field is refused
for the same reason, with the same name, on every path."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpline.common.bounds import EventTimeField
from helpline.contacts import taxonomy
from helpline.contacts.identity import AddressError, is_withheld, parse_address
from helpline.contacts.models import (
    DATA_KINDS,
    NON_COUNSELLING_REASON,
    Channel,
    Direction,
    Kind,
    Language,
    Urgency,
    Vocabulary,
)

SUMMARY_MAX = 10_000
BLANK = [("", "—")]

SINGLE_TERMS = {
    "caller_type": Vocabulary.CALLER_TYPE,
    "relationship": Vocabulary.RELATIONSHIP,
    "gender": Vocabulary.GENDER,
    "province": Vocabulary.PROVINCE,
    "region": Vocabulary.REGION,
    "living_situation": Vocabulary.LIVING_SITUATION,
    "disability": Vocabulary.DISABILITY,
}
MULTI_TERMS = {
    "vulnerable_groups": Vocabulary.VULNERABLE_GROUP,
    "actions": Vocabulary.ACTION,
}
# What a non-data contact (silent, hang-up, prank ...) does not carry: it is counted, nothing more.
CODING_FIELDS = (*SINGLE_TERMS, *MULTI_TERMS, "reasons", "age", "age_over_25", "urgency")
CLASSIFICATION_FIELDS = [
    "kind", "language", "caller_type", "relationship", "gender", "age", "age_over_25", "province",
    "region", "living_situation", "disability", "vulnerable_groups", "reasons", "urgency", "actions",
    "summary",
]  # fmt: skip


def optional_address(value: object) -> str:
    """A normalised address URI, "" for withheld or empty; a form error for anything unreadable."""
    raw = str(value or "")
    if is_withheld(raw):
        return ""
    try:
        return parse_address(raw).uri
    except AddressError as exc:
        raise forms.ValidationError(_("This is not a phone number or address we can read.")) from exc


class ClassificationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of contact"), choices=Kind.choices)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, required=False)
    caller_type = forms.ChoiceField(label=_("Who is contacting"), required=False)
    relationship = forms.ChoiceField(label=_("Relationship to the child"), required=False)
    gender = forms.ChoiceField(label=_("Gender"), required=False)
    age = forms.IntegerField(label=_("Age"), min_value=0, max_value=25, required=False)
    age_over_25 = forms.BooleanField(label=_("Over 25"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)
    region = forms.ChoiceField(label=_("City, town or rural"), required=False)
    living_situation = forms.ChoiceField(label=_("Living situation"), required=False)
    disability = forms.ChoiceField(label=_("Disability"), required=False)
    vulnerable_groups = forms.MultipleChoiceField(
        label=_("Vulnerable groups"), required=False, widget=forms.CheckboxSelectMultiple
    )
    reasons = forms.MultipleChoiceField(
        label=_("Reasons for contact"), required=False, widget=forms.CheckboxSelectMultiple
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=BLANK + list(Urgency.choices), required=False)
    actions = forms.MultipleChoiceField(
        label=_("Actions taken"), required=False, widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(
        label=_("Summary"), required=False, max_length=SUMMARY_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, vocabulary in SINGLE_TERMS.items():
            self.fields[name].choices = BLANK + taxonomy.choices(vocabulary)  # type: ignore[attr-defined]
        for name, vocabulary in MULTI_TERMS.items():
            self.fields[name].choices = taxonomy.choices(vocabulary)  # type: ignore[attr-defined]
        self.fields["reasons"].choices = taxonomy.reason_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("age") is not None and data.get("age_over_25"):
            self.add_error("age", _("Give an age of 0 to 25, or tick 'over 25', not both."))
        if data.get("kind") == Kind.COUNSELLING and not data.get("reasons"):
            self.add_error("reasons", _("A counselling contact needs at least one reason for contact."))
        if data.get("caller_type") != "about_child":
            data["relationship"] = ""
        if data.get("kind") and data["kind"] not in DATA_KINDS:
            # A non-data contact carries no coding: it is counted, nothing more.
            data.update(dict.fromkeys(SINGLE_TERMS, ""))
            data.update({name: [] for name in [*MULTI_TERMS, "reasons"]})
            data.update(age=None, age_over_25=False, urgency="")
            if data["kind"] in NON_COUNSELLING_REASON:  # a complaint counts under CHI's own reason
                data["reasons"] = [NON_COUNSELLING_REASON[data["kind"]]]
        return data


class ContactEntryForm(ClassificationForm):
    """A contact entered after the fact: a walk-in, an email, a call taken away from the console."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, initial=Direction.INBOUND)
    address = forms.CharField(
        label=_("Phone number or address (optional)"),
        required=False,
        max_length=320,
        help_text=_("For example 012 345 678, or email:name@example.org. Leave empty if unknown."),
    )
    arrived_at = EventTimeField(
        label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=0, max_value=24 * 60, required=False
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)

    def clean_address(self) -> str:
        return optional_address(self.cleaned_data.get("address"))

    def clean_arrived_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["arrived_at"]
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("The contact cannot be in the future."))
        return value


class StartContactForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.VOICE)
    address = forms.CharField(label=_("Phone number (optional)"), required=False, max_length=320)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)

    def clean_address(self) -> str:
        return optional_address(self.cleaned_data.get("address"))


class CorrectionForm(ClassificationForm):
    reason = forms.CharField(label=_("Why is this being corrected?"), max_length=500)


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("Why do you need the number?"), max_length=500)


class SafetyNoteForm(forms.Form):
    safety_note = forms.CharField(
        label=_("Safe-contact note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
