"""Cases' panels for the console: the contact's cases (open one in one click, or link the contact
to one of the caller's open cases), and the counsellor's follow-ups coming due."""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.cases import selectors
from helpline.cases.models import Case
from helpline.common.panels import Panel
from helpline.contacts.models import Contact

# Sections the apps above add to the case page (referrals: the case's referrals and a way to
# refer), registered from their apps.py as cases registers its providers into contacts: cases
# never imports them. Each returns None to show nothing.
CASE_SECTIONS: list[Callable[[Staff, Case], Panel | None]] = []


def case_sections(staff: Staff, case: Case) -> list[Panel]:
    return [found for provider in CASE_SECTIONS if (found := provider(staff, case)) is not None]


def contact_cases_panel(staff: Staff, contact: Contact) -> Panel | None:
    """None for someone who does not work on cases (nothing shown)."""
    if not role_has(staff.role, Permission.CASES):
        return None
    linked = list(selectors.cases_visible_to(staff).filter(links__contact=contact).order_by("-opened_at"))
    # The caller's open cases, offered to whoever holds their new contact (caller history's
    # open_case_ids): number and status only until linked.
    offered = list(selectors.caller_open_cases(contact.caller).exclude(links__contact=contact)[:5])
    return Panel(
        "cases/_console_contact.html",
        {
            "case_contact": contact,
            "linked_cases": linked,
            "offered_cases": offered,
        },
    )


def follow_ups_panel(staff: Staff) -> Panel | None:
    if not role_has(staff.role, Permission.CASES):
        return None
    return Panel(
        "cases/_follow_ups.html", {"follow_ups": selectors.my_follow_ups(staff), "now": timezone.now()}
    )
