"""Reads of reviews and debriefs, each from one selector. A review's scores and comment: the
counsellor reviewed and supervisors. A debrief's reason and notes: the counsellor and the supervisor
who held it; whoever may see the list (Permission.DEBRIEFS) sees only that one was asked for and held."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.accounts.principals import Principal
from helpline.contacts.models import Contact, Status, Urgency
from helpline.people.models import Criterion, Debrief, Distressing, Review
from helpline.rota.selectors import current_shift_of

# When the person is on no shift now, "this shift" is the last so many hours.
SHIFT_FALLBACK = dt.timedelta(hours=8)
HIGH_RISK = (Urgency.URGENT, Urgency.CRITICAL)


def reviews_visible_to(viewer: Principal) -> QuerySet[Review]:
    if not isinstance(viewer, Staff):
        return Review.objects.none()
    found = Review.objects.select_related("counsellor", "reviewer", "contact")
    if role_has(viewer.role, Permission.QUALITY_REVIEW):
        return found
    # A counsellor reads their own reviews once scored (a sampled one is not yet anything to read).
    return found.filter(counsellor=viewer, scored_at__isnull=False)


def access_review(viewer: Principal, review_id: Any) -> Review:
    found = reviews_visible_to(viewer).filter(pk=review_id).first()
    if found is None:
        raise Http404
    return found


def may_see_trends(viewer: Principal, counsellor: Staff) -> bool:
    return isinstance(viewer, Staff) and (
        viewer.pk == counsellor.pk or role_has(viewer.role, Permission.QUALITY_REVIEW)
    )


@dataclass(frozen=True)
class TrendRow:
    month: dt.date
    reviews: int
    by_criterion: list[tuple[Criterion, float | None]]


def review_trends(viewer: Principal, counsellor: Staff, months: int = 6) -> list[TrendRow]:
    """The counsellor's average score per criterion, month by month (newest first): theirs to read
    and their supervisors', nobody else's (404 alike)."""
    if not may_see_trends(viewer, counsellor):
        raise Http404
    since = timezone.now() - dt.timedelta(days=31 * months)
    criteria = list(Criterion.objects.all())
    rows = (
        Review.objects.filter(counsellor=counsellor, scored_at__gte=since)
        .annotate(month=TruncMonth("scored_at"))
        .values("month", "scores__criterion")
        .annotate(average=Avg("scores__score"), n=Count("id", distinct=True))
        .order_by("-month")
    )
    table: dict[dt.date, dict[Any, float]] = {}
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]
        table.setdefault(month, {})[row["scores__criterion"]] = round(float(row["average"]), 2)
    counts = dict(
        Review.objects.filter(counsellor=counsellor, scored_at__gte=since)
        .annotate(month=TruncMonth("scored_at"))
        .values_list("month")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {(m.date() if isinstance(m, dt.datetime) else m): n for m, n in counts.items()}
    return [
        TrendRow(month, counts.get(month, 0), [(c, averages.get(c.pk)) for c in criteria if c.pk in averages])
        for month, averages in sorted(table.items(), reverse=True)
    ]


def counsellors_reviewed() -> QuerySet[Staff]:
    return Staff.objects.filter(reviews__scored_at__isnull=False).distinct().order_by("username")


def debriefs_visible_to(viewer: Principal) -> QuerySet[Debrief]:
    if not isinstance(viewer, Staff):
        return Debrief.objects.none()
    found = Debrief.objects.select_related("counsellor", "held_by", "contact").annotate(
        # Asked for about a contact the counsellor marked distressing.
        after_distress=Exists(
            Distressing.objects.filter(counsellor=OuterRef("counsellor"), contact=OuterRef("contact"))
        )
    )
    if role_has(viewer.role, Permission.DEBRIEFS):
        return found
    return found.filter(counsellor=viewer)


def debrief_private_to(viewer: Principal, debrief: Debrief) -> bool:
    """Whether the viewer may read what the debrief was about and its notes."""
    return isinstance(viewer, Staff) and viewer.pk in {debrief.counsellor_id, debrief.held_by_id}


def debrief_contact_shown_to(viewer: Principal, debrief: Debrief) -> bool:
    """Whether the viewer may see which contact a debrief is about (and that it was marked
    distressing): the two people in it, and while nobody has held it yet, any supervisor who may
    hold it (so the request can be answered first); an administrator never."""
    if debrief_private_to(viewer, debrief):
        return True
    return (
        isinstance(viewer, Staff)
        and debrief.held_at is None
        and role_has(viewer.role, Permission.DEBRIEF_HOLD)
    )


def distressing_marked(staff: Staff, contact: Contact) -> bool:
    return Distressing.objects.filter(counsellor=staff, contact=contact).exists()


def access_debrief(viewer: Principal, debrief_id: Any) -> Debrief:
    found = debriefs_visible_to(viewer).filter(pk=debrief_id).first()
    if found is None:
        raise Http404
    return found


def shift_start(staff: Staff, now: dt.datetime | None = None) -> dt.datetime:
    now = now or timezone.now()
    shift = current_shift_of(staff, now)
    return shift.starts_at if shift is not None else now - SHIFT_FALLBACK


def high_risk_this_shift(staff: Staff, now: dt.datetime | None = None) -> int:
    """Contacts marked urgent or critical this person answered since their shift began."""
    now = now or timezone.now()
    return (
        Contact.objects.filter(
            Q(counsellor=staff) | Q(handlers=staff),
            urgency__in=HIGH_RISK,
            arrived_at__gte=shift_start(staff, now),
        )
        .distinct()
        .count()
    )


def last_closed_contact(staff: Staff) -> Contact | None:
    """The person's contact closed last, within this shift (or the last hours). Answered and
    handled are asked apart, each along its own index, and the later one kept: asked together
    (an OR across the handlers' join) PostgreSQL read every closed contact."""
    closed = Contact.objects.filter(
        status=Status.CLOSED,
        ended_at__gte=shift_start(staff),
        arrived_at__gte=timezone.now() - dt.timedelta(days=7),  # as my_recent_contacts()
    ).order_by("-ended_at")
    found = [c for c in (closed.filter(counsellor=staff).first(), closed.filter(handlers=staff).first()) if c]
    return max(found, key=lambda c: c.ended_at or c.arrived_at, default=None)


def my_recent_contacts(staff: Staff, days: int = 7) -> QuerySet[Contact]:
    """The contacts a debrief may be asked about: answered or handled by this person lately."""
    since = timezone.now() - dt.timedelta(days=days)
    mine = Contact.objects.filter(Q(counsellor=staff) | Q(handlers=staff), arrived_at__gte=since)
    return Contact.objects.filter(pk__in=mine.values("pk")).order_by("-arrived_at")
