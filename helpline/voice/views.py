"""Missed calls and call-backs; call figures for supervisors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.bounds import bound_settings
from helpline.contacts.selectors import follow_up_instructions
from helpline.voice import selectors, services
from helpline.voice.callbacks import CallbackRefused, callback_make, callback_reveal
from helpline.voice.models import VoiceCall, VoiceSettings


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


class CallbackForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why call back?"), max_length=200)
    caller_asked = forms.BooleanField(label=gettext_lazy("The caller asked us to call back"), required=False)
    safety_note_read = forms.BooleanField(
        label=gettext_lazy("I have read the safe-contact note and calling back is safe"), required=False
    )


class VoiceSettingsForm(forms.ModelForm[VoiceSettings]):
    class Meta:
        model = VoiceSettings
        fields = ["callbacks_allowed", "service_level_seconds", "short_abandon_seconds"]
        labels = {"callbacks_allowed": gettext_lazy("Missed callers may be called back without asking")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bound_settings(self)


REFUSALS = {
    "role": (403, gettext_lazy("Only a supervisor calls back: the number is not shown to counsellors.")),
    "policy": (403, gettext_lazy("Call-backs are off: only when the caller asked for one.")),
    "withheld": (400, gettext_lazy("The number was withheld: there is nobody to call back.")),
    "safety_note": (
        400,
        gettext_lazy("Read the safe-contact note first, and call back only if it is safe to."),
    ),
    "taken": (409, gettext_lazy("A colleague is calling this caller back already.")),
}


@access(requires(Permission.CONSOLE))
@require_http_methods(["GET"])
def missed(request: HttpRequest) -> HttpResponse:
    """Every console user sees when calls were missed; only those who may call back see the
    caller's safe-contact note and the call-back form (the number is theirs alone)."""
    staff = _staff(request)
    since = timezone.now() - dt.timedelta(days=7)
    calls = list(selectors.missed_calls(since).select_related("contact__caller")[:200])
    audit_record(staff, action=AuditAction.CALLS_MISSED_LIST, request=request)
    return render(
        request,
        "voice/missed.html",
        {
            "calls": calls,
            "settings": services.voice_settings(),
            "can_call_back": role_has(staff.role, Permission.CALL_BACK),
        },
    )


@access(requires(Permission.CALL_BACK))
@require_POST
def callback(request: HttpRequest, call_id: UUID) -> HttpResponse:
    staff = _staff(request)
    call = VoiceCall.objects.filter(contact_id=call_id).select_related("contact__caller").first()
    form = CallbackForm(request.POST)
    if call is None or not form.is_valid():
        return HttpResponse(_("This call-back cannot be made."), status=400)
    try:
        contact = callback_make(staff, missed=call, request=request, **form.cleaned_data)
    except CallbackRefused as refused:
        status, message = REFUSALS[refused.why]
        return HttpResponse(message, status=status)
    return redirect("voice:callback_number", contact_id=contact.pk)


@access(requires(Permission.CALL_BACK))
@require_http_methods(["GET"])
def callback_number(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    """The number to dial, for the one who made the call-back and while it is open; each showing
    is an audited reveal (the page is reached by a redirect, so a reload makes no second call-back)."""
    staff = _staff(request)
    found = selectors.access_callback(staff, contact_id)
    try:
        number = callback_reveal(staff, callback=found, request=request)
    except CallbackRefused as exc:
        raise Http404 from exc
    instructions = follow_up_instructions(staff, found.contact.caller)
    return render(
        request, "voice/callback.html", {"callback": found, "number": number, "instructions": instructions}
    )


@access(requires(Permission.WALLBOARD))
@require_http_methods(["GET", "POST"])
def figures(request: HttpRequest) -> HttpResponse:
    form = VoiceSettingsForm(request.POST or None, instance=services.voice_settings())
    if request.method == "POST":
        if form.is_valid():
            form.save()
            audit_record(_staff(request), action=AuditAction.VOICE_SETTINGS_UPDATE, request=request)
            return redirect("voice:figures")
        return render(request, "voice/figures.html", {"form": form}, status=400)
    by = "hour" if request.GET.get("by") == "hour" else "day"
    days = 1 if by == "hour" else 14
    end = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    total, buckets = selectors.call_figures(end - dt.timedelta(days=days), end, by=by)
    return render(request, "voice/figures.html", {"total": total, "buckets": buckets, "by": by, "form": form})
