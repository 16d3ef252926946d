"""The cases API: every operation under the cases gate (role, safeguarding gate, token scopes, and
cases_visible_to: a case not visible is a 404 as a missing one is), every write through the cases
services (timeline and audit), bad input a clear 4xx that changes nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.accounts.services import api_token_create
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.cases import followups, services
from helpline.cases.models import (
    Case,
    CaseEvent,
    CaseNote,
    CaseStatus,
    ConfidentialityBreak,
    EventKind,
    FollowUp,
)
from helpline.contacts.models import Term
from tests.case_factories import contact_for, open_case
from tests.factories import persona

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
SOON = (timezone.now() + dt.timedelta(days=2)).isoformat()
AN_HOUR_AGO = (timezone.now() - dt.timedelta(hours=1)).isoformat()

# Each operation with a valid body: (method, path, body).
OPERATIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", "/api/v1/cases", None),
    ("get", "/api/v1/cases/{id}", None),
    ("get", "/api/v1/cases/{id}/timeline", None),
    ("patch", "/api/v1/cases/{id}", {"risk": "high"}),
    ("post", "/api/v1/cases/{id}/notes", {"text": "ប្អូននិយាយថាសុខសប្បាយ"}),
    ("post", "/api/v1/cases/{id}/followups", {"kind": "call_back", "due_at": SOON}),
    (
        "post",
        "/api/v1/cases/{id}/confidentiality-breaks",
        {
            "reason": "emergency",
            "disclosed": "where the child is",
            "recipient_kind": "authority",
            "recipient": "commune police",
            "disclosed_at": AN_HOUR_AGO,
            "client_told_first": True,
        },
    ),
    ("post", "/api/v1/cases/{id}/close", {"reason": "goals met"}),
]
WRITES = [op for op in OPERATIONS if op[0] != "get"]


def token(*scopes: str) -> dict[str, str]:
    _t, raw = api_token_create(None, name="it", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def call(client: Client, method: str, path: str, body: Any, case_id: Any = None, **extra: Any) -> Any:
    url = path.replace("{id}", str(case_id))
    if body is None:
        return getattr(client, method)(url, **extra)
    return getattr(client, method)(url, body, content_type="application/json", **extra)


def footprint() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        CaseNote.objects.count(),
        FollowUp.objects.count(),
        ConfidentialityBreak.objects.count(),
    )


# --- The gate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_a_token_without_the_scope_is_refused_and_changes_nothing(
    counsellor: Staff, method: str, path: str, body: Any
) -> None:
    case = open_case(counsellor)
    before = footprint()
    scopes = ("contacts:read", "contacts:write") if method == "get" else ("cases:write",)
    response = call(Client(), method, path, body, case.pk, **token(*scopes))
    assert response.status_code == 403, response.content
    assert "token lacks scope cases:read" in response.json()["detail"]
    assert footprint() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_a_read_only_token_cannot_write(counsellor: Staff, method: str, path: str, body: Any) -> None:
    case = open_case(counsellor)
    before = footprint()
    response = call(Client(), method, path, body, case.pk, **token("cases:read"))
    assert response.status_code == 403 and response.json() == {"detail": "token lacks scope cases:write"}
    assert footprint() == before


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
@pytest.mark.parametrize("who", ["data_officer", "administrator", "lapsed"])
def test_staff_outside_the_gate_get_403_audited(
    request: pytest.FixtureRequest,
    counsellor: Staff,
    client_for: ClientFor,
    who: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    """Data officers and administrators read no case file; a counsellor whose vetting lapsed is
    stopped by the safeguarding gate."""
    staff = request.getfixturevalue(who)
    case = open_case(counsellor)
    before = footprint()
    response = call(client_for(staff), method, path, body, case.pk)
    assert response.status_code == 403, response.content
    assert AuditEvent.objects.filter(action="access.refused", actor=staff).exists()
    assert footprint() == before


def test_a_token_with_the_scopes_sees_no_case_file(counsellor: Staff) -> None:
    """Tokens pass the scope check but cases_visible_to() shows them none (as administrators, who
    create tokens, see none): lists are empty, a case is a 404, opening one is refused."""
    case = open_case(counsellor)
    auth = token("cases:read", "cases:write")
    assert Client().get("/api/v1/cases", **auth).json() == {"items": [], "next_cursor": None}
    before = footprint()
    for method, path, body in OPERATIONS[1:]:
        assert call(Client(), method, path, body, case.pk, **auth).status_code == 404, path
    opened = Client().post(
        "/api/v1/cases", {"contacts": [str(case.contacts.get().pk)]}, content_type="application/json", **auth
    )
    assert opened.status_code == 403
    assert footprint() == before


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS[1:])
def test_a_case_not_visible_is_the_same_404_as_a_missing_one(
    counsellor: Staff, client_for: ClientFor, method: str, path: str, body: Any
) -> None:
    case = open_case(counsellor)
    other = client_for(persona(Role.COUNSELLOR, username="other"))
    before = footprint()
    hidden = call(other, method, path, body, case.pk)
    missing = call(other, method, path, body, uuid.uuid4())
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert footprint() == before


# --- Each operation -----------------------------------------------------------------------------


def test_a_counsellor_opens_a_case_from_contacts_and_reads_it(
    counsellor: Staff, client_for: ClientFor
) -> None:
    first, second = contact_for(counsellor, days_ago=2), contact_for(counsellor)
    client = client_for(counsellor)
    response = client.post(
        "/api/v1/cases",
        {"contacts": [str(first.pk), str(second.pk)], "nickname": "ពៅ", "risk": "medium"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("C-") and body["status"] == "open" and body["risk"] == "medium"
    assert body["assignee"] == "counsellor" and set(body["contacts"]) == {str(first.pk), str(second.pk)}
    assert AuditEvent.objects.filter(action=AuditAction.CASE_OPEN, record_id=body["id"]).exists()
    got = client.get(f"/api/v1/cases/{body['id']}")
    assert got.status_code == 200 and got.json()["nickname"] == "ពៅ"
    assert AuditEvent.objects.filter(action=AuditAction.CASE_VIEW, record_id=body["id"]).exists()


def test_opening_from_a_contact_one_may_not_see_is_refused(counsellor: Staff, client_for: ClientFor) -> None:
    theirs = contact_for(persona(Role.COUNSELLOR, username="other"))
    response = client_for(counsellor).post(
        "/api/v1/cases", {"contacts": [str(theirs.pk)]}, content_type="application/json"
    )
    assert response.status_code == 422 and "contacts" in response.json()["detail"]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{"contacts": []}, {"contacts": ["nope"]}, {"risk": "high"}, [1], {"contacts": [], "risk": "extreme"}],
)
def test_opening_with_bad_input_is_a_422(counsellor: Staff, client_for: ClientFor, body: Any) -> None:
    response = client_for(counsellor).post("/api/v1/cases", body, content_type="application/json")
    assert response.status_code == 422
    assert not Case.objects.exists()


def test_patch_changes_the_profile_and_a_supervisor_reassigns_with_a_reason(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    manager = persona(Role.CASE_MANAGER, username="manager")
    client = client_for(counsellor)
    changed = client.patch(
        f"/api/v1/cases/{case.pk}",
        {"risk": "high", "age": 14, "province": "battambang", "gender": "female"},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["risk"] == "high" and changed.json()["province"] == "battambang"
    # A counsellor does not assign: refused, and the risk given with it is not changed either.
    refused = client.patch(
        f"/api/v1/cases/{case.pk}",
        {"risk": "low", "assignee": "manager", "reason": "case manager"},
        content_type="application/json",
    )
    assert refused.status_code == 422 and "assignee" in refused.json()["detail"]
    case.refresh_from_db()
    assert case.risk == "high" and case.assignee == counsellor
    no_reason = client_for(supervisor).patch(
        f"/api/v1/cases/{case.pk}", {"assignee": "manager"}, content_type="application/json"
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    moved = client_for(supervisor).patch(
        f"/api/v1/cases/{case.pk}",
        {"assignee": "manager", "reason": "needs a case manager"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["assignee"] == "manager"
    assert case.events.filter(kind=EventKind.ASSIGNED, summary="needs a case manager").exists()
    assert manager.assigned_cases.get() == case


@pytest.mark.parametrize(
    "body",
    [{"province": "atlantis"}, {"nickname": None}, {"age": 40}, {"assignee": "nobody", "reason": "x"}, "[]"],
)
def test_patch_with_bad_input_is_a_422_and_changes_nothing(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor, body: Any
) -> None:
    case = open_case(counsellor)
    before = footprint()
    response = client_for(supervisor).patch(f"/api/v1/cases/{case.pk}", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert footprint() == before


def test_linking_a_later_contact(counsellor: Staff, client_for: ClientFor) -> None:
    case = open_case(counsellor)
    later = contact_for(counsellor)
    client = client_for(counsellor)
    url = f"/api/v1/cases/{case.pk}/contacts"
    first = client.post(url, {"contact": str(later.pk)}, content_type="application/json")
    assert first.status_code == 201 and str(later.pk) in first.json()["contacts"]
    assert first.json()["status"] == "active"
    again = client.post(url, {"contact": str(later.pk)}, content_type="application/json")
    assert again.status_code == 200
    theirs = contact_for(persona(Role.COUNSELLOR, username="other"))
    refused = client.post(url, {"contact": str(theirs.pk)}, content_type="application/json")
    assert refused.status_code == 422
    assert case.links.count() == 2


def test_notes_follow_ups_breaks_and_the_closure_request(counsellor: Staff, client_for: ClientFor) -> None:
    case = open_case(counsellor)
    client = client_for(counsellor)
    base = f"/api/v1/cases/{case.pk}"
    note = client.post(f"{base}/notes", {"text": "ប្អូនថាម្ដាយឈឺ"}, content_type="application/json")
    assert note.status_code == 201 and note.json()["revision"] == 1

    instructions = "call only after 5 pm; if an adult answers, say it is a wrong number"
    follow_up = client.post(
        f"{base}/followups",
        {"kind": "call_back", "due_at": SOON, "instructions": instructions},
        content_type="application/json",
    )
    assert follow_up.status_code == 201 and follow_up.json()["instructions"] == instructions
    assert follow_up.json()["owner"] == "counsellor"

    brk = client.post(f"{base}/confidentiality-breaks", OPERATIONS[6][2], content_type="application/json")
    assert brk.status_code == 201 and brk.json()["sign_off"] == "pending"

    # Open follow-ups: closing needs a reason.
    no_reason = client.post(f"{base}/close", {}, content_type="application/json")
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    closing = client.post(f"{base}/close", {"reason": "goals met"}, content_type="application/json")
    assert closing.status_code == 200 and closing.json()["status"] == CaseStatus.PENDING_CLOSURE
    twice = client.post(f"{base}/close", {"reason": "goals met"}, content_type="application/json")
    assert twice.status_code == 409
    late = client.post(
        f"{base}/followups", {"kind": "call_back", "due_at": SOON}, content_type="application/json"
    )
    assert late.status_code == 409

    kinds = set(case.events.values_list("kind", flat=True))
    assert {EventKind.NOTE_ADDED, EventKind.FOLLOW_UP_SCHEDULED, EventKind.BREAK_RECORDED} <= kinds
    assert EventKind.CLOSURE_REQUESTED in kinds
    actions = set(AuditEvent.objects.filter(record_id=str(case.pk)).values_list("action", flat=True))
    assert {
        AuditAction.CASE_NOTE_ADD,
        AuditAction.CASE_FOLLOW_UP_SCHEDULE,
        AuditAction.CASE_BREAK_RECORD,
        AuditAction.CASE_CLOSURE_REQUEST,
    } <= actions


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("notes", {"text": ""}),
        ("notes", {"text": "   "}),
        ("followups", {"kind": "call_back", "due_at": AN_HOUR_AGO}),
        ("followups", {"kind": "call_back", "due_at": "2026-12-01T10:00:00"}),
        ("followups", {"kind": "call_back", "due_at": 1700000000}),
        ("followups", {"kind": "call_back", "due_at": "3026-01-01T10:00:00+07:00"}),
        ("followups", {"kind": "call_back", "due_at": SOON, "owner": "nobody"}),
        ("confidentiality-breaks", {**OPERATIONS[6][2], "reason": ""}),  # type: ignore[dict-item]
        ("confidentiality-breaks", {**OPERATIONS[6][2], "recipient": ""}),  # type: ignore[dict-item]
        ("confidentiality-breaks", {**OPERATIONS[6][2], "client_told_first": False}),  # type: ignore[dict-item]
        ("confidentiality-breaks", {**OPERATIONS[6][2], "disclosed_at": SOON}),  # type: ignore[dict-item]
        ("close", {"reason": 5}),
    ],
)
def test_bad_input_on_a_case_is_a_4xx_and_changes_nothing(
    counsellor: Staff, client_for: ClientFor, path: str, body: dict[str, Any]
) -> None:
    case = open_case(counsellor)
    followups.follow_up_schedule(
        counsellor,
        case=case,
        kind="call_back",
        due_at=timezone.now() + dt.timedelta(days=1),
        owner=counsellor,
    )
    before = footprint()
    response = client_for(counsellor).post(
        f"/api/v1/cases/{case.pk}/{path}", body, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert footprint() == before
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_the_timeline_newest_first_in_pages(counsellor: Staff, client_for: ClientFor) -> None:
    case = open_case(counsellor)
    for n in range(3):
        services.note_add(counsellor, case=case, text=f"note {n}")
    client = client_for(counsellor)
    url = f"/api/v1/cases/{case.pk}/timeline"
    first = client.get(url, {"limit": 3}).json()
    assert [e["kind"] for e in first["items"]] == ["note_added"] * 3 and first["next_cursor"]
    rest = client.get(url, {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert {e["kind"] for e in rest["items"]} == {"opened", "contact_linked"} and rest["next_cursor"] is None
    assert rest["items"][0]["actor"] == "counsellor"
    assert client.get(url, {"cursor": "garbage"}).status_code == 422


# --- The list ------------------------------------------------------------------------------------


def test_list_filters_and_pages(counsellor: Staff, supervisor: Staff, client_for: ClientFor) -> None:
    low = open_case(counsellor, risk="low")
    high = open_case(counsellor, risk="high")
    theirs = open_case(persona(Role.COUNSELLOR, username="other"), risk="high")
    late = followups.follow_up_schedule(
        counsellor,
        case=low,
        kind="call_back",
        due_at=timezone.now() + dt.timedelta(minutes=1),
        owner=counsellor,
    )
    FollowUp.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))  # now overdue
    services.case_link_contact(counsellor, case=high, contact=contact_for(counsellor))  # active

    mine = client_for(counsellor)
    boss = client_for(supervisor)

    def numbers(client: Client, **query: Any) -> set[str]:
        response = client.get("/api/v1/cases", query)
        assert response.status_code == 200, response.content
        return {c["number"] for c in response.json()["items"]}

    assert numbers(mine) == {low.number, high.number}  # not a colleague's
    assert numbers(boss) == {low.number, high.number, theirs.number}
    assert numbers(boss, risk="high") == {high.number, theirs.number}
    assert numbers(boss, status="active") == {high.number}
    assert numbers(boss, assignee="other") == {theirs.number}
    assert numbers(boss, overdue="true") == {low.number}
    assert numbers(boss, number=high.number) == {high.number}
    assert numbers(boss, number=high.number[-2:]) == {high.number}
    today = timezone.localdate()
    assert len(numbers(boss, opened_from=today.isoformat(), opened_to=today.isoformat())) == 3
    assert numbers(boss, opened_to=(today - dt.timedelta(days=1)).isoformat()) == set()
    services.case_update_profile(
        supervisor,
        case=theirs,
        nickname="",
        age=None,
        gender=None,
        province=Term.objects.get(vocabulary="province", code="kandal"),
        risk="high",
    )
    assert numbers(boss, province="kandal") == {theirs.number}
    assert AuditEvent.objects.filter(action=AuditAction.CASE_LIST, actor=supervisor).exists()

    page = boss.get("/api/v1/cases", {"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = boss.get("/api/v1/cases", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    seen = {c["number"] for c in page["items"] + rest["items"]}
    assert seen == {low.number, high.number, theirs.number}


@pytest.mark.parametrize(
    "query",
    [
        {"status": "lost"},
        {"risk": "extreme"},
        {"opened_from": "yesterday"},
        {"opened_from": "1999-01-01"},
        {"limit": 0},
        {"limit": 500},
        {"cursor": "not-a-cursor"},
        {"overdue": "maybe"},
    ],
)
def test_list_with_bad_filters_is_a_422(
    supervisor: Staff, client_for: ClientFor, query: dict[str, Any]
) -> None:
    response = client_for(supervisor).get("/api/v1/cases", query)
    assert response.status_code == 422, response.content


@pytest.mark.parametrize("query", ["statuss=open", "risk=high&risk=low", "provnce=kampot"])
def test_an_unknown_or_repeated_list_parameter_is_a_422_not_the_whole_list(
    query: str, supervisor: Staff, client_for: ClientFor
) -> None:
    response = client_for(supervisor).get(f"/api/v1/cases?{query}")
    assert response.status_code == 422, response.content
