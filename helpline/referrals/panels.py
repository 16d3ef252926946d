"""Referrals' sections of pages below them: the case page lists the case's referrals and offers to
refer the case (registered into helpline.cases.panels.CASE_SECTIONS from apps.py)."""

from __future__ import annotations

from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.cases.models import Case, CaseStatus
from helpline.common.panels import Panel
from helpline.referrals.selectors_referrals import case_referrals

# A case takes new referrals while it is worked on: not once closed or awaiting closure.
REFERRING = frozenset({CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.REOPENED})


def case_referrals_section(staff: Staff, case: Case) -> Panel | None:
    if not role_has(staff.role, Permission.CASES):
        return None
    return Panel(
        "referrals/_case_section.html",
        {
            "referrals": case_referrals(staff, case),
            "may_refer": case.status in REFERRING,
            "now": timezone.now(),
        },
    )
