"""The case pages: opened from the console in one click, later contacts linked, the list, the case
page with its plan, notes and timeline; bad input refused with a clear 4xx that changes nothing."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import PoliceCheck, Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.cases import followups, selectors, services, supervision
from helpline.cases.models import (
    Case,
    CaseEvent,
    CaseStatus,
    ConfidentialityBreak,
    EventKind,
    FollowUp,
    SignOff,
)
from helpline.cases.selectors import CaseFilters
from helpline.cases.views import NOTES_SHOWN, TIMELINE_SHOWN
from tests.case_factories import caller, contact_for, open_case
from tests.factories import persona

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]


def snapshot() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        FollowUp.objects.count(),
        ConfidentialityBreak.objects.count(),
        # changes only (reads and refusals are audited too)
        AuditEvent.objects.filter(action__startswith="case").exclude(action=AuditAction.CASE_VIEW).count(),
    )


def local_minute(at: dt.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def test_a_case_is_opened_from_the_console_in_one_click(
    make_persona: Callable[..., Staff], client_for: ClientFor
) -> None:
    counsellor = make_persona(Role.COUNSELLOR, username="km-counsellor", language="km")
    contact = contact_for(counsellor)
    client = client_for(counsellor)
    page = client.get(f"/console/{contact.pk}/")
    assert page.status_code == 200 and f"/cases/open/{contact.pk}/".encode() in page.content
    response = client.post(f"/cases/open/{contact.pk}/")
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    shown = client.get(response["Location"])
    assert shown.status_code == 200 and case.number.encode() in shown.content
    assert "បានបើកករណី".encode() in shown.content  # Khmer first: "Case opened" on the timeline


def test_the_case_page_reads_in_english_for_english_staff(
    make_persona: Callable[..., Staff], client_for: ClientFor
) -> None:
    staff = make_persona(Role.COUNSELLOR, username="en-counsellor", language="en")
    case = open_case(staff)
    page = client_for(staff).get(f"/cases/{case.pk}/")
    assert b"Case opened" in page.content and b"Timeline" in page.content


def test_a_colleague_holding_the_childs_new_contact_is_offered_the_open_case(
    counsellor: Staff, client_for: ClientFor
) -> None:
    child = caller()
    case = open_case(counsellor, who=child)
    colleague = persona(Role.COUNSELLOR, username="colleague")
    new = contact_for(colleague, who=child)
    client = client_for(colleague)
    page = client.get(f"/console/{new.pk}/")
    assert case.number.encode() in page.content  # caller history's open cases, and the offer to link
    assert f"/cases/{case.pk}/link/{new.pk}/".encode() in page.content
    assert client.get(f"/cases/{case.pk}/").status_code == 404  # not theirs until linked
    assert client.post(f"/cases/{case.pk}/link/{new.pk}/").status_code == 302
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE and case.contacts.count() == 2
    linked = client.get(f"/console/{new.pk}/").content
    assert f"/cases/{case.pk}/link/".encode() not in linked and f"/cases/{case.pk}/".encode() in linked


def test_linking_a_contact_the_user_cannot_see_is_refused_and_changes_nothing(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    stranger = persona(Role.COUNSELLOR, username="stranger")
    theirs = contact_for(stranger)
    before = snapshot()
    assert client_for(counsellor).post(f"/cases/{case.pk}/link/{theirs.pk}/").status_code == 404
    assert snapshot() == before


def test_the_case_list_filters_and_exports_what_it_shows(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    high = open_case(counsellor, risk="high", nickname="Srey")
    open_case(counsellor, risk="low")
    client = client_for(supervisor)
    listed = client.get("/cases/", {"risk": "high"})
    assert listed.status_code == 200 and [c.pk for c in listed.context["page"].items] == [high.pk]
    assert client.get("/cases/", {"number": high.number[-2:]}).context["page"].items[0] == high
    export = client.get("/cases/export.csv", {"risk": "high"})
    body = b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]
    assert high.number in body and body.count("\n") == 2 and "Srey" not in body
    assert AuditEvent.objects.filter(action=AuditAction.CASE_EXPORT, actor=supervisor).exists()
    assert client.get("/cases/", {"opened_from": "1900-01-01"}).status_code == 400


def test_administrators_and_data_officers_are_refused_the_case_pages(
    administrator: Staff, data_officer: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    for staff in (administrator, data_officer):
        client = client_for(staff)
        assert client.get("/cases/").status_code == 403
        assert client.get(f"/cases/{case.pk}/").status_code == 403


def test_plan_notes_and_earlier_text_for_supervisors(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    client = client_for(counsellor)
    assert client.post(f"/cases/{case.pk}/goals/", {"text": "Back to school"}).status_code == 302
    assert client.post(f"/cases/{case.pk}/notes/", {"text": "first words"}).status_code == 302
    note = case.notes.get()
    assert (
        client.post(f"/cases/{case.pk}/notes/{note.pk}/", {"text": "better words", "revision": 1}).status_code
        == 302
    )
    own = client.get(f"/cases/{case.pk}/").content
    assert b"better words" in own and b"first words" not in own  # earlier text: supervisors only
    assert b"first words" in client_for(supervisor).get(f"/cases/{case.pk}/").content
    kinds = [e.kind for e in case.events.order_by("-at", "-id")]
    assert kinds[:3] == [EventKind.NOTE_EDITED, EventKind.NOTE_ADDED, EventKind.GOAL_ADDED]


def test_the_timeline_is_newest_first(counsellor: Staff, client_for: ClientFor) -> None:
    case = open_case(counsellor)
    services.goal_add(counsellor, case=case, text="Goal A")
    services.note_add(counsellor, case=case, text="Note B")
    page = client_for(counsellor).get(f"/cases/{case.pk}/")
    timeline = page.context["timeline"].items
    assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)
    assert timeline[0].kind == EventKind.NOTE_ADDED


def test_the_case_page_shows_the_newest_entries_and_the_earlier_ones_on_asking(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    for n in range(TIMELINE_SHOWN + 5):
        services.note_add(counsellor, case=case, text=f"Note {n}")
    client = client_for(counsellor)
    page = client.get(f"/cases/{case.pk}/")
    shown = page.context["timeline"]
    assert len(shown.items) == TIMELINE_SHOWN and shown.next_cursor
    earlier_url = f"/cases/{case.pk}/timeline/?cursor={shown.next_cursor}"
    assert b"Show earlier entries" in page.content
    earlier = client.get(earlier_url, headers={"HX-Request": "true"})
    assert earlier.status_code == 200
    rest = earlier.context["timeline"]
    # The rest: the oldest notes, "contact linked" and "opened", and nothing more to ask for.
    assert len(rest.items) == 7 and rest.next_cursor is None
    assert {e.kind for e in rest.items[-2:]} == {EventKind.OPENED, EventKind.CONTACT_LINKED}
    assert b"<html" not in earlier.content and earlier.content.count(b"<li") == 7
    every = [e.pk for e in shown.items + rest.items]
    assert every == list(case.events.order_by("-at", "-id").values_list("pk", flat=True))
    # Without script, the link opens a page of its own.
    assert b"<html" in client.get(earlier_url).content
    assert client.get(f"/cases/{case.pk}/timeline/?cursor=nonsense").status_code == 400


def test_the_case_page_shows_the_newest_notes_and_the_earlier_ones_on_asking(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    for n in range(NOTES_SHOWN + 3):
        services.note_add(counsellor, case=case, text=f"Note number {n}.")
    oldest = case.notes.order_by("written_at", "id").first()
    assert oldest is not None
    services.note_edit(counsellor, note=oldest, text="Note number 0, better words.", revision=1)
    client = client_for(counsellor)
    page = client.get(f"/cases/{case.pk}/")
    assert b"Note number 22." in page.content and b"better words" not in page.content
    shown = page.context["notes"]
    assert len(shown.items) == NOTES_SHOWN and shown.next_cursor
    earlier_url = f"/cases/{case.pk}/notes/earlier/?cursor={shown.next_cursor}"
    earlier = client.get(earlier_url, headers={"HX-Request": "true"})
    assert earlier.status_code == 200 and b"<html" not in earlier.content
    assert b"better words" in earlier.content and b"Note number 2." in earlier.content
    assert earlier.context["notes"].next_cursor is None
    assert b"Show earlier notes" not in earlier.content
    # The earlier text of the edited note: for supervisors only, on the earlier page too.
    assert b"Note number 0." not in earlier.content
    as_supervisor = client_for(supervisor).get(earlier_url, headers={"HX-Request": "true"})
    assert b"Note number 0." in as_supervisor.content
    assert b"<html" in client.get(earlier_url).content
    assert client.get(f"/cases/{case.pk}/notes/earlier/?cursor=nonsense").status_code == 400


def test_earlier_notes_of_a_case_one_may_not_see_are_not_found(
    counsellor: Staff, client_for: ClientFor
) -> None:
    theirs = open_case(persona(Role.COUNSELLOR, username="colleague"))
    assert client_for(counsellor).get(f"/cases/{theirs.pk}/notes/earlier/").status_code == 404
    assert client_for(counsellor).get(f"/cases/{uuid.uuid4()}/notes/earlier/").status_code == 404


def test_earlier_entries_of_a_case_one_may_not_see_are_not_found(
    counsellor: Staff, client_for: ClientFor
) -> None:
    theirs = open_case(persona(Role.COUNSELLOR, username="colleague"))
    assert client_for(counsellor).get(f"/cases/{theirs.pk}/timeline/").status_code == 404
    assert client_for(counsellor).get(f"/cases/{uuid.uuid4()}/timeline/").status_code == 404


# --- Bad input: a clear 4xx, nothing changed -----------------------------------------------


def test_editing_a_notes_earlier_text_is_a_conflict(counsellor: Staff, client_for: ClientFor) -> None:
    case = open_case(counsellor)
    note = services.note_add(counsellor, case=case, text="one")
    services.note_edit(counsellor, note=note, text="two", revision=1)
    before = snapshot()
    response = client_for(counsellor).post(
        f"/cases/{case.pk}/notes/{note.pk}/", {"text": "zero", "revision": 1}
    )
    assert response.status_code == 409 and response.context["error"]
    assert snapshot() == before


def test_a_follow_up_due_in_the_past_is_refused(counsellor: Staff, client_for: ClientFor) -> None:
    case = open_case(counsellor)
    before = snapshot()
    response = client_for(counsellor).post(
        f"/cases/{case.pk}/follow-ups/",
        {
            "kind": "call_back",
            "due_at": local_minute(timezone.now() - dt.timedelta(hours=2)),
            "owner": "counsellor",
        },
    )
    assert response.status_code == 400 and "passed" in str(response.context["error"])
    assert snapshot() == before


def test_a_refused_form_comes_back_as_it_was_typed_and_a_break_edits_from_what_it_says(
    counsellor: Staff, client_for: ClientFor
) -> None:
    """What the counsellor wrote is never lost to a refusal, whether the form or the service refused."""
    case = open_case(counsellor)
    client = client_for(counsellor)
    page = client.post(
        f"/cases/{case.pk}/follow-ups/",
        {
            "kind": "call_back",
            "due_at": local_minute(timezone.now() - dt.timedelta(hours=2)),
            "owner": "counsellor",
            "instructions": "Call only after 5 pm; if an adult answers, say wrong number",
        },
    ).content.decode()
    assert "Call only after 5 pm; if an adult answers, say wrong number</textarea>" in page
    form = {"reason": "emergency", "disclosed": "her address", "recipient_kind": "partner", "recipient": ""}
    page = client.post(f"/cases/{case.pk}/breaks/", form).content.decode()
    assert "her address</textarea>" in page and "<details open>" in page
    made = client.post(
        f"/cases/{case.pk}/breaks/",
        form
        | {
            "recipient": "Shelter",
            "disclosed_at": local_minute(timezone.now()),
            "client_told_first": "on",
            "decided_by": "counsellor",
        },
    )
    assert made.status_code == 302
    brk = case.breaks.get()
    edit = client.get(f"/cases/{case.pk}/breaks/{brk.pk}/edit/").content.decode()
    assert 'value="Shelter"' in edit  # the edit form starts from the break, not empty


def test_closing_with_open_follow_ups_and_no_reason_is_refused(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    followups.follow_up_schedule(
        counsellor,
        case=case,
        kind="call_back",
        due_at=timezone.now() + dt.timedelta(days=1),
        owner=counsellor,
    )
    before = snapshot()
    response = client_for(counsellor).post(f"/cases/{case.pk}/close/", {"reason": ""})
    assert response.status_code == 400
    assert snapshot() == before
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_a_break_without_a_reason_or_recipient_is_refused(counsellor: Staff, client_for: ClientFor) -> None:
    case = open_case(counsellor)
    client = client_for(counsellor)
    base = {
        "reason": "risk_to_life",
        "disclosed": "She said he hits her",
        "recipient_kind": "authority",
        "recipient": "Police, Phnom Penh",
        "disclosed_at": local_minute(timezone.now()),
        "client_told_first": "on",
        "decided_by": "counsellor",
    }
    before = snapshot()
    for missing in ("reason", "recipient", "recipient_kind"):
        response = client.post(f"/cases/{case.pk}/breaks/", base | {missing: ""})
        assert response.status_code == 400, missing
    not_told = {k: v for k, v in base.items() if k != "client_told_first"}
    assert client.post(f"/cases/{case.pk}/breaks/", not_told).status_code == 400  # why not told?
    assert snapshot() == before
    assert client.post(f"/cases/{case.pk}/breaks/", base).status_code == 302


def test_a_transition_the_status_machine_forbids_is_a_conflict(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    supervision.closure_request(counsellor, case=case, reason="")
    supervision.closure_approve(supervisor, case=case)
    client = client_for(supervisor)
    before = snapshot()
    # closed → active without reopening: neither a send-back nor a new closure approval
    assert client.post(f"/cases/{case.pk}/close/send-back/", {"reason": "no"}).status_code == 409
    assert client.post(f"/cases/{case.pk}/close/approve/").status_code == 409
    assert client.post(f"/cases/{case.pk}/goals/", {"text": "x"}).status_code in {302, 400, 409}
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert snapshot()[0] == before[0]


# --- Supervision -------------------------------------------------------------------------------


def test_closure_is_requested_then_approved_or_sent_back_by_a_supervisor(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    mine = client_for(counsellor)
    assert mine.post(f"/cases/{case.pk}/close/", {"reason": "She is safe"}).status_code == 302
    assert mine.post(f"/cases/{case.pk}/close/approve/").status_code == 403  # not a supervisor
    boss = client_for(supervisor)
    assert case.number.encode() in boss.get("/cases/board/").content
    assert boss.post(f"/cases/{case.pk}/close/send-back/", {"reason": ""}).status_code == 400
    assert boss.post(f"/cases/{case.pk}/close/send-back/", {"reason": "One more call"}).status_code == 302
    assert mine.post(f"/cases/{case.pk}/close/", {"reason": "Done now"}).status_code == 302
    assert boss.post(f"/cases/{case.pk}/close/approve/").status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert mine.post(f"/cases/{case.pk}/reopen/", {"reason": "She called again"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED and case.events.count() >= 7


def test_a_break_is_signed_off_and_once_approved_only_corrected(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    form = {
        "reason": "emergency",
        "disclosed": "address",
        "recipient_kind": "partner",
        "recipient": "Shelter",
        "disclosed_at": local_minute(timezone.now()),
        "not_told_why": "She had hung up",
        "decided_by": "supervisor",
    }
    mine, boss = client_for(counsellor), client_for(supervisor)
    assert mine.post(f"/cases/{case.pk}/breaks/", form).status_code == 302
    brk = ConfidentialityBreak.objects.get()
    assert brk.case.number.encode() in boss.get("/cases/board/").content
    assert (
        mine.post(f"/cases/{case.pk}/breaks/{brk.pk}/sign-off/", {"decision": "approve"}).status_code == 403
    )
    assert (
        boss.post(f"/cases/{case.pk}/breaks/{brk.pk}/sign-off/", {"decision": "question"}).status_code == 400
    )
    # No decision chosen is no decision: the list starts empty, so a click alone approves nothing.
    page = boss.get(f"/cases/{case.pk}/").content.decode()
    decision = page[page.index('name="decision"') :]
    assert decision.index('value=""') < decision.index('value="approve"')
    assert boss.post(f"/cases/{case.pk}/breaks/{brk.pk}/sign-off/", {"comment": ""}).status_code == 400
    brk.refresh_from_db()
    assert brk.sign_off == SignOff.PENDING
    assert (
        boss.post(f"/cases/{case.pk}/breaks/{brk.pk}/sign-off/", {"decision": "approve"}).status_code == 302
    )
    brk.refresh_from_db()
    assert brk.sign_off == SignOff.APPROVED
    before = snapshot()
    assert mine.post(f"/cases/{case.pk}/breaks/{brk.pk}/", form | {"recipient": "Other"}).status_code == 409
    assert snapshot() == before
    assert (
        mine.post(
            f"/cases/{case.pk}/breaks/{brk.pk}/", form | {"recipient": "Other", "correction": "1"}
        ).status_code
        == 302
    )
    correction = ConfidentialityBreak.objects.exclude(pk=brk.pk).get()
    assert correction.corrects == brk and correction.sign_off == SignOff.PENDING
    brk.refresh_from_db()
    assert brk.recipient == "Shelter"


def test_stale_cases_follow_the_days_set_on_the_settings_page(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = services.case_open(counsellor, contacts=[contact_for(counsellor, days_ago=10)])
    boss = client_for(supervisor)
    assert case.number.encode() not in boss.get("/cases/board/").content  # 30 days by default
    assert client_for(counsellor).post("/cases/settings/", {"stale_days": 7}).status_code == 403
    assert boss.post("/cases/settings/", {"stale_days": 0}).status_code == 400
    assert boss.post("/cases/settings/", {"stale_days": 7}).status_code == 302
    assert AuditEvent.objects.get(action=AuditAction.CASE_SETTINGS_UPDATE).changes == {"stale_days": [30, 7]}
    assert case.number.encode() in boss.get("/cases/board/").content


def test_high_risk_cases_are_on_the_board(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    high = open_case(counsellor, risk="critical")
    low = open_case(counsellor, risk="low")
    board = client_for(supervisor).get("/cases/board/")
    assert high in board.context["board"].high_risk and low not in board.context["board"].high_risk


def test_assignment_from_the_case_page_carries_a_reason(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    persona(Role.CASE_MANAGER, username="manager")
    boss = client_for(supervisor)
    assert boss.post(f"/cases/{case.pk}/assign/", {"assignee": "manager", "reason": ""}).status_code == 400
    assert (
        boss.post(f"/cases/{case.pk}/assign/", {"assignee": "manager", "reason": "Long-term"}).status_code
        == 302
    )
    assert (
        client_for(counsellor)
        .post(f"/cases/{case.pk}/assign/", {"assignee": "counsellor", "reason": "x"})
        .status_code
        == 403
    )
    case.refresh_from_db()
    assert case.assignee is not None and case.assignee.username == "manager"


def test_the_trail_of_a_list_search_names_the_nickname_field_not_the_child(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    open_case(counsellor, nickname="Srey Mom")
    listed = client_for(supervisor).get("/cases/", {"nickname": "Srey Mom", "risk": "low"})
    assert listed.status_code == 200 and len(listed.context["page"].items) == 1
    row = AuditEvent.objects.filter(action=AuditAction.CASE_LIST, actor=supervisor).latest("pk")
    assert "Srey" not in str(row.detail) and "nickname" in str(row.detail)
    assert row.detail["risk"] == "low"  # a code, not the child's words: kept


def test_the_export_keeps_a_spreadsheet_from_reading_a_cell_as_a_formula(
    supervisor: Staff, client_for: ClientFor
) -> None:
    # Usernames may start with "+", "-" or "@", each of which a spreadsheet reads as a formula.
    open_case(persona(Role.COUNSELLOR, username="-1+1"))
    export = client_for(supervisor).get("/cases/export.csv")
    body = b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]
    row = body.splitlines()[1].split(",")
    assert row[4] == "'-1+1"


def test_a_follow_up_is_offered_only_to_colleagues_through_the_safeguarding_gate(
    counsellor: Staff, client_for: ClientFor
) -> None:
    from helpline.accounts.models import PoliceCheck

    case = open_case(counsellor)
    lapsed = persona(Role.COUNSELLOR, username="lapsing")
    PoliceCheck.objects.filter(staff=lapsed).delete()
    page = client_for(counsellor).get(f"/cases/{case.pk}/").content.decode()
    assert 'value="lapsing"' not in page and f'value="{counsellor.username}"' in page


def test_the_number_filter_finds_a_case_by_its_whole_number_or_its_serial(
    counsellor: Staff, supervisor: Staff
) -> None:
    cases = [open_case(counsellor) for _ in range(11)]
    first, eleventh = cases[0], cases[10]
    year = first.number.split("-")[1]

    def found(typed: str) -> set[str]:
        return {c.number for c in selectors.case_search(supervisor, CaseFilters(number=typed))}

    assert first.number.endswith("-00001") and eleventh.number.endswith("-00011")
    assert found("1") == found("00001") == found(f"{year}-1") == found(first.number.lower()) == {first.number}
    assert found("11") == {eleventh.number}
    assert found(f"{int(year) - 1}-1") == set()
    assert found("C-1999-00001") == set()


def test_the_timeline_names_the_scheduler_and_the_partner_in_the_readers_language(
    make_persona: Callable[..., Staff], client_for: ClientFor
) -> None:
    counsellor = make_persona(Role.COUNSELLOR, username="km-counsellor", language="km")
    case = open_case(counsellor)
    services.record_event(case, None, EventKind.FOLLOW_UP_DONE, summary="zq1")
    services.record_event(case, None, EventKind.REFERRAL, summary="zq2", by="partner")
    page = client_for(counsellor).get(f"/cases/{case.pk}/").content.decode()
    lines = {line.split("zq")[1][0]: line for line in page.split("<li") if "zq" in line}
    assert "ប្រព័ន្ធកំណត់ពេល" in lines["1"] and "scheduler" not in lines["1"]
    assert "ដៃគូ" in lines["2"] and "partner" not in lines["2"].split("·", 2)[2]


def _follow_up_owners(page: str) -> set[str]:
    """The usernames the follow-up form's "Owner" box offers."""
    box = page.split('id="id_follow_up_owner"', 1)[1].split("</select>", 1)[0]
    return {v for v in re.findall(r'value="([^"]*)"', box) if v}


def test_a_follow_up_owner_is_offered_and_accepted_only_if_they_could_open_the_case(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    """A counsellor with no part in the case, an administrator and a lapsed case manager cannot
    open it: the box leaves them out and a hand-made POST naming one is refused, nothing written.
    Those who could (its assignee, a supervisor, a counsellor who handled one of its contacts, a
    vetted case manager) are all offered."""
    case = open_case(counsellor)
    helper = persona(Role.COUNSELLOR, username="helper")
    services.case_link_contact(supervisor, case=case, contact=contact_for(helper))
    persona(Role.COUNSELLOR, username="stranger")
    persona(Role.ADMINISTRATOR, username="admin2")
    manager = persona(Role.CASE_MANAGER, username="manager")
    lapsed = persona(Role.CASE_MANAGER, username="lapsed-manager")
    PoliceCheck.objects.filter(staff=lapsed).delete()
    for viewer in (supervisor, counsellor):
        page = client_for(viewer).get(f"/cases/{case.pk}/").content.decode()
        assert _follow_up_owners(page) == {"counsellor", "supervisor", "helper", "manager"}
        for username in _follow_up_owners(page):
            who = Staff.objects.get(username=username)
            assert selectors.access_case(who, case.pk) == case
    before = snapshot()
    for outsider in ("stranger", "admin2", "lapsed-manager"):
        refused = client_for(supervisor).post(
            f"/cases/{case.pk}/follow-ups/",
            {
                "kind": "call_back",
                "due_at": local_minute(timezone.now() + dt.timedelta(hours=2)),
                "owner": outsider,
            },
        )
        assert refused.status_code == 400 and snapshot() == before
    made = client_for(supervisor).post(
        f"/cases/{case.pk}/follow-ups/",
        {
            "kind": "call_back",
            "due_at": local_minute(timezone.now() + dt.timedelta(hours=2)),
            "owner": "manager",
        },
    )
    assert made.status_code == 302 and case.follow_ups.get().owner == manager
