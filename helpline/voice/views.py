"""Missed calls and call-backs; call figures for supervisors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.audit.services import audit_record
from helpline.common.bounds import bound_settings
from helpline.contacts.services import caller_reveal
from helpline.voice import selectors, services
from helpline.voice.models import VoiceCall, VoiceSettings


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


class CallbackForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why call back?"), max_length=200)
    caller_asked = forms.BooleanField(label=gettext_lazy("The caller asked us to call back"), required=False)


class VoiceSettingsForm(forms.ModelForm[VoiceSettings]):
    class Meta:
        model = VoiceSettings
        fields = ["callbacks_allowed", "service_level_seconds", "short_abandon_seconds"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bound_settings(self)


@access(requires(Permission.CONSOLE))
@require_http_methods(["GET"])
def missed(request: HttpRequest) -> HttpResponse:
    since = timezone.now() - dt.timedelta(days=7)
    calls = list(selectors.missed_calls(since)[:200])
    audit_record(_staff(request), action="calls.missed_list", request=request)
    return render(
        request,
        "voice/missed.html",
        {
            "calls": calls,
            "settings": services.voice_settings(),
            "form": CallbackForm(),
        },
    )


@access(requires(Permission.CONSOLE))
@require_POST
def callback(request: HttpRequest, call_id: UUID) -> HttpResponse:
    staff = _staff(request)
    call = VoiceCall.objects.filter(contact_id=call_id).select_related("contact__caller").first()
    form = CallbackForm(request.POST)
    if call is None or not form.is_valid():
        return HttpResponse(_("This call-back cannot be made."), status=400)
    try:
        contact = services.callback_make(
            staff,
            missed=call,
            reason=form.cleaned_data["reason"],
            caller_asked=form.cleaned_data["caller_asked"],
        )
    except PermissionError:
        return HttpResponse(_("Call-backs are off: only when the caller asked for one."), status=403)
    except ValueError:
        return HttpResponse(_("The number was withheld: there is nobody to call back."), status=400)
    assert contact.caller is not None
    number = caller_reveal(
        staff, caller=contact.caller, reason=f"call-back: {form.cleaned_data['reason']}", request=request
    )
    messages.info(request, _("Call %(number)s now. Record the call in the console.") % {"number": number})
    return redirect("contacts:console_contact", contact_id=contact.pk)


@access(requires(Permission.WALLBOARD))
@require_http_methods(["GET", "POST"])
def figures(request: HttpRequest) -> HttpResponse:
    form = VoiceSettingsForm(request.POST or None, instance=services.voice_settings())
    if request.method == "POST":
        if form.is_valid():
            form.save()
            audit_record(_staff(request), action="voice_settings.update", request=request)
            return redirect("voice:figures")
        return render(request, "voice/figures.html", {"form": form}, status=400)
    by = "hour" if request.GET.get("by") == "hour" else "day"
    days = 1 if by == "hour" else 14
    end = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    total, buckets = selectors.call_figures(end - dt.timedelta(days=days), end, by=by)
    return render(request, "voice/figures.html", {"total": total, "buckets": buckets, "by": by, "form": form})
