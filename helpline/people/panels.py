"""People's panels for the console: a counsellor's count of high-risk contacts this shift (theirs),
and the same count for everyone on shift on the supervisor's wallboard."""

from __future__ import annotations

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.common.panels import Panel
from helpline.people.selectors import high_risk_this_shift
from helpline.rota.selectors import on_shift_now


def my_shift_panel(staff: Staff) -> Panel | None:
    if not role_has(staff.role, Permission.CONSOLE):
        return None
    return Panel("people/_my_shift.html", {"high_risk_count": high_risk_this_shift(staff)})


def shift_risk_panel(staff: Staff) -> Panel | None:
    """For supervisors only: who on shift has had how many high-risk contacts."""
    if not role_has(staff.role, Permission.DEBRIEF_HOLD):
        return None
    rows = [(person, high_risk_this_shift(person)) for person in on_shift_now()]
    return Panel("people/_shift_risk.html", {"shift_risk": rows})
