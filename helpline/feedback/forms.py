"""Forms of feedback's pages: the public form (no account) and the staff's forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.feedback.models import Answer, FeedbackKind, Question, Severity, State, Subject
from helpline.feedback.services import MAX_RESPONSE, MAX_TEXT

PUBLIC_MAX_TEXT = 2000
PUBLIC_MAX_SUBJECT_WORDS = 200

PUBLIC_SUBJECTS = [
    (Subject.HELPLINE.value, _("The helpline 1280")),
    (Subject.STAFF.value, _("A counsellor or another staff member")),
    (Subject.PARTNER.value, _("An organisation we sent you to")),
]


class PublicFeedbackForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Is this a complaint or other feedback?"),
        choices=FeedbackKind.choices,
        widget=forms.RadioSelect,
        initial=FeedbackKind.FEEDBACK,
    )
    subject = forms.ChoiceField(
        label=_("What is it about?"),
        choices=PUBLIC_SUBJECTS,
        widget=forms.RadioSelect,
        initial=Subject.HELPLINE,
    )
    subject_words = forms.CharField(
        label=_("Who or which organisation? (if you know)"),
        max_length=PUBLIC_MAX_SUBJECT_WORDS,
        required=False,
    )
    text = forms.CharField(
        label=_("Your message"), max_length=PUBLIC_MAX_TEXT, widget=forms.Textarea(attrs={"rows": 6})
    )
    name = forms.CharField(label=_("Your name (you may leave it out)"), max_length=100, required=False)
    email = forms.EmailField(
        label=_("Email address, if you would like an answer"), max_length=200, required=False
    )
    # Left empty by people; a robot filling every field gives itself away (shown to no one).
    website = forms.CharField(required=False, max_length=200, label=_("Leave this empty"))


class StaffFeedbackForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=FeedbackKind.choices)
    subject = forms.ChoiceField(label=_("About"), choices=Subject.choices)
    subject_staff = forms.CharField(label=_("Staff member (username)"), max_length=150, required=False)
    subject_partner = forms.UUIDField(label=_("Partner"), required=False, widget=forms.HiddenInput)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    text = forms.CharField(
        label=_("What was said"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5})
    )
    contact = forms.UUIDField(required=False, widget=forms.HiddenInput)
    reply_email = forms.EmailField(
        label=_("Email for the answer (if wanted)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, partners: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if partners is not None:
            self.fields["subject_partner"] = forms.ChoiceField(
                label=_("Partner"), choices=[("", "—"), *partners], required=False
            )


class TriageForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    subject = forms.ChoiceField(label=_("About"), choices=Subject.choices)
    subject_staff = forms.ChoiceField(label=_("Staff member"), required=False)
    subject_partner = forms.ChoiceField(label=_("Partner"), required=False)

    def __init__(
        self,
        *args: Any,
        owners: list[tuple[str, str]],
        staff: list[tuple[str, str]],
        partners: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "—"), *owners]  # type: ignore[attr-defined]
        self.fields["subject_staff"].choices = [("", "—"), *staff]  # type: ignore[attr-defined]
        self.fields["subject_partner"].choices = [("", "—"), *partners]  # type: ignore[attr-defined]


class AdvanceForm(forms.Form):
    state = forms.ChoiceField(choices=State.choices)
    note = forms.CharField(
        label=_("Note"), max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    response = forms.CharField(
        label=_("Response given"),
        max_length=MAX_RESPONSE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SettingsForm(forms.Form):
    acknowledge_days = forms.IntegerField(label=_("Acknowledge within (days)"), min_value=1, max_value=60)
    respond_days = forms.IntegerField(label=_("Respond within (days)"), min_value=1, max_value=120)
    sms_keywords = forms.CharField(
        label=_("SMS keywords (Khmer and English, separated by spaces)"), max_length=300, required=False
    )
    survey_enabled = forms.BooleanField(label=_("Ask the short survey after a chat or SMS"), required=False)
    survey_helpful = forms.BooleanField(label=Question.HELPFUL.label, required=False)
    survey_heard = forms.BooleanField(label=Question.HEARD.label, required=False)
    survey_again = forms.BooleanField(label=Question.AGAIN.label, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("respond_days")
            and data.get("acknowledge_days")
            and data["respond_days"] < data["acknowledge_days"]
        ):
            self.add_error("respond_days", _("The response cannot be due before the acknowledgement."))
        return data


class SurveyForm(forms.Form):
    def __init__(self, *args: Any, questions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in questions:
            self.fields[question] = forms.ChoiceField(
                label=Question(question).label,
                choices=Answer.choices,
                widget=forms.RadioSelect,
                required=False,
            )
