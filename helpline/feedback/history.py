"""What a step of a feedback item's history says, in the reader's language.

A step the system describes itself (the scheduler's overdue flag, a reply sent, the supervisor on
shift given a risky item, a triage change) stores a line code and its parameters as codes or names
(`FeedbackEvent.line`, `.detail`), so an English and a Khmer reader each see their own language:
the sentence is made when it is read, never when it is written. `note` holds only what a person
typed, shown as typed; a step written before line codes existed has no code and shows its note."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.feedback.models import Severity, Subject

# A line's renderer: the step's parameters → the sentence.
LineRenderer = Callable[[Mapping[str, Any]], str]

OVERDUE = "overdue"
REPLY_SMS = "reply_sms"
REPLY_EMAIL = "reply_email"
RISK_OWNER = "risk_owner"
CHANGED = "changed"

# What was late, by the code an overdue step stores.
LATE = {"acknowledgement": gettext_lazy("acknowledgement"), "response": gettext_lazy("response")}
# A triage change's fields, by name, and the choices its codes are labels of.
FIELDS = {
    "severity": gettext_lazy("Severity"),
    "owner": gettext_lazy("Owner"),
    "subject": gettext_lazy("About"),
    "subject_staff": gettext_lazy("Staff member"),
    "subject_partner": gettext_lazy("Partner"),
}
FIELD_CHOICES: dict[str, type[models.TextChoices]] = {"severity": Severity, "subject": Subject}
NOTHING = "—"  # a field emptied (no owner, no partner named)


def _label(choices: type[models.TextChoices] | None, code: str) -> str:
    """A code's label in the active language; the code itself when it is not (or no longer) one."""
    if choices is None:
        return code
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _overdue(detail: Mapping[str, Any]) -> str:
    what = str(detail.get("what", ""))
    return _("Overdue: %(what)s not given in time.") % {"what": str(LATE.get(what, what))}


def _changed(detail: Mapping[str, Any]) -> str:
    """The fields in FIELDS' order, then any other: PostgreSQL's jsonb keeps no key order."""
    changes = detail.get("changes") or {}
    order = list(FIELDS)
    fields = sorted(changes, key=lambda f: (order.index(f) if f in order else len(order), f))
    return ", ".join(
        f"{FIELDS.get(field, field)}: "
        f"{_label(FIELD_CHOICES.get(field), str(changes[field])) if changes[field] else NOTHING}"
        for field in fields
    )


LINES: dict[str, LineRenderer] = {
    OVERDUE: _overdue,
    REPLY_SMS: lambda detail: _("Response sent by SMS."),
    REPLY_EMAIL: lambda detail: _("Response sent by email."),
    RISK_OWNER: lambda detail: (
        _("Shows risk: given to %(name)s, the supervisor on shift.") % {"name": str(detail.get("name", ""))}
    ),
    CHANGED: _changed,
}


def event_note(line: str, detail: Mapping[str, Any], note: str) -> str:
    """The step's words for the reader: the system's line made now, then anything a person typed;
    without a line (a person's note, or a step older than line codes), the note as stored."""
    render = LINES.get(line)
    if render is None:
        return note
    made = render(detail)
    return f"{made} · {note}" if note else made
