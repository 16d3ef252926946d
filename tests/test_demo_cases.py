"""Demo cases: a dozen cases in every state, with linked contacts, plans, an edited note, follow-ups
(some overdue, with safe-contact instructions), a break awaiting sign-off and one approved, a
closure awaiting approval; written by the cases services, demo only, seeding twice changes nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.cases import followups, services
from helpline.cases.models import (
    Case,
    CaseEvent,
    CaseNote,
    CaseStatus,
    ConfidentialityBreak,
    EventKind,
    FollowUp,
    FollowUpStatus,
    PlanGoal,
    SignOff,
)
from helpline.cases.selectors import CaseFilters, case_search
from helpline.cases.services import CaseError
from tests.case_factories import contact_for
from tests.factories import persona

KHMER = range(0x1780, 0x1800)


def khmer(text: str) -> bool:
    return any(ord(ch) in KHMER for ch in text)


def test_demo_cases_are_refused_without_helpline_demo(db: None) -> None:
    with override_settings(DEMO=False), pytest.raises(CommandError, match="HELPLINE_DEMO=1"):
        call_command("seed_demo_cases")
    assert not Case.objects.exists()


@override_settings(DEMO=True)
def test_demo_cases_cover_every_state_and_seeding_twice_changes_nothing(db: None) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo cases created: 12" in out.getvalue()

    cases = Case.objects.all()
    assert cases.count() == 12
    statuses = dict(cases.values_list("status").annotate(n=Count("id")))
    assert set(statuses) == {
        CaseStatus.OPEN,
        CaseStatus.ACTIVE,
        CaseStatus.PENDING_CLOSURE,
        CaseStatus.CLOSED,
        CaseStatus.REOPENED,
    }
    assert statuses[CaseStatus.PENDING_CLOSURE] == 1
    assert all(c.links.exists() for c in cases)
    assert cases.annotate(n=Count("links")).filter(n__gte=2).exists()
    assert all(khmer(c.nickname) and c.province_id and c.age for c in cases)
    assert len({c.province_id for c in cases}) >= 8

    assert PlanGoal.objects.values("case").distinct().count() >= 6
    edited = CaseNote.objects.filter(revision__gt=1)
    assert edited.count() == 1 and edited.get().revisions.count() == 2
    assert all(khmer(n.text) for n in CaseNote.objects.all())

    now = timezone.now()
    scheduled = FollowUp.objects.filter(status=FollowUpStatus.SCHEDULED)
    overdue = scheduled.filter(due_at__lt=now)
    assert overdue.count() >= 2 and scheduled.filter(due_at__gt=now).exists()
    assert all(khmer(f.instructions) for f in scheduled)
    supervisor = Staff.objects.get(username="supervisor")
    assert (
        case_search(supervisor, CaseFilters(overdue=True)).count()
        == overdue.values("case").distinct().count()
    )

    signs = dict(ConfidentialityBreak.objects.values_list("sign_off").annotate(n=Count("id")))
    assert signs == {SignOff.PENDING: 1, SignOff.APPROVED: 1}
    kinds = set(CaseEvent.objects.values_list("kind", flat=True))
    assert {
        EventKind.NOTE_EDITED,
        EventKind.ASSIGNED,
        EventKind.REOPENED,
        EventKind.CLOSURE_APPROVED,
    } <= kinds
    # A counsellor and a volunteer each see their own cases.
    for username in ("counsellor", "volunteer"):
        assert case_search(Staff.objects.get(username=username), CaseFilters()).exists()

    rows = (Case.objects.count(), CaseEvent.objects.count(), FollowUp.objects.count())
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "Demo cases already present." in again.getvalue()
    assert (Case.objects.count(), CaseEvent.objects.count(), FollowUp.objects.count()) == rows


def test_back_dated_history_stays_between_the_contacts_and_now(db: None) -> None:
    """case_open and follow_up_schedule take the time it happened (the demo's history), never
    before the case's contacts or its opening, nor in the future."""
    counsellor = persona(Role.COUNSELLOR, username="counsellor")
    contact = contact_for(counsellor, days_ago=5)
    now = timezone.now()
    for wrong in (contact.arrived_at - dt.timedelta(minutes=1), now + dt.timedelta(hours=1)):
        with pytest.raises(CaseError):
            services.case_open(counsellor, contacts=[contact], at=wrong)
    assert not Case.objects.exists()
    case = services.case_open(counsellor, contacts=[contact], at=contact.arrived_at + dt.timedelta(hours=1))
    assert case.opened_at == contact.arrived_at + dt.timedelta(hours=1)
    with pytest.raises(CaseError):
        followups.follow_up_schedule(
            counsellor,
            case=case,
            kind="call_back",
            due_at=now,
            owner=counsellor,
            at=case.opened_at - dt.timedelta(hours=2),
        )
    late = followups.follow_up_schedule(
        counsellor,
        case=case,
        kind="call_back",
        due_at=now - dt.timedelta(days=1),
        owner=counsellor,
        at=case.opened_at,
    )
    assert late.due_at < now  # overdue from the start: planned days ago
    with pytest.raises(CaseError):  # without `at`, a due time in the past is refused as ever
        followups.follow_up_schedule(
            counsellor, case=case, kind="call_back", due_at=now - dt.timedelta(days=1), owner=counsellor
        )
