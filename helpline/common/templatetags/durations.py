"""{{ seconds|duration }}: a length of time in minutes and seconds (helpline/common/durations.py)."""

from __future__ import annotations

from django import template

from helpline.common.durations import duration_text

register = template.Library()
register.filter("duration", duration_text)
