"""A length of time as a person reads it: "45 s", "10 min", "1 min 30 s", "1 h 5 min". A contact's
ten minutes shown as "600 seconds" had to be worked out; whole minutes are read at a glance."""

from __future__ import annotations

from django.utils.translation import gettext as _

MINUTE = 60
HOUR = 60 * MINUTE


def duration_text(seconds: float | None) -> str:
    """In the active language; "" for no value. Seconds are said only under an hour."""
    if seconds is None:
        return ""
    total = max(0, round(seconds))
    if total < MINUTE:
        return _("%(seconds)d s") % {"seconds": total}
    hours, rest = divmod(total, HOUR)
    minutes, secs = divmod(rest, MINUTE)
    if hours:
        if minutes:
            return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)d h") % {"hours": hours}
    if secs:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": secs}
    return _("%(minutes)d min") % {"minutes": minutes}
