"""Referrals' sections of pages below them: the case page lists the case's referrals and offers to
refer the case (registered into helpline.cases.panels.CASE_SECTIONS from apps.py); the supervisor's
wallboard lists the referrals overdue for the partner's acknowledgement."""

from __future__ import annotations

from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.cases.models import Case
from helpline.common.panels import Panel
from helpline.referrals.models import overdue_q
from helpline.referrals.selectors import referrals_visible_to
from helpline.referrals.selectors_referrals import case_referrals

OVERDUE_SHOWN = 20


def case_referrals_section(staff: Staff, case: Case) -> Panel | None:
    if not role_has(staff.role, Permission.CASES):
        return None
    return Panel(
        "referrals/_case_section.html",
        {
            "referrals": case_referrals(staff, case),
            "may_refer": case.takes_new_work,
            "now": timezone.now(),
        },
    )


def overdue_referrals_panel(staff: Staff) -> Panel:
    """The wallboard's lasting list of referrals the partner has not acknowledged in time (the
    scheduler's alarm is also a live push, gone once seen): number, partner, due since; the
    oldest first. Names no child."""
    overdue = (
        referrals_visible_to(staff)
        .filter(overdue_q(timezone.now()))
        .select_related("partner")
        .order_by("acknowledge_by", "id")
    )
    return Panel(
        "referrals/_overdue_panel.html",
        {"overdue": list(overdue[:OVERDUE_SHOWN]), "total": overdue.count()},
    )
