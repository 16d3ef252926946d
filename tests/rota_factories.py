"""Shifts for the rota and people tests, made through the rota's services."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.rota import services
from helpline.rota.models import Shift


def local(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def shift_on(
    day: dt.date, *, start: int = 8, hours: int = 8, minimum: int = 2, staff: list[Staff] | None = None
) -> Shift:
    starts = local(day, start)
    shift = services.shift_add(
        "test", starts_at=starts, ends_at=starts + dt.timedelta(hours=hours), minimum=minimum
    )
    for person in staff or []:
        services.shift_assign("test", shift=shift, staff=person)
    return shift


def shift_now(*staff: Staff, minimum: int = 1) -> Shift:
    now = timezone.now()
    shift = services.shift_add(
        "test", starts_at=now - dt.timedelta(hours=2), ends_at=now + dt.timedelta(hours=6), minimum=minimum
    )
    for person in staff:
        services.shift_assign("test", shift=shift, staff=person)
    return shift
