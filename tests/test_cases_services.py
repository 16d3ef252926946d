"""A case gathers a child's contacts, plan, notes and people; every change is one timeline entry
and one audit row, written together or not at all."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.db import connection
from django.utils import timezone

from helpline.accounts.models import PoliceCheck, Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.cases import services, supervision
from helpline.cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    GoalStatus,
    NoteRevision,
    PersonRole,
)
from helpline.cases.selectors import case_timeline
from helpline.cases.services import CaseConflict, CaseError
from tests.case_factories import contact_for, open_case
from tests.factories import persona

pytestmark = pytest.mark.django_db


def kinds(case: Case) -> list[str]:
    return [e.kind for e in case_timeline(case)]


def test_a_case_opened_from_a_contact_gets_a_number_an_assignee_and_a_timeline(counsellor: Staff) -> None:
    contact = contact_for(counsellor)
    case = services.case_open(counsellor, contacts=[contact], nickname="Srey")
    year = timezone.localtime().year
    assert case.number == f"C-{year}-00001"
    assert case.status == CaseStatus.OPEN and case.assignee == counsellor
    assert list(case.contacts.all()) == [contact]
    assert sorted(kinds(case)) == sorted([EventKind.OPENED, EventKind.CONTACT_LINKED])
    audit = AuditEvent.objects.get(action=AuditAction.CASE_OPEN)
    assert audit.record_id == str(case.pk) and audit.detail["number"] == case.number
    assert "Srey" not in str(audit.detail)  # the trail names fields, never the child's record


def test_numbers_count_up_within_the_year(counsellor: Staff) -> None:
    numbers = [open_case(counsellor).number for _ in range(3)]
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == [1, 2, 3]
    assert all(re.fullmatch(r"C-\d{4}-\d{5}", n) for n in numbers)


@pytest.mark.django_db(transaction=True)
def test_concurrent_openers_never_share_a_number() -> None:
    team = [persona(Role.COUNSELLOR, username=f"c{i}") for i in range(6)]
    contacts = [contact_for(staff) for staff in team]
    errors: list[BaseException] = []

    def worker(staff: Staff, index: int) -> None:
        try:
            for _ in range(3):
                services.case_open(staff, contacts=[contacts[index]])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(s, i)) for i, s in enumerate(team)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 18
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == list(range(1, 19))


def test_a_contact_the_opener_cannot_see_is_refused_and_nothing_is_written(counsellor: Staff) -> None:
    colleague = persona(Role.COUNSELLOR, username="colleague")
    theirs = contact_for(colleague)
    with pytest.raises(CaseError):
        services.case_open(counsellor, contacts=[theirs])
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_administrators_and_data_officers_open_no_cases(administrator: Staff, data_officer: Staff) -> None:
    for staff in (administrator, data_officer):
        with pytest.raises(CaseError):
            services.case_open(staff, contacts=[contact_for(staff)])
    assert not Case.objects.exists()


def test_a_later_contact_is_linked_once_and_makes_the_case_active(counsellor: Staff) -> None:
    case = open_case(counsellor)
    later = contact_for(counsellor)
    assert services.case_link_contact(counsellor, case=case, contact=later) is True
    assert services.case_link_contact(counsellor, case=case, contact=later) is False  # nothing new
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE and case.contacts.count() == 2
    assert kinds(case).count(EventKind.CONTACT_LINKED) == 2
    assert AuditEvent.objects.filter(action=AuditAction.CASE_CONTACT_LINK).count() == 1


def test_a_note_edit_keeps_the_earlier_text(counsellor: Staff) -> None:
    case = open_case(counsellor)
    note = services.note_add(counsellor, case=case, text="She is afraid to go home.")
    assert services.note_edit(
        counsellor, note=note, text="She is afraid to go home after school.", revision=1
    )
    note.refresh_from_db()
    assert note.revision == 2 and note.text.endswith("after school.")
    assert list(NoteRevision.objects.filter(note=note).values_list("text", flat=True)) == [
        "She is afraid to go home after school.",
        "She is afraid to go home.",
    ]
    assert kinds(case)[0] == EventKind.NOTE_EDITED


def test_editing_an_earlier_revision_or_someone_elses_note_changes_nothing(counsellor: Staff) -> None:
    case = open_case(counsellor)
    note = services.note_add(counsellor, case=case, text="first")
    services.note_edit(counsellor, note=note, text="second", revision=1)
    events = CaseEvent.objects.count()
    with pytest.raises(CaseConflict):
        services.note_edit(counsellor, note=note, text="rewrite the first", revision=1)
    other = persona(Role.SUPERVISOR, username="sup")
    with pytest.raises(CaseError):
        services.note_edit(other, note=note, text="not mine", revision=2)
    note.refresh_from_db()
    assert note.text == "second" and NoteRevision.objects.filter(note=note).count() == 2
    assert CaseEvent.objects.count() == events


def test_revisions_and_timeline_entries_are_never_changed(counsellor: Staff) -> None:
    case = open_case(counsellor)
    event = CaseEvent.objects.filter(case=case).first()
    assert event is not None
    event.summary = "rewritten"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_plan_goals_are_added_and_changed_on_the_timeline(counsellor: Staff) -> None:
    case = open_case(counsellor)
    goal = services.goal_add(counsellor, case=case, text="Back to school", due_on=timezone.localdate())
    assert services.goal_change(counsellor, goal=goal, status=GoalStatus.IN_PROGRESS, due_on=goal.due_on)
    assert not services.goal_change(counsellor, goal=goal, status=GoalStatus.IN_PROGRESS, due_on=goal.due_on)
    assert kinds(case)[:2] == [EventKind.GOAL_CHANGED, EventKind.GOAL_ADDED]
    with pytest.raises(CaseError):
        services.goal_add(
            counsellor, case=case, text="late", due_on=timezone.localdate() - dt.timedelta(days=1)
        )


def test_profile_changes_name_fields_in_the_audit_and_risk_on_the_timeline(counsellor: Staff) -> None:
    case = open_case(counsellor)
    changed = services.case_update_profile(
        counsellor, case=case, nickname="Srey", age=12, gender=None, province=None, risk="high"
    )
    assert sorted(changed) == ["age", "nickname", "risk"]
    audit = AuditEvent.objects.get(action=AuditAction.CASE_PROFILE_UPDATE)
    assert audit.detail["fields"] == ["age", "nickname", "risk"] and "Srey" not in str(audit.detail)
    assert case_timeline(case)[0].kind == EventKind.PROFILE_CHANGED
    assert (
        services.case_update_profile(
            counsellor, case=case, nickname="Srey", age=12, gender=None, province=None, risk="high"
        )
        == []
    )


def test_household_members_and_an_alleged_perpetrator(counsellor: Staff) -> None:
    case = open_case(counsellor)
    services.case_add_person(counsellor, case=case, role=PersonRole.HOUSEHOLD, name="Grandmother", age=70)
    services.case_add_person(counsellor, case=case, role=PersonRole.ALLEGED_PERPETRATOR, name="Neighbour")
    assert case.people.count() == 2
    with pytest.raises(CaseError):
        services.case_add_person(counsellor, case=case, role="friend", name="x")


def test_assignment_needs_a_reason_and_the_right_role(counsellor: Staff, supervisor: Staff) -> None:
    case = open_case(counsellor)
    manager = persona(Role.CASE_MANAGER, username="manager")
    with pytest.raises(CaseError):
        services.case_assign(supervisor, case=case, assignee=manager, reason="  ")
    with pytest.raises(CaseError):
        services.case_assign(counsellor, case=case, assignee=manager, reason="busy")
    admin = persona(Role.ADMINISTRATOR, username="admin2")
    with pytest.raises(CaseError):
        services.case_assign(supervisor, case=case, assignee=admin, reason="no")
    assert services.case_assign(supervisor, case=case, assignee=manager, reason="Needs a case manager")
    event = case_timeline(case)[0]
    assert event.kind == EventKind.ASSIGNED and event.summary == "Needs a case manager"
    audit = AuditEvent.objects.get(action=AuditAction.CASE_ASSIGN)
    assert audit.changes == {"assignee": ["counsellor", "manager"]}


def test_the_status_machine(counsellor: Staff, supervisor: Staff) -> None:
    case = open_case(counsellor)
    supervision.closure_request(counsellor, case=case, reason="")
    with pytest.raises(CaseError):
        supervision.closure_approve(counsellor, case=case)  # only a supervisor
    supervision.closure_send_back(supervisor, case=case, reason="Call her once more")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    supervision.closure_request(counsellor, case=case, reason="She is safe now")
    supervision.closure_approve(supervisor, case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    with pytest.raises(CaseConflict):  # closed → active needs reopening
        services.case_link_contact(counsellor, case=case, contact=contact_for(counsellor))
    with pytest.raises(CaseConflict):
        supervision.closure_send_back(supervisor, case=case, reason="again")
    supervision.case_reopen(counsellor, case=case, reason="She called again")
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED and case.closed_at is None
    history = kinds(case)
    for kind in (
        EventKind.OPENED,
        EventKind.CLOSURE_APPROVED,
        EventKind.REOPENED,
        EventKind.CLOSURE_SENT_BACK,
    ):
        assert kind in history  # a reopened case keeps its history


def test_a_failed_write_leaves_neither_timeline_entry_nor_audit_row(
    counsellor: Staff, supervisor: Staff
) -> None:
    case = open_case(counsellor)
    events, audits = CaseEvent.objects.count(), AuditEvent.objects.count()
    with pytest.raises(CaseConflict):
        supervision.closure_approve(supervisor, case=case)  # open → closed is not a transition
    assert (CaseEvent.objects.count(), AuditEvent.objects.count()) == (events, audits)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_a_case_is_not_assigned_to_someone_whose_vetting_has_lapsed(
    counsellor: Staff, supervisor: Staff
) -> None:
    """They could not open it (the API names any active colleague; the page lists only the vetted)."""
    case = open_case(counsellor)
    manager = persona(Role.CASE_MANAGER, username="manager")
    PoliceCheck.objects.filter(staff=manager).delete()
    with pytest.raises(CaseError) as refused:
        services.case_assign(supervisor, case=case, assignee=manager, reason="Needs a case manager")
    assert refused.value.field == "assignee"
    case.refresh_from_db()
    assert case.assignee == counsellor and not case.events.filter(kind=EventKind.ASSIGNED).exists()
