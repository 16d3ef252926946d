"""What a timeline entry says, in the reader's language.

An entry stores a line code (`detail["line"]`) and its parameters as codes (a role, a status, a
referral's number), so a partner answering on the English portal and a supervisor reading in Khmer
each see their own language: the sentence is made when it is read, never when it is written.
`summary` holds only what a person typed (a reason, a goal, a note), shown as typed; an entry
written before line codes existed has no code and shows its stored text.

Apps above cases add the lines they write to LINES in their ready() (cases never imports them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django.db import models
from django.utils.translation import gettext as _

from helpline.cases.models import BreakReason, FollowUpKind, GoalStatus, PersonRole, Risk, SignOff

# A line's renderer: the entry's detail (codes, strings) and its typed summary → the sentence.
LineRenderer = Callable[[Mapping[str, str], str], str]


def label(choices: type[models.TextChoices], code: str) -> str:
    """A code's label in the active language; the code itself when it is no longer a choice."""
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def joined(head: str, typed: str) -> str:
    """A made sentence and what a person typed after it (erased text leaves the sentence)."""
    return f"{head}: {typed}" if typed else head


def _risk(detail: Mapping[str, str], summary: str) -> str:
    return _("Risk: %(old)s → %(new)s") % {
        "old": label(Risk, detail.get("risk_old", "")),
        "new": label(Risk, detail.get("risk_new", "")),
    }


def _goal_status(detail: Mapping[str, str], summary: str) -> str:
    old, new = (
        label(GoalStatus, detail.get("status_old", "")),
        label(GoalStatus, detail.get("status_new", "")),
    )
    moved = f"{old} → {new}"
    return f"{summary} · {moved}" if summary else moved


LINES: dict[str, LineRenderer] = {
    "risk": _risk,
    "person_role": lambda detail, summary: label(PersonRole, detail.get("role", "")),
    "goal_status": _goal_status,
    "break_reason": lambda detail, summary: label(BreakReason, detail.get("reason", "")),
    "sign_off": lambda detail, summary: joined(label(SignOff, detail.get("decision", "")), summary),
    "follow_up_kind": lambda detail, summary: label(FollowUpKind, detail.get("what", "")),
}


def event_line(detail: Mapping[str, str], summary: str) -> str:
    """The entry's line for the reader: its sentence made now, or the stored text of an old entry
    (or of one whose line no installed app renders)."""
    render = LINES.get(detail.get("line", ""))
    return render(detail, summary) if render is not None else summary
