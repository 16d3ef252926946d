"""Routing's panels for the console: presence and offers, and a contact's triage explained."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.common.panels import Panel
from helpline.contacts.models import Channel, Contact
from helpline.routing.marks import may_mark
from helpline.routing.models import Presence, PresenceState, RiskSignal, Triage, TriageMark
from helpline.routing.selectors import waiting_queue
from helpline.routing.triage import routing_settings


@dataclass(frozen=True)
class OfferRow:
    """One offer as the counsellor sees it: the contact (with waiting_queue()'s urgency and risk),
    how long it has waited, and the child's first words when the console may show them."""

    contact: Contact
    waited_minutes: int
    preview: str = ""


def offered_to(staff: Staff) -> list[Contact]:
    """The contacts offered to this counsellor now, head of the queue first: the order they are
    shown in, and the first is what Alt+A accepts."""
    return list(waiting_queue().filter(offer__staff=staff))


def presence_panel(
    staff: Staff, *, offered: list[Contact] | None = None, previews: Mapping[UUID, str] | None = None
) -> Panel:
    """`offered`: offered_to(staff) when the caller has read it already; `previews`: the first
    words of those the console may show (helpline.conversations.previews)."""
    # Reads only: offers are made and expired by the scheduler (routing/jobs.py), and someone who
    # never set a presence is shown offline without a row being made for them.
    presence = Presence.objects.filter(staff=staff).first() or Presence(staff=staff, since=timezone.now())
    now = timezone.now()
    rows = [
        OfferRow(c, max(0, int((now - c.arrived_at).total_seconds()) // 60), (previews or {}).get(c.pk, ""))
        for c in (offered_to(staff) if offered is None else offered)
    ]
    return Panel(
        "routing/_console_panel.html",
        {
            "presence": presence,
            "states": PresenceState.choices,
            "offers": rows,
            # Set Away because offers ran out: said until they choose a presence again.
            "missed_offers": presence.missed_offers if presence.state == PresenceState.AWAY else 0,
        },
    )


def triage_panel(contact: Contact, staff: Staff | None = None, *, back: str = "") -> Panel:
    """The contact's score explained: each scorer, what it added and why; and, for those who may
    mark it (marks.may_mark: the counsellor holding the contact, those who handled it once closed,
    supervisors), a way to say the triage was wrong. `back`: the page a mark returns to without
    script; none, the console's page of the contact."""
    triage = Triage.objects.filter(contact=contact).prefetch_related("signals").first()
    labels = {s.code: s.label for s in RiskSignal.objects.all()}
    signal_parts, model = [], None
    if triage is not None:
        given = (triage.explanation or {}).get("signals")
        if given is None:  # scored before points were kept per signal
            given = {s.code: s.weight for s in triage.signals.all()}
        signal_parts = [(labels.get(code, code), points) for code, points in given.items()]
        part: dict[str, Any] = dict(triage.model_part)
        if part.get("points"):
            model = {
                "percent": round(float(str(part.get("probability", 0))) * 100),
                "points": part.get("points"),
                "words": part.get("words") or [],
                "nearest": [
                    {
                        "gloss": n.get("gloss", ""),
                        "text": n.get("text", ""),
                        "label": labels.get(n.get("topic", ""), n.get("topic", "")),
                    }
                    for n in (part.get("nearest") or [])
                    if isinstance(n, dict)
                ],
            }
    mark = TriageMark.objects.filter(contact=contact, staff=staff).first() if staff is not None else None
    return Panel(
        "routing/_triage.html",
        {
            "contact": contact,
            "triage": triage,
            "signal_parts": signal_parts,
            "model": model,
            "high_risk_score": routing_settings().high_risk_score,
            "can_mark": staff is not None and may_mark(staff, contact),
            "back": back,
            "is_text": contact.channel in (Channel.SMS, Channel.WEBCHAT),
            "mark": mark,
        },
    )


def triage_record_panel(viewer: Staff, contact: Contact) -> Panel | None:
    """The triage box on a contact's record page (contacts.selectors.RECORD_PANELS), where a
    counsellor who sees a wrong triage only after the contact closed can still mark it. Shown to
    those who work the console, as it is there: the box names the words that weighed most, and
    someone who never reads a child's conversation (an administrator, a case manager) is not shown
    it."""
    if not role_has(viewer.role, Permission.CONSOLE):
        return None
    return triage_panel(contact, viewer, back=reverse("contacts:detail", kwargs={"contact_id": contact.pk}))
