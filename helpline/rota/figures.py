"""Shift coverage for the reports: how many shifts in a period met their minimum, and the
counsellor-places left empty. Counts only: no names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from helpline.rota.selectors import shifts_between


@dataclass(frozen=True)
class Coverage:
    shifts: int
    covered: int  # at or above their minimum
    gaps: int
    places_needed: int  # the sum of the minimums
    places_filled: int  # up to each minimum (a surplus on one shift does not fill another)

    @property
    def covered_share(self) -> float | None:
        return round(self.covered / self.shifts, 3) if self.shifts else None


def shift_coverage(start: dt.date, end: dt.date) -> Coverage:
    """Shifts starting from `start` to `end`, both days included (local days)."""
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    shifts = list(shifts_between(since, until).filter(starts_at__gte=since))
    staffed = {s.pk: int(s.staffed) for s in shifts}  # type: ignore[attr-defined]
    covered = sum(1 for s in shifts if staffed[s.pk] >= s.minimum)
    return Coverage(
        shifts=len(shifts),
        covered=covered,
        gaps=len(shifts) - covered,
        places_needed=sum(s.minimum for s in shifts),
        places_filled=sum(min(staffed[s.pk], s.minimum) for s in shifts),
    )
