"""The sane window for times and dates that come in from outside, and the bounds of numbers people set.

One place, used by every way in (webhooks, the API, forms, filters, cursors): a time or date outside
it is refused with a 4xx where it arrives, so nothing stored ever breaks a page later (a call dated
9999 made the local time of the contact list overflow). The window:

- event times (when a call, text or walk-in happened): from 2000-01-01 to one day after now (a
  gateway's clock may run a little ahead; nothing happens much later than now);
- dates (filters, vetting records, holidays): the years 2000 to 2100.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
EARLIEST_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FUTURE_SLACK = dt.timedelta(days=1)


def latest_event_time() -> dt.datetime:
    return timezone.now() + FUTURE_SLACK


def event_time_ok(at: dt.datetime) -> bool:
    """An aware time from 2000 to a day from now."""
    if at.tzinfo is None or at.utcoffset() is None:
        return False
    try:
        return EARLIEST_TIME <= at <= latest_event_time()
    except OverflowError:
        return False


def date_ok(day: dt.date) -> bool:
    if isinstance(day, dt.datetime):
        day = day.date()
    return EARLIEST_DATE <= day <= LATEST_DATE


def check_event_time(at: dt.datetime) -> dt.datetime:
    """The time itself, or ValueError: for pydantic validators and webhooks."""
    if not event_time_ok(at):
        raise ValueError("time outside 2000-01-01 .. now + 1 day")
    return at


def check_date(day: dt.date) -> dt.date:
    if not date_ok(day):
        raise ValueError("date outside 2000-01-01 .. 2100-12-31")
    return day


def _date_in_window(value: dt.date) -> None:
    if value is not None and not date_ok(value):
        raise forms.ValidationError(
            _("Give a date from %(start)s to %(end)s."),
            code="date_window",
            params={"start": EARLIEST_DATE.isoformat(), "end": LATEST_DATE.isoformat()},
        )


def _time_in_window(value: dt.datetime) -> None:
    if value is not None and not event_time_ok(value):
        raise forms.ValidationError(
            _("Give a time from %(start)s to tomorrow."),
            code="time_window",
            params={"start": EARLIEST_DATE.isoformat()},
        )


class WindowDateField(forms.DateField):
    """A date field that keeps to the window (and tells the browser's date picker so)."""

    default_validators = [_date_in_window]

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return super().widget_attrs(widget) | {
            "min": EARLIEST_DATE.isoformat(),
            "max": LATEST_DATE.isoformat(),
        }


def _datetime_in_window(value: dt.datetime) -> None:
    if value is not None:
        _date_in_window(value.date())


class WindowDateTimeField(forms.DateTimeField):
    """A date and time still to come or long past (a shift) whose day keeps to the date window."""

    default_validators = [_datetime_in_window]


class EventTimeField(forms.DateTimeField):
    """When something happened: from 2000 to a day from now."""

    default_validators = [_time_in_window]


# The most a 32-bit integer column holds (PostgreSQL's integer): a counter from a form or a page stays below.
MAX_COUNTER = 2**31 - 1
_DIGITS = frozenset("0123456789")


def counter_or_none(text: str | None, *, default: int | None = None) -> int | None:
    """A revision or version number a page sends back: ASCII digits from 0 to MAX_COUNTER, or None
    (the caller answers 400). Empty or missing gives the default."""
    if not text:
        return default
    if len(text) > 10 or not _DIGITS.issuperset(text):  # int() also takes "٣", " 1", "1_0"
        return None
    value = int(text)
    return value if value <= MAX_COUNTER else None


# The bounds of every number a supervisor or administrator sets on a settings page: (least, most).
SETTING_LIMITS: dict[str, tuple[int, int]] = {
    # voice
    "service_level_seconds": (1, 600),
    "short_abandon_seconds": (0, 120),
    # text channels
    "idle_close_hours": (1, 24 * 30),
    "flood_per_minute": (1, 600),
    # routing and triage
    "offer_seconds": (5, 600),
    "high_risk_score": (1, 1000),
    "critical_risk_score": (1, 1000),
    "weight": (0, 1000),
    "voice_capacity": (0, 10),
    "text_capacity": (0, 20),
}


def bound_settings(form: forms.BaseForm) -> None:
    """Give a form's numeric setting fields their bounds from SETTING_LIMITS (shown and enforced).
    The bounds replace those the field had: a model's positive integer field already brings a
    least value of 0, and both said "greater than or equal to 0" under a weight of -5."""
    for name, field in form.fields.items():
        if name not in SETTING_LIMITS or not isinstance(field, forms.IntegerField):
            continue
        low, high = SETTING_LIMITS[name]
        field.min_value, field.max_value = low, high
        kept = [v for v in field.validators if not isinstance(v, MinValueValidator | MaxValueValidator)]
        field.validators = [*kept, MinValueValidator(low), MaxValueValidator(high)]
        field.widget.attrs.update({"min": str(low), "max": str(high)})
