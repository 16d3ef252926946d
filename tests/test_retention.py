"""Retention: the nightly run erases personal details by record type, spares held cases, reports
counts only, leaves the report figures exactly as they were and the audit chain intact."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.audit.selectors import audit_chain_verify
from helpline.cases.erasure import case_legal_hold_set
from helpline.cases.models import Case, CaseNote, NoteRevision
from helpline.cases.services import CaseError, note_add
from helpline.contacts.models import Caller, Contact
from helpline.conversations.models import Conversation, Message
from helpline.operations.models import RetentionPolicy, RetentionRun
from helpline.operations.retention import retention_run, retention_tick
from helpline.reports.rollups import rollups_rebuild, rollups_refresh
from helpline.reports.selectors import Period, dashboard, figures
from helpline.routing.models import Triage
from tests import report_factories as rf
from tests.case_factories import caller, contact_for, open_case
from tests.factories import persona
from tests.test_sms_inbound import gateway_env, kannel  # noqa: F401  (the fixture is used by name)

ClientFor = Callable[[Staff], Client]
LATER = dt.timedelta(days=8 * 365)  # past every default period


def seed(counsellor: Staff) -> dict[str, Any]:
    """Contacts of every kind with summaries and numbers, three years ago; an SMS thread."""
    start = timezone.now() - dt.timedelta(days=3 * 365)
    made = []
    for i, kind in enumerate(rf.KINDS * 2):
        made.append(
            rf.enter(
                counsellor,
                channel=rf.CHANNELS[i % 3],
                arrived_at=start + dt.timedelta(hours=7 * i),
                address=f"tel:+8551200{i:04d}",
                kind=kind,
                gender=rf.GENDERS[i % 5],
                province=rf.PROVINCES[i % 6],
                age=10 + i % 8,
                urgency=rf.URGENCIES[i % 4] if kind in rf.DATA_KINDS else "",
                summary=f"the child said something private {i}" if kind in rf.DATA_KINDS else "",
            )
        )
    kannel(sender="85599887766", msg_id="r-1", text="a private message")
    Conversation.objects.update(is_open=False)  # the thread ended
    return {"contacts": made}


def all_figures(viewer: Staff) -> Any:
    today = timezone.localdate()
    period = Period(today - dt.timedelta(days=4 * 365), today)
    return figures(viewer, period), dashboard(viewer, period)


def test_retention_erases_personal_details_and_the_report_figures_do_not_move(
    counsellor: Staff, supervisor: Staff, data_officer: Staff
) -> None:
    seed(counsellor)
    closed = open_case(counsellor, nickname="Dara")
    note_add(counsellor, case=closed, text="what the child told us")
    held = open_case(counsellor, nickname="Sokha", who=caller("+85512399999"))
    note_add(counsellor, case=held, text="evidence for the court")
    long_ago = timezone.now() - dt.timedelta(days=365)
    Case.objects.filter(pk__in=[closed.pk, held.pk]).update(status="closed", closed_at=long_ago)
    case_legal_hold_set(supervisor, case=held, hold=True, reason="Police investigation under way")
    # At once: a first refresh rebuilds month by month within a time budget, which a busy machine
    # can run out of before three years are counted.
    rollups_rebuild()
    before = all_figures(data_officer)
    assert before[0].total > 20

    run = retention_run(now=timezone.now() + LATER)
    rollups_refresh()
    assert all_figures(data_officer) == before  # the incremental ledger
    rollups_rebuild()
    assert all_figures(data_officer) == before  # and a rebuild from the raw rows

    held_contacts = set(held.contacts.values_list("pk", flat=True))
    # Everything but the held case's contacts and the SMS still waiting for an answer.
    others = Contact.objects.exclude(pk__in=held_contacts).exclude(status="waiting")
    assert not others.exclude(summary="").exists() and not others.exclude(caller=None).exists()
    assert not Message.objects.exclude(text="").exists()
    closed.refresh_from_db()
    assert closed.nickname == "" and closed.erased_at is not None
    assert set(CaseNote.objects.filter(case=closed).values_list("text", flat=True)) == {""}
    assert set(NoteRevision.objects.filter(note__case=closed).values_list("text", flat=True)) == {""}
    held.refresh_from_db()
    assert held.nickname == "Sokha" and held.erased_at is None
    assert CaseNote.objects.get(case=held).text == "evidence for the court"
    assert Contact.objects.filter(pk__in=held_contacts).exclude(caller=None).exists()
    assert not Caller.objects.filter(contacts__isnull=True).exclude(address_encrypted="").exists()
    assert (run.cases, run.held_cases) == (1, 1) and run.contacts >= 20 and run.messages >= 1
    assert audit_chain_verify().intact
    event = AuditEvent.objects.get(action="retention.run")
    assert event.detail == {
        "contacts": run.contacts,
        "cases": 1,
        "messages": run.messages,
        "feedback": 0,
        "held_cases": 1,
        "audit_events": 0,
    }


def test_nothing_is_erased_before_its_time(counsellor: Staff) -> None:
    seed(counsellor)
    policy = RetentionPolicy.objects.get_or_create(pk=1)[0]
    RetentionPolicy.objects.filter(pk=policy.pk).update(
        non_data_contact_days=5 * 365, message_text_days=5 * 365
    )
    run = retention_run()
    assert (run.contacts, run.cases, run.messages) == (0, 0, 0)
    assert Contact.objects.exclude(summary="").exists() and Message.objects.exclude(text="").exists()


def test_non_data_contacts_go_after_two_years_and_recorded_ones_stay(counsellor: Staff) -> None:
    seed(counsellor)  # three years old
    run = retention_run()
    assert run.contacts > 0
    erased = Contact.objects.filter(caller=None)
    assert erased.exists() and not erased.filter(kind__in=rf.DATA_KINDS).exists()
    assert Contact.objects.filter(kind__in=rf.DATA_KINDS).exclude(summary="").count() == 6


def test_a_live_case_keeps_its_messages(counsellor: Staff) -> None:
    kannel(sender="85511122233", msg_id="live-1", text="please help")
    contact = Message.objects.get(provider_message_id="live-1").conversation.contact
    open_case(counsellor).contacts.add(
        contact, through_defaults={"linked_by": counsellor, "linked_at": timezone.now()}
    )
    Conversation.objects.update(is_open=False)
    retention_run(now=timezone.now() + dt.timedelta(days=120))
    assert Message.objects.get(provider_message_id="live-1").text == "please help"


def test_message_text_retention_takes_what_triage_kept_and_a_second_run_erases_nothing(
    counsellor: Staff,
) -> None:
    kannel(sender="85511122244", msg_id="risk-1", text="my father hits me and I want to die")
    Conversation.objects.update(is_open=False)
    triage = Triage.objects.get(contact__conversation__messages__provider_message_id="risk-1")
    assert "want to die" in triage.matched
    later = timezone.now() + dt.timedelta(days=120)  # past the message text period only
    first = retention_run(now=later)
    triage.refresh_from_db()
    assert first.messages >= 1 and triage.matched == [] and triage.score >= 20
    again = retention_run(now=later)
    assert (again.contacts, again.cases, again.messages) == (0, 0, 0)
    assert AuditEvent.objects.filter(action="messages.erase").count() == 1


def test_an_erased_thread_no_longer_names_a_caller_who_called_again(counsellor: Staff) -> None:
    kannel(sender="85511122255", msg_id="old-1", text="hello")
    old = Message.objects.get(provider_message_id="old-1").conversation.contact
    Conversation.objects.update(is_open=False)
    three_years = timezone.now() - dt.timedelta(days=3 * 365)
    Contact.objects.filter(pk=old.pk).update(status="closed", kind="blank", arrived_at=three_years)
    again = contact_for(counsellor, who=caller("+85511122255"))  # the same number, today
    assert retention_run().contacts == 1
    thread = Conversation.objects.get(contact=old)
    assert thread.contact.caller is None and thread.caller is None
    again.refresh_from_db()
    assert again.caller == caller("+85511122255")


def test_the_scheduler_runs_retention_once_a_day_and_not_when_off(db: None) -> None:
    assert retention_tick() is not None
    assert retention_tick() is None
    RetentionRun.objects.update(started_at=timezone.now() - dt.timedelta(days=1))
    RetentionPolicy.objects.update(enabled=False)
    assert retention_tick() is None


def test_only_a_supervisor_sets_a_legal_hold(counsellor: Staff, supervisor: Staff) -> None:
    case = open_case(counsellor)
    with pytest.raises(CaseError):
        case_legal_hold_set(counsellor, case=case, hold=True, reason="because")
    case_legal_hold_set(supervisor, case=case, hold=True, reason="court order 12/2026")
    case.refresh_from_db()
    assert case.legal_hold_at is not None and case.legal_hold_by == supervisor
    assert AuditEvent.objects.filter(action="case.legal_hold", record_id=str(case.pk)).exists()
    assert "court order" not in repr(list(AuditEvent.objects.values()))


def test_an_administrator_sets_the_periods_on_the_page(administrator: Staff, client_for: ClientFor) -> None:
    client = client_for(administrator)
    assert client.get("/operations/retention/").status_code == 200
    form = {
        "non_data_contact_days": "365",
        "contact_days": "2000",
        "closed_case_days": "2500",
        "message_text_days": "30",
        "feedback_days": "1000",
        "audit_days": "4000",
        "enabled": "on",
    }
    assert client.post("/operations/retention/", form).status_code == 302
    assert RetentionPolicy.objects.get().message_text_days == 30
    assert AuditEvent.objects.filter(action="retention.policy_change", actor=administrator).exists()
    # The audit trail must be kept longest.
    assert client.post("/operations/retention/", {**form, "audit_days": "100"}).status_code == 400
    assert RetentionPolicy.objects.get().audit_days == 4000


def test_a_supervisor_may_not_change_the_periods(supervisor: Staff, client_for: ClientFor) -> None:
    assert client_for(supervisor).post("/operations/retention/", {"audit_days": "1"}).status_code == 403
    assert not RetentionPolicy.objects.filter(audit_days=1).exists()


def test_a_counsellor_may_not_set_a_legal_hold_through_the_page(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    response = client_for(counsellor).post(
        f"/operations/cases/{case.pk}/legal-hold/", {"reason": "x", "hold": "1"}
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.legal_hold_at is None


def test_a_supervisor_sets_a_legal_hold_through_the_page(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    response = client_for(supervisor).post(
        f"/operations/cases/{case.pk}/legal-hold/", {"reason": "court order", "hold": "1"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.legal_hold_at is not None and case.legal_hold_reason == "court order"


def test_the_data_officer_role_has_no_retention_page(client_for: ClientFor, db: None) -> None:
    officer = persona(Role.DATA_OFFICER, username="officer2")
    assert client_for(officer).get("/operations/retention/").status_code == 403
