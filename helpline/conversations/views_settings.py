"""Supervisors set how text channels behave: automatic replies, opening hours and holidays,
canned replies, and numbers blocked for abuse or floods."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.common.bounds import WindowDateField, bound_settings
from helpline.contacts.identity import AddressError, parse_address
from helpline.conversations.models import (
    BlockedAddress,
    BlockedKeyword,
    CannedReply,
    Holiday,
    OpeningPeriod,
    TextSettings,
)
from helpline.conversations.services import text_settings as load_text_settings
from helpline.conversations.settings_services import (
    UnknownEntry,
    canned_reply_retire,
    text_settings_add,
    text_settings_remove,
    text_settings_update,
)


class TextSettingsForm(forms.ModelForm[TextSettings]):
    class Meta:
        model = TextSettings
        fields = [
            "always_open",
            "first_reply_km",
            "first_reply_en",
            "closed_reply_km",
            "closed_reply_en",
            "idle_close_hours",
            "flood_per_minute",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in ["first_reply_km", "first_reply_en", "closed_reply_km", "closed_reply_en"]
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bound_settings(self)


class PeriodForm(forms.ModelForm[OpeningPeriod]):
    class Meta:
        model = OpeningPeriod
        fields = ["weekday", "opens", "closes"]
        widgets = {
            "opens": forms.TimeInput(attrs={"type": "time"}),
            "closes": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("opens") and data.get("closes") and data["closes"] <= data["opens"]:
            self.add_error("closes", _("Closing must come after opening."))
        return data


class HolidayForm(forms.ModelForm[Holiday]):
    class Meta:
        model = Holiday
        fields = ["date", "name", "reply_km", "reply_en"]
        field_classes = {"date": WindowDateField}
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "reply_km": forms.Textarea(attrs={"rows": 2}),
            "reply_en": forms.Textarea(attrs={"rows": 2}),
        }


class CannedForm(forms.ModelForm[CannedReply]):
    class Meta:
        model = CannedReply
        fields = ["title", "language", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}


class BlockForm(forms.Form):
    address = forms.CharField(label=gettext_lazy("Number or chat id"), max_length=320)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)

    def clean_address(self) -> str:
        try:
            return parse_address(str(self.cleaned_data["address"])).uri
        except AddressError as exc:
            raise forms.ValidationError(_("This is not a phone number or address we can read.")) from exc


class KeywordForm(forms.Form):
    keyword = forms.CharField(label=gettext_lazy("Word or phrase"), max_length=100)


FORMS: dict[str, type[forms.BaseForm]] = {
    "period": PeriodForm,
    "holiday": HolidayForm,
    "canned": CannedForm,
    "block": BlockForm,
    "keyword": KeywordForm,
}


@access(requires(Permission.SERVICE_SETTINGS))
@require_http_methods(["GET", "POST"])
def text_settings(request: HttpRequest) -> HttpResponse:
    staff = request.user
    assert isinstance(staff, Staff)
    current = text_settings_row = load_text_settings()
    bound: dict[str, forms.BaseForm] = {}
    status = 200
    if request.method == "POST":
        section = request.POST.get("section", "")
        if section == "settings":
            form = TextSettingsForm(request.POST, instance=load_text_settings())
            if form.is_valid():
                text_settings_update(staff, settings=text_settings_row, data=form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("conversations:settings")
            bound["settings"] = form
        elif section in FORMS:
            form2 = FORMS[section](request.POST)
            if form2.is_valid():
                text_settings_add(staff, section=section, data=form2.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("conversations:settings")
            bound[section] = form2
        elif section.startswith("delete-") or section == "retire-canned":
            try:
                if section == "retire-canned":
                    canned_reply_retire(staff, pk=request.POST.get("pk", ""))
                else:
                    text_settings_remove(staff, section=section[7:], pk=request.POST.get("pk", ""))
            except UnknownEntry:
                return HttpResponse(_("Unknown entry."), status=400)
            return redirect("conversations:settings")
        status = 400
    return render(
        request,
        "conversations/settings.html",
        {
            "settings_form": bound.get("settings") or TextSettingsForm(instance=current),
            "period_form": bound.get("period") or PeriodForm(),
            "holiday_form": bound.get("holiday") or HolidayForm(),
            "canned_form": bound.get("canned") or CannedForm(),
            "block_form": bound.get("block") or BlockForm(),
            "keyword_form": bound.get("keyword") or KeywordForm(),
            "keywords": BlockedKeyword.objects.order_by("keyword"),
            "periods": OpeningPeriod.objects.all(),
            "holidays": Holiday.objects.all(),
            "canned": CannedReply.objects.filter(is_active=True),
            "blocked": BlockedAddress.objects.select_related("blocked_by").order_by("-created_at")[:100],
        },
        status=status,
    )
