"""The risk signals supervisors maintain, and counsellors' marks on a triage."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.common.bounds import bound_settings
from helpline.common.errors import bad_request_saying
from helpline.common.redirects import local_path
from helpline.common.text import NotAnIdentifier, lookup_key
from helpline.contacts.selectors import access_contact
from helpline.routing import marks
from helpline.routing.models import RiskSignal, TriageMark, TriageVerdict
from helpline.routing.panels import triage_panel
from helpline.routing.signal_settings import (
    PHRASE_FIELDS,
    risk_signal_save,
    risk_signal_toggle,
    signal_problems,
)


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


class SignalForm(forms.ModelForm[RiskSignal]):
    class Meta:
        model = RiskSignal
        fields = ["code", "label_km", "label_en", "phrases_km", "phrases_en", "exclusions", "weight"]
        widgets = {
            "phrases_km": forms.Textarea(attrs={"rows": 5, "lang": "km"}),
            "phrases_en": forms.Textarea(attrs={"rows": 4}),
            "exclusions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bound_settings(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The service's rule (signal_settings.signal_problems), said under each field; not while a
        # field is refused for itself (too long): its words are then missing from `data`.
        if not any(self.has_error(name) for name in (*PHRASE_FIELDS, "exclusions")):
            for name, problems in signal_problems(data).items():
                self.add_error(name, problems)
        return data


@access(requires(Permission.SERVICE_SETTINGS))
@require_http_methods(["GET", "POST"])
def risk_signals(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    try:
        edit = lookup_key(request.GET.get("edit", ""), limit=50)
        toggle = lookup_key(request.POST.get("toggle", ""), limit=50)
    except NotAnIdentifier:
        return bad_request_saying(request, _("No risk signal has this code."))
    editing = RiskSignal.objects.filter(code=edit).first() if edit else None
    form = SignalForm(request.POST or None, instance=editing)
    status = 200
    if request.method == "POST":
        if "toggle" in request.POST:
            risk_signal_toggle(staff, code=toggle)
            return redirect("routing:risk_signals")
        if form.is_valid():
            risk_signal_save(staff, signal=editing, data=form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("routing:risk_signals")
        status = 400
    return render(
        request,
        "routing/risk_signals.html",
        {
            "form": form,
            "signals": RiskSignal.objects.all(),
            "editing": editing,
            "marks": marks.mark_counts(),
            "recent_marks": marks.recent_marks(),
            "can_approve": marks.may_read_messages(staff),
        },
        status=status,
    )


@access(requires(Permission.CONSOLE))
@require_POST
def triage_mark(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    """Someone who may write a contact says its triage was too high or too low: at the console, or
    from its record page once it is closed. The access rule and for_write are marks.may_mark, the
    rule by which either page offers the buttons."""
    staff = _staff(request)
    contact = access_contact(staff, contact_id, for_write=True)
    verdict = request.POST.get("verdict", "")
    if verdict == "withdraw":
        said = _("Your mark on this triage is withdrawn.")
        if not marks.triage_mark_withdraw(staff, contact=contact):
            said = ""
    elif verdict in TriageVerdict.values:
        marks.triage_mark(staff, contact=contact, verdict=verdict)
        said = (
            _("Marked: it is counted with the others on the Risk signals page.")
            if marks.may_read_messages(staff)  # a reviewer marking: nobody else reviews it
            else _("Thank you: supervisors will review this triage.")
        )
    else:
        return HttpResponse(_("Choose too high or too low."), status=400)
    back = local_path(request, request.POST.get("next")) or ""
    if request.headers.get("HX-Request") == "true":
        # Only the triage box is redrawn: reloading the console would empty the reply being typed.
        panel = triage_panel(contact, staff, back=back)
        return render(request, panel.template, {**panel.context, "said": said})
    if said:
        messages.success(request, said)
    # Back to the page it was marked on (a closed contact's record page); else the console's page
    # of the contact, which sends a closed one to its record page.
    return redirect(back or reverse("console:contact", kwargs={"contact_id": contact.pk}))


@access(requires(Permission.TRIAGE_REVIEW))
@require_POST
def triage_mark_approve(request: HttpRequest, mark_id: UUID) -> HttpResponse:
    return _text_decide(request, mark_id, approve=True)


@access(requires(Permission.TRIAGE_REVIEW))
@require_POST
def triage_mark_refuse(request: HttpRequest, mark_id: UUID) -> HttpResponse:
    return _text_decide(request, mark_id, approve=False)


def _text_decide(request: HttpRequest, mark_id: UUID, *, approve: bool) -> HttpResponse:
    mark = TriageMark.objects.filter(pk=mark_id).first()
    if mark is None:
        return HttpResponse(_("This mark no longer exists."), status=404)
    if approve:
        gloss = request.POST.get("gloss", "")[: marks.GLOSS_LIMIT * 2]
        try:
            marks.triage_mark_approve(
                _staff(request),
                mark=mark,
                gloss=gloss,
                topic=request.POST.get("topic", "")[:32],
                lang=request.POST.get("lang", "")[:8],
            )
        except marks.Incomplete as refused:
            return bad_request_saying(request, str(refused))
        messages.success(request, _("The child's words may now be exported with this mark."))
    else:
        marks.triage_mark_refuse(_staff(request), mark=mark)
        messages.success(request, _("The child's words of this mark will not be exported."))
    return redirect("routing:risk_signals")
