"""Demo rota: weekly patterns (a day shift of two, a night shift of one) made into the next
fortnight, staffed by the demo counsellors, with exactly one gap: the day shift in nine days has
one counsellor of its two. Everything goes through the rota's services."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.rota import services
from helpline.rota.models import Shift, ShiftPattern, ShiftRole

ACTOR = "demo"
GAP_IN_DAYS = 9


class DemoRotaError(Exception):
    pass


def demo_rota_present() -> bool:
    return ShiftPattern.objects.exists()


def create_demo_rota() -> int | None:
    """The number of shifts made, or None when the rota already has patterns."""
    staff = {
        s.username: s for s in Staff.objects.filter(username__in=["counsellor", "volunteer", "supervisor"])
    }
    if len(staff) != 3:
        raise DemoRotaError("Create the demo staff first (seed_demo).")
    with transaction.atomic():
        if demo_rota_present():
            return None
        for weekday in range(7):
            services.pattern_add(
                ACTOR,
                weekday=weekday,
                start_time=dt.time(8),
                end_time=dt.time(20),
                role=ShiftRole.COUNSELLING,
                minimum=2,
            )
            services.pattern_add(
                ACTOR,
                weekday=weekday,
                start_time=dt.time(20),
                end_time=dt.time(8),
                role=ShiftRole.COUNSELLING,
                minimum=1,
            )
        services.patterns_apply(ACTOR)
        gap_day = timezone.localdate() + dt.timedelta(days=GAP_IN_DAYS)
        shifts = list(Shift.objects.filter(ends_at__gt=timezone.now()).order_by("starts_at"))
        for shift in shifts:
            start = timezone.localtime(shift.starts_at)
            if start.hour == 8:
                people = (
                    [staff["counsellor"]]
                    if start.date() == gap_day
                    else [staff["counsellor"], staff["volunteer"]]
                )
            else:
                people = [staff["supervisor"]]
            for person in people:
                services.shift_assign(ACTOR, shift=shift, staff=person)
    return len(shifts)
