"""Reads of the rota: the days ahead with their gaps, who is on shift now, a person's shifts,
the swaps and lapse warnings waiting for a supervisor. The rota holds staff names, no client data:
whoever may see it (Permission.ROTA) sees all of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.rota.models import Assignment, LapseWarning, Shift, ShiftPattern, Swap, SwapStatus

ROTA_DAYS = 14


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def shifts_between(start: dt.datetime, end: dt.datetime) -> QuerySet[Shift]:
    """Shifts overlapping [start, end), each with its people and how many they are."""
    return (
        Shift.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .annotate(staffed=Count("assignments"))
        .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.select_related("staff")))
        .order_by("starts_at", "role")
    )


def is_gap(shift: Shift) -> bool:
    staffed = getattr(shift, "staffed", None)
    if staffed is None:
        staffed = shift.assignments.count()
    return int(staffed) < shift.minimum


def is_open_gap(shift: Shift, now: dt.datetime | None = None) -> bool:
    """A gap still to fill: below its minimum and not yet over (a past shift is history)."""
    return shift.ends_at > (now or timezone.now()) and is_gap(shift)


@dataclass(frozen=True)
class RotaDay:
    day: dt.date
    shifts: list[Shift]

    @property
    def gaps(self) -> int:
        return sum(1 for s in self.shifts if getattr(s, "open_gap", False))


def rota_days(start: dt.date | None = None, days: int = ROTA_DAYS) -> list[RotaDay]:
    """The rota from `start` (today) for `days` days, by the day each shift starts."""
    start = start or timezone.localdate()
    shifts = list(shifts_between(_start_of(start), _start_of(start + dt.timedelta(days=days))))
    by_day: dict[dt.date, list[Shift]] = {start + dt.timedelta(days=i): [] for i in range(days)}
    now = timezone.now()
    for shift in shifts:
        shift.open_gap = is_open_gap(shift, now)  # type: ignore[attr-defined]
        day = timezone.localtime(shift.starts_at).date()
        by_day.setdefault(day, []).append(shift)
    return [RotaDay(day, found) for day, found in sorted(by_day.items()) if start <= day]


def gaps_ahead(start: dt.date | None = None, days: int = ROTA_DAYS) -> list[Shift]:
    return [s for d in rota_days(start, days) for s in d.shifts if getattr(s, "open_gap", False)]


def on_shift_now(now: dt.datetime | None = None) -> list[Staff]:
    now = now or timezone.now()
    return list(
        Staff.objects.filter(assignments__shift__starts_at__lte=now, assignments__shift__ends_at__gt=now)
        .distinct()
        .order_by("username")
    )


def current_shift_of(staff: Staff, now: dt.datetime | None = None) -> Shift | None:
    now = now or timezone.now()
    return (
        Shift.objects.filter(assignments__staff=staff, starts_at__lte=now, ends_at__gt=now)
        .order_by("starts_at")
        .first()
    )


def my_shifts(staff: Staff, days: int = ROTA_DAYS) -> QuerySet[Shift]:
    now = timezone.now()
    return Shift.objects.filter(
        assignments__staff=staff, ends_at__gt=now, starts_at__lt=now + dt.timedelta(days=days)
    )


def swaps_waiting() -> QuerySet[Swap]:
    return Swap.objects.filter(status=SwapStatus.REQUESTED).select_related("shift", "from_staff", "to_staff")


def my_swaps(staff: Staff) -> QuerySet[Swap]:
    return Swap.objects.filter(from_staff=staff).select_related("shift", "to_staff")[:20]


def lapse_warnings_open() -> QuerySet[LapseWarning]:
    return LapseWarning.objects.filter(acknowledged_at__isnull=True).select_related("staff")


def patterns() -> QuerySet[ShiftPattern]:
    return ShiftPattern.objects.filter(is_active=True)


def access_shift(shift_id: UUID | str) -> Shift:
    """The rota carries no client data: a shift anyone with the rota may see, or a 404."""
    found = Shift.objects.filter(pk=shift_id).first()
    if found is None:
        raise Http404
    return found
