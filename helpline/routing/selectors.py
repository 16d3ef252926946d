"""The queue in the order contacts should be answered (one order for the console's list, the
wallboard and the offers), and the figures of the supervisor wallboard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.contacts.models import Channel, Contact, Status, Urgency
from helpline.contacts.selectors import waiting_contacts
from helpline.routing import context
from helpline.routing.models import Presence, PresenceState, Triage

# Critical before urgent before the rest, whatever their scores: a counsellor's or triage's
# urgency is the first word on who is answered next.
URGENCY_RANK = Case(
    When(urgency=Urgency.CRITICAL, then=Value(0)),
    When(urgency=Urgency.URGENT, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def waiting_queue() -> QuerySet[Contact]:
    """Waiting contacts in the order they should be answered: urgency (critical first), then risk
    score, then the longest wait. Every list of the queue and every offer reads this order."""
    risk = Subquery(Triage.objects.filter(contact=OuterRef("pk")).values("score")[:1])
    return (
        waiting_contacts()
        .annotate(urgency_rank=URGENCY_RANK, risk=Coalesce(risk, Value(0)))
        .order_by("urgency_rank", F("risk").desc(), "arrived_at", "id")
    )


def active_contacts() -> QuerySet[Contact]:
    """Contacts someone holds now, for supervisors to reassign: the most urgent first, then the
    longest held."""
    return (
        Contact.objects.filter(status=Status.ACTIVE)
        .select_related("counsellor")
        .annotate(urgency_rank=URGENCY_RANK)
        .order_by("urgency_rank", "answered_at", "id")
    )


@dataclass(frozen=True)
class Wallboard:
    waiting_by_channel: dict[str, int]
    waiting_total: int
    longest_wait_seconds: int
    presence_counts: dict[str, int]
    counsellors: list[tuple[Staff, PresenceState, int]]  # who, presence, active contacts
    active_total: int
    urgent_waiting: list[Contact]
    abandoned_today: int
    at: dt.datetime
    second_scorer_on: bool = True  # the context model of triage (helpline.routing.context)
    second_scorer_reason: str = ""
    second_scorer_starting: bool = False

    @property
    def longest_wait(self) -> str:
        minutes, seconds = divmod(self.longest_wait_seconds, 60)
        return f"{minutes}:{seconds:02d}"

    @property
    def waiting_by_channel_labelled(self) -> list[tuple[str, int]]:
        labels = dict(Channel.choices)
        return [(str(labels.get(code, code)), n) for code, n in self.waiting_by_channel.items()]

    @property
    def presence_labelled(self) -> list[tuple[str, int]]:
        labels = dict(PresenceState.choices)
        return [(str(labels.get(code, code)), n) for code, n in self.presence_counts.items()]


def wallboard(now: dt.datetime | None = None) -> Wallboard:
    now = now or timezone.now()
    waiting = list(waiting_queue()[:500])
    by_channel = {c.value: 0 for c in Channel}
    for contact in waiting:
        by_channel[contact.channel] = by_channel.get(contact.channel, 0) + 1
    longest = max((int((now - c.arrived_at).total_seconds()) for c in waiting), default=0)
    presences = list(Presence.objects.select_related("staff").filter(staff__is_active=True))
    counts = {state.value: 0 for state in PresenceState}
    for p in presences:
        counts[p.state] += 1
    active = dict(
        Contact.objects.filter(status=Status.ACTIVE)
        .values_list("counsellor")
        .annotate(n=Count("id"))
        .order_by()
    )
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    scorer = context.status(load=True)
    return Wallboard(
        waiting_by_channel=by_channel,
        waiting_total=len(waiting),
        longest_wait_seconds=longest,
        presence_counts=counts,
        counsellors=sorted(
            (
                (p.staff, PresenceState(p.state), int(active.get(p.staff_id, 0)))
                for p in presences
                if p.state != PresenceState.OFFLINE
            ),
            key=lambda row: row[0].username,
        ),
        active_total=sum(int(v) for v in active.values()),
        urgent_waiting=[c for c in waiting if c.urgency in (Urgency.URGENT, Urgency.CRITICAL)],
        abandoned_today=Contact.objects.filter(status=Status.ABANDONED, arrived_at__gte=start).count(),
        at=now,
        second_scorer_on=scorer.state == "on",
        second_scorer_reason=scorer.reason,
        second_scorer_starting=scorer.state == "not_loaded",
    )
