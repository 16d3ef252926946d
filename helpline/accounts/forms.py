from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Role, Staff
from helpline.accounts.permissions import SCOPE_CHOICES
from helpline.accounts.services import EXTENSION_PATTERN, extension_clean
from helpline.common.bounds import WindowDateField


class SignInForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=64)
    password = forms.CharField(label=_("Password"), max_length=256, widget=forms.PasswordInput)


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("6-digit code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": _("Enter the 6 digits shown in your authenticator app.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip()


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, max_length=500)


class SignPolicyForm(forms.Form):
    agree = forms.BooleanField(
        label=_("I have read this Child Protection Policy and I agree to follow it."), required=True
    )


class StaffCreateForm(forms.Form):
    username = forms.SlugField(label=_("Username"), max_length=64)
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, initial="km")
    password = forms.CharField(label=_("First password (at least 12 characters)"), widget=forms.PasswordInput)

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"])
        if Staff.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken (capital letters do not make a new one)."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password"):
            candidate = Staff(username=data.get("username", ""), full_name=data.get("full_name", ""))
            try:
                validate_password(data["password"], user=candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class StaffEditForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class PoliceCheckForm(forms.Form):
    reference = forms.CharField(label=_("Certificate reference"), max_length=100, required=False)
    issued_on = WindowDateField(label=_("Issued on"), widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = WindowDateField(label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issued, expires = data.get("issued_on"), data.get("expires_on")
        if issued and expires and expires <= issued:
            self.add_error("expires_on", _("The expiry date must be after the issue date."))
        if issued and issued > dt.date.today() + dt.timedelta(days=1):
            self.add_error("issued_on", _("The issue date cannot be in the future."))
        return data


class TrainingForm(forms.Form):
    course = forms.CharField(label=_("Course"), max_length=200)
    completed_on = WindowDateField(label=_("Completed on"), widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = WindowDateField(
        label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PolicyVersionForm(forms.Form):
    version = forms.CharField(label=_("Version"), max_length=32)
    title = forms.CharField(label=_("Title"), max_length=200)
    effective_date = WindowDateField(
        label=_("Effective date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 16}))


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Integration name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    # A fresh key each time the form is drawn: posting it twice makes one token (api_token_create).
    once = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)


class ExtensionField(forms.CharField):
    def to_python(self, value: Any) -> str:
        return extension_clean(str(super().to_python(value)))


class ExtensionForm(forms.Form):
    extension = ExtensionField(
        label=_("Phone extension"),
        max_length=32,
        required=False,
        help_text=_("Calls answered on this extension are recorded as theirs. Leave empty to clear."),
        validators=[
            RegexValidator(
                f"^{EXTENSION_PATTERN.pattern}$",
                message=_("Use up to 32 letters or digits (and . _ -), as the phone system names it."),
            )
        ],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 8}),
    )
