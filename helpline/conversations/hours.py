"""Opening hours for text channels: open 24/7 unless set otherwise; holidays close the day."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from helpline.conversations.models import Holiday, OpeningPeriod, TextSettings


def closed_reply(at: dt.datetime, config: TextSettings | None = None) -> str | None:
    """None when the helpline is open at this moment; otherwise the reply to send (may be "")."""
    local = timezone.localtime(at)
    holiday = Holiday.objects.filter(date=local.date()).first()
    if config is None:
        config = TextSettings.objects.filter(pk=1).first() or TextSettings()
    if holiday is not None:
        return holiday.reply_km or holiday.reply_en or config.closed_reply_km or config.closed_reply_en
    if config.always_open:
        return None
    now = local.time()
    for period in OpeningPeriod.objects.filter(weekday=local.weekday()):
        if period.opens <= now < period.closes:
            return None
    return config.closed_reply_km or config.closed_reply_en
