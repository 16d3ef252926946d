"""Presence, offers, assignment, the wallboard, and the risk signals supervisors maintain."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.services import audit_record
from helpline.common.bounds import bound_settings
from helpline.contacts.models import Contact, Status
from helpline.contacts.selectors import access_contact
from helpline.contacts.services import AlreadyTaken
from helpline.routing import marks, queue
from helpline.routing.models import Offer, PresenceState, RiskSignal, TriageMark, TriageVerdict
from helpline.routing.selectors import wallboard as wallboard_figures


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


@access(requires(Permission.CONSOLE))
@require_POST
def presence(request: HttpRequest) -> HttpResponse:
    state = request.POST.get("state", "")
    if state not in PresenceState.values:
        return HttpResponse(_("Unknown presence."), status=400)
    queue.presence_set(_staff(request), state)
    queue.route()
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/console/") else "contacts:console")


@access(requires(Permission.CONSOLE))
@require_POST
def offer_accept(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    staff = _staff(request)
    contact = Contact.objects.filter(pk=contact_id, offer__staff=staff).first()
    if contact is None:
        return HttpResponse(_("This offer has ended."), status=409)
    try:
        queue.offer_accept(staff, contact)
    except AlreadyTaken:
        return HttpResponse(_("Someone else has already answered this contact."), status=409)
    return redirect("contacts:console_contact", contact_id=contact.pk)


@access(requires(Permission.CONSOLE))
@require_POST
def offer_decline(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    staff = _staff(request)
    contact = Contact.objects.filter(pk=contact_id, offer__staff=staff).first()
    if contact is not None:
        queue.offer_decline(staff, contact)
    return redirect("contacts:console")


class AssignForm(forms.Form):
    to = forms.ModelChoiceField(
        queryset=Staff.objects.none(), label=_("Counsellor"), to_field_name="username"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only those who may take a contact now: never someone whose vetting lapsed.
        self.fields["to"].queryset = queue.may_take_contacts().order_by("username")  # type: ignore[attr-defined]


@access(requires(Permission.ASSIGN))
@require_POST
def assign(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    contact = Contact.objects.filter(pk=contact_id).exclude(status=Status.CLOSED).first()
    form = AssignForm(request.POST)
    if contact is None or not form.is_valid():
        return HttpResponse(_("This contact cannot be assigned to that person."), status=400)
    try:
        queue.assign(_staff(request), contact=contact, to=form.cleaned_data["to"])
    except queue.AssignRefused:
        return HttpResponse(_("This contact cannot be assigned to that person."), status=400)
    messages.success(request, _("Assigned."))
    return redirect("routing:wallboard")


@access(requires(Permission.WALLBOARD))
@require_http_methods(["GET"])
def wallboard(request: HttpRequest) -> HttpResponse:
    figures = wallboard_figures()
    audit_record(_staff(request), action="wallboard.view", request=request)
    template = "routing/_wallboard.html" if getattr(request, "htmx", False) else "routing/wallboard.html"
    return render(
        request,
        template,
        {
            "board": figures,
            "assign_form": AssignForm(),
            "waiting": list(queue.queue().select_related("triage")[:50]),
        },
    )


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


@access(requires(Permission.SERVICE_SETTINGS))
@require_http_methods(["GET", "POST"])
def risk_signals(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    editing = RiskSignal.objects.filter(code=request.GET.get("edit", "")[:50]).first()
    form = SignalForm(request.POST or None, instance=editing)
    status = 200
    if request.method == "POST":
        if "toggle" in request.POST:
            signal = RiskSignal.objects.filter(code=request.POST.get("toggle", "")[:50]).first()
            if signal is not None:
                with transaction.atomic():
                    signal.is_active = not signal.is_active
                    signal.save()
                    audit_record(
                        staff, action="risk_signal.toggle", record_type="risk_signal", record_id=signal.pk
                    )
            return redirect("routing:risk_signals")
        if form.is_valid():
            with transaction.atomic():
                saved = form.save()
                audit_record(staff, action="risk_signal.save", record_type="risk_signal", record_id=saved.pk)
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
            "can_approve": role_has(staff.role, Permission.CLIENT_DATA),
        },
        status=status,
    )


@access(requires(Permission.CONSOLE))
@require_POST
def triage_mark(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    """The counsellor holding a contact says its triage was too high or too low."""
    staff = _staff(request)
    contact = access_contact(staff, contact_id, for_write=True)
    verdict = request.POST.get("verdict", "")
    if verdict not in TriageVerdict.values:
        return HttpResponse(_("Choose too high or too low."), status=400)
    marks.triage_mark(staff, contact=contact, verdict=verdict)
    messages.success(request, _("Thank you: supervisors will review this triage."))
    return redirect("contacts:console_contact", contact_id=contact.pk)


@access(requires(Permission.SERVICE_SETTINGS))
@require_POST
def triage_mark_approve(request: HttpRequest, mark_id: UUID) -> HttpResponse:
    mark = TriageMark.objects.filter(pk=mark_id).first()
    if mark is None:
        return HttpResponse(_("This mark no longer exists."), status=404)
    try:
        marks.triage_mark_approve(_staff(request), mark=mark)
    except marks.NotAllowed:
        return HttpResponse(
            _("Only someone allowed to read children's messages may approve them."), status=403
        )
    messages.success(request, _("The child's words may now be exported with this mark."))
    return redirect("routing:risk_signals")


def offers_for(staff: Staff) -> list[Offer]:
    return list(Offer.objects.filter(staff=staff).select_related("contact"))
