"""Shift coverage for the reports: how many shifts in a period met their minimum, the
counsellor-places left empty, and counsellor-hours staffed against those required. Counts only: no
names. The reports app passes the shifts its viewer may count (none for someone who may not see
statistics)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from helpline.rota.models import Shift
from helpline.rota.selectors import shifts_between


@dataclass(frozen=True)
class Coverage:
    shifts: int
    covered: int  # at or above their minimum
    gaps: int
    places_needed: int  # the sum of the minimums
    places_filled: int  # up to each minimum (a surplus on one shift does not fill another)
    hours_required: float  # each shift's length times its minimum, summed
    hours_staffed: float  # each shift's length times the people on it, summed (a surplus counts)
    hours_short: float  # each shift's length times the places below its minimum, summed

    @property
    def covered_share(self) -> float | None:
        return round(self.covered / self.shifts, 3) if self.shifts else None


def shift_coverage(start: dt.date, end: dt.date, *, among: QuerySet[Shift] | None = None) -> Coverage:
    """Shifts starting from `start` to `end`, both days included (the helpline's local days); a
    shift counts whole in the period it starts in."""
    zone = timezone.get_default_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    found = shifts_between(since, until).filter(starts_at__gte=since)
    if among is not None:
        found = found.filter(pk__in=among.values("pk"))
    shifts = list(found)
    staffed = {s.pk: int(s.staffed) for s in shifts}  # type: ignore[attr-defined]
    hours = {s.pk: (s.ends_at - s.starts_at).total_seconds() / 3600 for s in shifts}
    covered = sum(1 for s in shifts if staffed[s.pk] >= s.minimum)
    return Coverage(
        shifts=len(shifts),
        covered=covered,
        gaps=len(shifts) - covered,
        places_needed=sum(s.minimum for s in shifts),
        places_filled=sum(min(staffed[s.pk], s.minimum) for s in shifts),
        hours_required=round(sum(hours[s.pk] * s.minimum for s in shifts), 1),
        hours_staffed=round(sum(hours[s.pk] * staffed[s.pk] for s in shifts), 1),
        hours_short=round(sum(hours[s.pk] * max(0, s.minimum - staffed[s.pk]) for s in shifts), 1),
    )
