"""Today's call figures as a wallboard panel (kept in voice so routing need not know calls)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

from helpline.voice.selectors import call_figures

register = template.Library()


@register.inclusion_tag("voice/_calls_today.html")
def calls_today() -> dict[str, Any]:
    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    total, _buckets = call_figures(start, now + dt.timedelta(seconds=1), by="hour")
    return {"calls": total}
