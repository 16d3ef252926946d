"""Voice's panel for the wallboard: today's call figures."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from helpline.common.panels import Panel
from helpline.voice.selectors import call_figures


def calls_today_panel() -> Panel:
    now = timezone.localtime()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    total, _buckets = call_figures(start, now + dt.timedelta(seconds=1), by="hour")
    return Panel("voice/_calls_today.html", {"calls": total})
