"""People's panels for the console: a counsellor's count of high-risk contacts this shift (theirs),
the same count for everyone on shift on the supervisor's wallboard, and the one click that marks
the contact at hand distressing (then a debrief asked for about it)."""

from __future__ import annotations

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.common.panels import Panel
from helpline.contacts.models import Contact
from helpline.people.selectors import distressing_marked, high_risk_this_shift, last_closed_contact
from helpline.rota.selectors import on_shift_now


def my_shift_panel(staff: Staff) -> Panel | None:
    if not role_has(staff.role, Permission.CONSOLE):
        return None
    last = last_closed_contact(staff)
    return Panel(
        "people/_my_shift.html",
        {
            "high_risk_count": high_risk_this_shift(staff),
            # The contact just closed, so it can still be marked distressing from here.
            "last_contact": last,
            "last_marked": last is not None and distressing_marked(staff, last),
        },
    )


def shift_risk_panel(staff: Staff) -> Panel | None:
    """For supervisors only: who on shift has had how many high-risk contacts."""
    if not role_has(staff.role, Permission.DEBRIEF_HOLD):
        return None
    rows = [(person, high_risk_this_shift(person)) for person in on_shift_now()]
    return Panel("people/_shift_risk.html", {"shift_risk": rows})


def distressing_panel(staff: Staff, contact: Contact) -> Panel | None:
    """On the contact at hand: mark it distressing, or (marked) ask for a debrief about it."""
    if not role_has(staff.role, Permission.CONSOLE):
        return None
    return Panel(
        "people/_distressing.html", {"marked_contact": contact, "marked": distressing_marked(staff, contact)}
    )
