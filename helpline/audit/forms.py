from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from helpline.common.bounds import WindowDateField


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=120)
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    record_type = forms.CharField(label=_("Record type"), required=False, max_length=64)
    record_id = forms.CharField(label=_("Record id"), required=False, max_length=64)
    date_from = WindowDateField(
        label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = WindowDateField(
        label=_("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
