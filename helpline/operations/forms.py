from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from helpline.operations.models import RetentionPolicy

PERIODS = [
    "non_data_contact_days",
    "contact_days",
    "closed_case_days",
    "message_text_days",
    "feedback_days",
    "audit_days",
]
# A hundred years: longer than any record needs keeping, and a limit a person can read (the
# database's own is 9,223,372,036,854,775,807, which is what a typo met before).
MAX_YEARS = 100
MAX_DAYS = MAX_YEARS * 365


class RetentionPolicyForm(forms.ModelForm[RetentionPolicy]):
    class Meta:
        model = RetentionPolicy
        fields = [*PERIODS, "enabled"]
        help_texts = {name: _("In days.") for name in PERIODS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        too_long = _("At most %(years)s years (%(days)s days).") % {"years": MAX_YEARS, "days": MAX_DAYS}
        for name in PERIODS:
            field = self.fields[name]
            field.widget.attrs["max"] = MAX_DAYS
            field.validators.append(MaxValueValidator(MAX_DAYS, message=too_long))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in PERIODS:
            if data.get(name) is not None and data[name] < 1:
                self.add_error(name, _("At least one day."))
        audit = data.get("audit_days")
        longest = max((data.get(n) or 0) for n in PERIODS if n != "audit_days")
        if audit is not None and audit < longest:
            self.add_error(
                "audit_days", _("The audit trail is kept longest: at least as long as every other record.")
            )
        return data


class LegalHoldForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class DataRequestFindForm(forms.Form):
    number = forms.CharField(label=_("Phone number the person used"), max_length=32, required=False)
    case_number = forms.CharField(label=_("or a case number"), max_length=16, required=False)
    # The address they wrote from or asked a reply at (feedback by the web form or by email).
    email = forms.EmailField(label=_("or an email address"), max_length=254, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "email" in self.errors:  # a mistyped address: its own error says so
            return data
        if not data.get("number") and not data.get("case_number") and not data.get("email"):
            raise forms.ValidationError(_("Give a phone number, a case number or an email address."))
        return data


class DataRequestEraseForm(DataRequestFindForm):
    reason = forms.CharField(
        label=_("How the request was made and checked"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown below the look-up form, with the same fields: its own ids keep each label on its field.
        kwargs.setdefault("auto_id", "id_erase_%s")
        super().__init__(*args, **kwargs)
