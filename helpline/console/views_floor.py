"""The floor: presence, offers, assignment and the supervisor's wallboard."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.console.views import console_context, presence_panel
from helpline.contacts.intake import AssignRefused
from helpline.contacts.models import Contact, Status
from helpline.contacts.services import AlreadyTaken
from helpline.conversations.sending import sending_panel
from helpline.feedback import panels as feedback_panels
from helpline.people import panels as people_panels
from helpline.referrals.panels import overdue_referrals_panel
from helpline.rota import panels as rota_panels
from helpline.routing import queue
from helpline.routing.models import Offer, PresenceState
from helpline.routing.selectors import Wallboard, active_contacts, waiting_queue
from helpline.routing.selectors import wallboard as wallboard_figures
from helpline.voice.panels import calls_today_panel


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


@access(requires(Permission.CONSOLE))
@require_POST
def presence(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    state = request.POST.get("state", "")
    if state not in PresenceState.values:
        return HttpResponse(_("Unknown presence."), status=400)
    queue.presence_set(staff, state)
    queue.route()
    current = _uuid_or_none(request.POST.get("current", ""))  # the contact open in the console
    said = _("Your presence is now: %(state)s.") % {"state": PresenceState(state).label}
    if request.headers.get("HX-Request") == "true":
        # Only the presence box (and the offers in it) is redrawn: reloading the console would
        # empty the reply being typed. The live notice goes, as a reload emptied it.
        panel = presence_panel(request, staff)
        context = {"presence_panel": panel, "current_id": current or "", "said": said}
        return render(request, "console/_presence_changed.html", context)
    messages.success(request, said)
    if current is not None:
        return redirect("console:contact", contact_id=current)
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/console/") else "console:console")


def _uuid_or_none(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


@access(requires(Permission.CONSOLE))
@require_POST
def offer_accept(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    staff = _staff(request)
    contact = Contact.objects.filter(pk=contact_id, offer__staff=staff).first()
    if contact is None:
        return _offer_gone(request, staff, contact_id)
    try:
        queue.offer_accept(staff, contact)
    except AlreadyTaken:  # taken back between the two reads
        return _offer_gone(request, staff, contact_id)
    return redirect("console:contact", contact_id=contact.pk)


def _offer_gone(request: HttpRequest, staff: Staff, contact_id: UUID) -> HttpResponse:
    """Accept came after the offer ended: the console says why in its notice area (htmx swaps just
    that; helpline.js honours HX-Retarget on a 4xx), still answering 409."""
    if Contact.objects.filter(pk=contact_id, status=Status.WAITING).exists():
        notice = _(
            "This offer was taken back before you accepted it: a more urgent contact came first, or "
            "the offer ran out. The contact is waiting in the queue again."
        )
    else:
        notice = _("This offer has ended: someone else answered the contact, or it is over.")
    if getattr(request, "htmx", False):
        response = render(request, "console/_offer_notice.html", {"offer_notice": notice}, status=409)
        return reswap(retarget(response, "#offer-notice"), "outerHTML")
    context = console_context(request, staff, None) | {"offer_notice": notice}
    return render(request, "console/console.html", context, status=409)


@access(requires(Permission.CONSOLE))
@require_POST
def offer_decline(request: HttpRequest, contact_id: UUID) -> HttpResponse:
    staff = _staff(request)
    contact = Contact.objects.filter(pk=contact_id, offer__staff=staff).first()
    if contact is not None:
        queue.offer_decline(staff, contact)
    return redirect("console:console")


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
    contact = Contact.objects.filter(pk=contact_id, status=Status.WAITING).first()
    form = AssignForm(request.POST)
    if contact is None or not form.is_valid():
        return HttpResponse(_("This contact cannot be assigned to that person."), status=400)
    try:
        queue.assign(_staff(request), contact=contact, to=form.cleaned_data["to"])
    except AssignRefused:
        return HttpResponse(_("This contact cannot be assigned to that person."), status=400)
    messages.success(request, _("Assigned."))
    return redirect("console:wallboard")


# What this session's wallboard last showed (a digest of the contacts and people on it).
WALLBOARD_SHOWN = "wallboard_shown"


def _shown(figures: Wallboard, waiting: list[Contact], active: list[Contact]) -> str:
    """A digest of who is on the board: the waiting contacts (with their urgency and risk), those in
    progress (with their urgency and counsellor) and the counsellors (with presence and load). The
    clock and the counts of the day are left out."""
    rows = [f"c:{c.pk}:{c.urgency}:{getattr(c, 'risk', 0)}" for c in waiting]
    rows += [f"a:{c.pk}:{c.urgency}:{c.counsellor_id}" for c in active]
    rows += [f"s:{staff.pk}:{state}:{active}" for staff, state, active in figures.counsellors]
    return hashlib.sha256("|".join(rows).encode()).hexdigest()[:32]


@access(requires(Permission.WALLBOARD))
@require_http_methods(["GET"])
def wallboard(request: HttpRequest) -> HttpResponse:
    figures = wallboard_figures()
    waiting = list(waiting_queue().select_related("triage")[:50])
    # Audited when this session first sees the board and whenever what it shows changes, not at
    # every 5-second refresh: a shift on the wallboard was thousands of rows saying the same thing.
    active = list(active_contacts()[:100])
    shown = _shown(figures, waiting, active)
    if request.session.get(WALLBOARD_SHOWN) != shown:
        audit_record(
            _staff(request),
            action=AuditAction.WALLBOARD_VIEW,
            request=request,
            detail={"waiting": len(waiting)},
        )
        request.session[WALLBOARD_SHOWN] = shown
    template = "console/_wallboard.html" if getattr(request, "htmx", False) else "console/wallboard.html"
    return render(
        request,
        template,
        {
            "board": figures,
            "assign_form": AssignForm(),
            "waiting": waiting,
            "active": active,
            "calls_panel": calls_today_panel(),
            "sending_panel": sending_panel(),
            "feedback_risk_panel": feedback_panels.risk_unacknowledged_panel(_staff(request)),
            "on_shift_panel": rota_panels.on_shift_panel(
                {
                    staff.pk: (str(state.label), state == PresenceState.AVAILABLE)
                    for staff, state, _n in figures.counsellors
                }
            ),
            "shift_risk_panel": people_panels.shift_risk_panel(_staff(request)),
            "overdue_referrals_panel": overdue_referrals_panel(_staff(request)),
        },
    )


def offers_for(staff: Staff) -> list[Offer]:
    return list(Offer.objects.filter(staff=staff).select_related("contact"))
