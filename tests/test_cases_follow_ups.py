"""Follow-ups: a due time, an owner and safe-contact instructions shown wherever someone is about to
contact the child; the scheduler reminds the owner live when one falls due; completing one records
what happened."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.accounts.services import api_token_create
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.cases import followups
from helpline.cases.jobs import PERIODIC
from helpline.cases.models import EventKind, FollowUp, FollowUpStatus
from helpline.cases.services import CaseError
from helpline.common import live
from helpline.operations.registry import periodic_jobs
from tests.case_factories import caller, contact_for, open_case
from tests.factories import persona
from tests.test_callbacks import call_back, missed_call
from tests.test_live_pushes import listen

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
SAFE = "Call only after 5 pm; if an adult answers, say it is a wrong number."


def schedule(staff: Staff, case: object, *, hours: float = 1, owner: Staff | None = None) -> FollowUp:
    return followups.follow_up_schedule(
        staff,
        case=case,  # type: ignore[arg-type]
        kind="call_back",
        due_at=timezone.now() + dt.timedelta(hours=hours),
        owner=owner or staff,
        instructions=SAFE,
    )


def test_a_follow_up_is_scheduled_on_the_timeline_and_done_with_what_happened(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    follow_up = schedule(counsellor, case)
    client = client_for(counsellor)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert SAFE in page  # the case page shows the instructions
    assert (
        client.post(f"/cases/{case.pk}/follow-ups/{follow_up.pk}/done/", {"outcome": ""}).status_code == 400
    )
    response = client.post(
        f"/cases/{case.pk}/follow-ups/{follow_up.pk}/done/", {"outcome": "She is safe at school"}
    )
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.DONE and follow_up.outcome == "She is safe at school"
    assert [e.kind for e in case.events.order_by("-at", "-id")][:2] == [
        EventKind.FOLLOW_UP_DONE,
        EventKind.FOLLOW_UP_SCHEDULED,
    ]
    with pytest.raises(CaseError):  # done once only
        followups.follow_up_done(counsellor, follow_up=follow_up, outcome="again")


def test_the_owner_must_be_able_to_see_the_case(counsellor: Staff) -> None:
    case = open_case(counsellor)
    stranger = persona(Role.COUNSELLOR, username="stranger")
    with pytest.raises(CaseError):
        schedule(counsellor, case, owner=stranger)
    assert not FollowUp.objects.exists()


@pytest.mark.django_db(transaction=True)  # the job runs on a thread of its own, as in the scheduler
def test_the_scheduler_reminds_the_owner_once_live_when_one_falls_due(counsellor: Staff) -> None:
    assert any(job.name == "cases.follow_up_reminders" for job in periodic_jobs())
    case = open_case(counsellor)
    follow_up = schedule(counsellor, case, hours=0.5)
    assert followups.follow_ups_remind_due() == 0  # not yet due
    later = timezone.now() + dt.timedelta(hours=1)
    got = listen(
        {
            "owner": [live.staff_group(counsellor.pk)],
            "other": [live.staff_group(persona(Role.COUNSELLOR, username="x").pk)],
        },
        lambda: followups.follow_ups_remind_due(later),
    )
    assert [e["reason"] for e in got["owner"]] == [followups.FOLLOW_UP_DUE]
    assert got["owner"][0]["number"] == case.number and got["other"] == []
    follow_up.refresh_from_db()
    assert follow_up.reminded_at == later
    assert followups.follow_ups_remind_due(later) == 0  # once
    assert (
        AuditEvent.objects.filter(action=AuditAction.CASE_FOLLOW_UP_REMIND, actor_label="scheduler").count()
        == 1
    )


def test_the_reminder_job_runs_through_the_same_function() -> None:
    (job,) = PERIODIC
    assert job.function is followups.follow_ups_remind_due and job.seconds <= 60


def test_due_follow_ups_appear_on_the_owners_console_panel_and_the_supervisors_board(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    follow_up = schedule(counsellor, case, hours=0.01)
    FollowUp.objects.filter(pk=follow_up.pk).update(
        due_at=timezone.now() - dt.timedelta(minutes=5)
    )  # overdue
    panel = client_for(counsellor).get("/cases/follow-ups/").content.decode()
    assert case.number in panel and 'role="alert"' in panel
    console = client_for(counsellor).get("/console/").content.decode()
    assert case.number in console and "/cases/follow-ups/" in console
    assert case.number in client_for(supervisor).get("/cases/board/").content.decode()
    other = persona(Role.COUNSELLOR, username="other")
    assert case.number not in client_for(other).get("/cases/follow-ups/").content.decode()


def test_instructions_are_shown_to_whoever_holds_the_childs_next_contact(
    counsellor: Staff, client_for: ClientFor
) -> None:
    child = caller()
    case = open_case(counsellor, who=child)
    schedule(counsellor, case)
    colleague = persona(Role.COUNSELLOR, username="colleague")
    new = contact_for(colleague, who=child)
    page = client_for(colleague).get(f"/console/{new.pk}/").content.decode()
    assert SAFE in page and case.number in page


def test_instructions_are_shown_on_the_call_back(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    call = missed_call()
    case = open_case(counsellor, who=call.contact.caller)
    schedule(counsellor, case)
    client = client_for(supervisor)
    response = call_back(client, call)
    page = client.get(response["Location"]).content.decode()  # type: ignore[index]
    assert SAFE in page and case.number in page


def test_who_reads_no_case_gets_no_case_number_or_instruction_from_the_caller_history(
    administrator: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    # Administrators see every contact but read no case file; an integration token reads none.
    child = caller()
    case = open_case(counsellor, who=child)
    schedule(counsellor, case)
    later = contact_for(counsellor, who=child)
    page = client_for(administrator).get(f"/contacts/{later.pk}/")
    assert page.status_code == 200 and later.short_id in page.content.decode()
    assert SAFE not in page.content.decode() and case.number not in page.content.decode()
    _token, raw = api_token_create(None, name="it", scopes=["callers:read", "contacts:read"])
    body = (
        Client()
        .get("/api/v1/callers/history", {"address": "tel:+85512345678"}, HTTP_AUTHORIZATION=f"Bearer {raw}")
        .json()
    )
    assert body["total"] == 2 and body["open_case_ids"] == []


def local_minute(at: dt.datetime) -> str:
    """As the form's date-time field sends it: local time, to the minute."""
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def test_the_form_refuses_a_follow_up_due_more_than_a_year_ahead_in_the_readers_language(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    client = client_for(counsellor)
    url = f"/cases/{case.pk}/follow-ups/"
    for due in ("2030-01-10T10:00", local_minute(timezone.now() + dt.timedelta(days=366))):
        refused = client.post(url, {"kind": "call_back", "due_at": due, "owner": "counsellor"})
        assert refused.status_code == 400, due
        assert "A follow-up is due within a year" in refused.content.decode()
    counsellor.language = "km"
    counsellor.save(update_fields=["language"])
    khmer = client_for(counsellor).post(
        url, {"kind": "call_back", "due_at": "2030-01-10T10:00", "owner": "counsellor"}
    )
    assert khmer.status_code == 400
    assert "ការតាមដានត្រូវមានពេលកំណត់មិនលើសពីមួយឆ្នាំទៅមុខ" in khmer.content.decode()
    assert not FollowUp.objects.exists()
    within = local_minute(timezone.now() + dt.timedelta(days=364))
    made = client.post(url, {"kind": "call_back", "due_at": within, "owner": "counsellor"})
    assert made.status_code == 302 and FollowUp.objects.count() == 1


def test_the_api_refuses_a_follow_up_due_more_than_a_year_ahead_and_says_why(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    client = client_for(counsellor)
    url = f"/api/v1/cases/{case.pk}/followups"
    far = (timezone.now() + dt.timedelta(days=366)).isoformat()
    for due in ("2030-01-10T10:00:00+07:00", far):
        refused = client.post(url, {"kind": "call_back", "due_at": due}, content_type="application/json")
        assert refused.status_code == 422, refused.content
        assert refused.json()["detail"].startswith("due_at: A follow-up is due within a year")
    assert not FollowUp.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_FOLLOW_UP_SCHEDULE).exists()
    near = (timezone.now() + dt.timedelta(days=364)).isoformat()
    made = client.post(url, {"kind": "call_back", "due_at": near}, content_type="application/json")
    assert made.status_code == 201 and FollowUp.objects.count() == 1
