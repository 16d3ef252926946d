from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.operations.models import RetentionPolicy

PERIODS = ["non_data_contact_days", "contact_days", "closed_case_days", "message_text_days", "audit_days"]


class RetentionPolicyForm(forms.ModelForm[RetentionPolicy]):
    class Meta:
        model = RetentionPolicy
        fields = [*PERIODS, "enabled"]
        help_texts = {name: _("In days.") for name in PERIODS}

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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("number") and not data.get("case_number"):
            raise forms.ValidationError(_("Give a phone number or a case number."))
        return data


class DataRequestEraseForm(DataRequestFindForm):
    reason = forms.CharField(
        label=_("How the request was made and checked"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
    )
