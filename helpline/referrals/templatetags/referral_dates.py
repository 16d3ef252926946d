"""A referral's deadline, said so that nobody misreads it: a deadline at midnight is the end of
the day before ("by the end of 5 December 2026"), not "6 December 00:00"; any other one is its
day and time, the month in words."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def deadline(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    if local.time() == dt.time(0, 0):
        day = date_format(local - dt.timedelta(days=1), "j F Y")
        return _("by the end of %(day)s") % {"day": day}
    return date_format(local, "j F Y, H:i")
