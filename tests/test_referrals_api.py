"""The referrals API: every operation under the cases gate (role, safeguarding gate, token scopes
referrals:read and referrals:write, and referrals_visible_to: a referral whose case is not visible is
the same 404 as a missing one), every write through the referral services (timeline and audit),
reads audited, bad input a clear 4xx that changes nothing."""

from __future__ import annotations

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
from helpline.referrals.models import Assessment, Partner, PartnerSuspension, Referral, ReferralStatus
from tests.factories import persona
from tests.referral_drafts import break_of, child_case, counts, draft, indexed_partner, sent

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]

OPERATIONS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", "/api/v1/referrals", None),
    ("get", "/api/v1/referrals/{id}", None),
    ("post", "/api/v1/referrals", {}),  # filled in by body_for
    ("patch", "/api/v1/referrals/{id}", {"urgency": "urgent"}),
]


def token(*scopes: str) -> dict[str, str]:
    _t, raw = api_token_create(None, name="it", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def new_body(of: Any, to: Partner, **overrides: Any) -> dict[str, Any]:
    return {
        "case": str(of.pk),
        "partner": str(to.pk),
        "service": "shelter",
        "urgency": "routine",
        "request": "A safe place to stay from tonight",
        "shared_fields": ["age", "province"],
        "consent": "given",
        "consent_note": "She agreed",
    } | overrides


def call(client: Client, method: str, path: str, body: Any, ref: Referral, **extra: Any) -> Any:
    url = path.replace("{id}", str(ref.pk))
    if body is None:
        return getattr(client, method)(url, **extra)
    if method == "post":
        body = new_body(ref.case, ref.partner)
    return getattr(client, method)(url, body, content_type="application/json", **extra)


@pytest.fixture
def ref(counsellor: Staff) -> Referral:
    return draft(counsellor, child_case(counsellor), indexed_partner())


# --- The gate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_a_token_without_the_scope_is_refused_and_changes_nothing(
    ref: Referral, method: str, path: str, body: Any
) -> None:
    before = counts()
    scopes = ("cases:read", "cases:write") if method == "get" else ("referrals:write",)
    response = call(Client(), method, path, body, ref, **token(*scopes))
    assert response.status_code == 403, response.content
    assert "token lacks scope referrals:read" in response.json()["detail"]
    assert counts() == before


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS[2:])
def test_a_read_only_token_cannot_write(ref: Referral, method: str, path: str, body: Any) -> None:
    before = counts()
    response = call(Client(), method, path, body, ref, **token("referrals:read"))
    assert response.status_code == 403 and response.json() == {"detail": "token lacks scope referrals:write"}
    assert counts() == before


def test_a_token_with_the_scopes_sees_no_referral_and_makes_none(ref: Referral) -> None:
    auth = token("referrals:read", "referrals:write")
    assert Client().get("/api/v1/referrals", **auth).json() == {"items": [], "next_cursor": None}
    before = counts()
    for method, path, body in OPERATIONS[1:]:
        expected = 403 if method == "post" else 404
        assert call(Client(), method, path, body, ref, **auth).status_code == expected, path
    assert counts() == before


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
@pytest.mark.parametrize("who", ["data_officer", "administrator", "lapsed"])
def test_staff_outside_the_gate_get_403_audited(
    request: pytest.FixtureRequest,
    ref: Referral,
    client_for: ClientFor,
    who: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    staff = request.getfixturevalue(who)
    before = counts()
    response = call(client_for(staff), method, path, body, ref)
    assert response.status_code == 403, response.content
    assert AuditEvent.objects.filter(action="access.refused", actor=staff).exists()
    assert counts() == before


@pytest.mark.parametrize(("method", "path", "body"), [OPERATIONS[1], OPERATIONS[3]])
def test_another_counsellors_referral_is_the_same_404_as_a_missing_one(
    ref: Referral, client_for: ClientFor, method: str, path: str, body: Any
) -> None:
    other = client_for(persona(Role.COUNSELLOR, username="other"))
    before = counts()
    hidden = call(other, method, path, body, ref)
    missing = getattr(other, method)(
        path.replace("{id}", str(uuid.uuid4())), body, content_type="application/json"
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert counts() == before
    # Nor is another counsellor's case a case to refer.
    response = other.post(
        "/api/v1/referrals", new_body(ref.case, ref.partner), content_type="application/json"
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("case:")
    assert counts() == before


# --- Each operation -----------------------------------------------------------------------------


def test_a_counsellor_drafts_sends_and_reads_a_referral(counsellor: Staff, client_for: ClientFor) -> None:
    case = child_case(counsellor, age=14)
    shelter = indexed_partner()
    client = client_for(counsellor)
    response = client.post("/api/v1/referrals", new_body(case, shelter), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["number"].startswith("R-") and body["shared"]["age"] == "14"
    assert body["case_number"] == case.number and body["service"] == "shelter"
    assert [e["kind"] for e in body["events"]] == ["created"]
    sent_now = client.patch(
        f"/api/v1/referrals/{body['id']}", {"status": "sent"}, content_type="application/json"
    )
    assert sent_now.status_code == 200, sent_now.content
    after = sent_now.json()
    assert after["status"] == "sent" and after["shared"]["age"] == "14" and after["acknowledge_by"]
    assert after["sent_by"] == "counsellor"
    got = client.get(f"/api/v1/referrals/{body['id']}")
    assert got.status_code == 200 and got.json()["status"] == "sent"
    assert AuditEvent.objects.filter(action=AuditAction.REFERRAL_VIEW, record_id=body["id"]).exists()
    listed = client.get(f"/api/v1/referrals?case={case.pk}&status=sent")
    assert [r["id"] for r in listed.json()["items"]] == [body["id"]]
    assert AuditEvent.objects.filter(action=AuditAction.REFERRAL_LIST, actor=counsellor).exists()


def test_the_list_pages_newest_first_and_filters(counsellor: Staff, client_for: ClientFor) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    made = [draft(counsellor, case, shelter) for _ in range(5)]
    overdue = sent(counsellor, case, shelter)
    Referral.objects.filter(pk=overdue.pk).update(acknowledge_by=timezone.now())
    client = client_for(counsellor)
    first = client.get("/api/v1/referrals?limit=4").json()
    second = client.get(f"/api/v1/referrals?limit=4&cursor={first['next_cursor']}").json()
    ids = [r["id"] for r in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 6 and second["next_cursor"] is None
    assert {str(r.pk) for r in made} < set(ids)
    assert [r["id"] for r in client.get("/api/v1/referrals?overdue=true").json()["items"]] == [
        str(overdue.pk)
    ]
    assert client.get("/api/v1/referrals?cursor=nonsense").status_code == 422


def test_a_draft_is_changed_then_closed_with_a_reason(ref: Referral, client_for: ClientFor) -> None:
    client = client_for(ref.created_by)
    url = f"/api/v1/referrals/{ref.pk}"
    changed = client.patch(
        url, {"urgency": "urgent", "shared_fields": ["age"]}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["urgency"] == "urgent"
    assert changed.json()["shared_fields"] == ["age"]
    assert client.patch(url, {"status": "closed"}, content_type="application/json").status_code == 422
    closed = client.patch(url, {"status": "closed", "note": "Not needed"}, content_type="application/json")
    assert closed.status_code == 200 and closed.json()["close_reason"] == "Not needed"


def test_a_partners_answer_by_phone_is_recorded_and_a_jump_refused(
    counsellor: Staff, client_for: ClientFor
) -> None:
    ref = sent(counsellor, child_case(counsellor), indexed_partner())
    client = client_for(counsellor)
    url = f"/api/v1/referrals/{ref.pk}"
    before = counts()
    for body, code in (
        ({"status": "delivered", "note": "by phone"}, 409),
        ({"status": "expired"}, 409),
        ({"status": "draft"}, 409),
        ({"urgency": "urgent"}, 409),  # sent: no longer a draft
        ({"status": "accepted"}, 422),  # how the counsellor heard is required
    ):
        response = client.patch(url, body, content_type="application/json")
        assert response.status_code == code, (body, response.content)
    assert counts() == before
    accepted = client.patch(
        url, {"status": "accepted", "note": "They phoned"}, content_type="application/json"
    )
    assert accepted.status_code == 200 and accepted.json()["accepted_at"]
    assert accepted.json()["events"][-1]["actor"] == "counsellor"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"shared_fields": ["age", "phone_number"]}, 422, None),
        ({"consent": "not_given"}, 422, "confidentiality_break"),
        ({"service": "teleportation"}, 422, "service"),
        ({"service": "legal_advice"}, 422, "service"),
        ({"partner": str(uuid.uuid4())}, 422, "partner"),
        ({"confidentiality_break": str(uuid.uuid4())}, 422, "confidentiality_break"),
        ({"request": ""}, 422, None),
        ({"urgency": "yesterday"}, 422, None),
        ({"case": "nope"}, 422, None),
    ],
)
def test_bad_drafts_are_refused_and_change_nothing(
    counsellor: Staff, client_for: ClientFor, overrides: dict[str, Any], code: int, field: str | None
) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    before = counts()
    response = client_for(counsellor).post(
        "/api/v1/referrals", new_body(case, shelter, **overrides), content_type="application/json"
    )
    assert response.status_code == code, response.content
    if field:
        assert response.json()["detail"].startswith(f"{field}:")
    assert counts() == before


def test_a_suspended_or_unassessed_partner_and_a_foreign_break_are_refused(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = child_case(counsellor)
    client = client_for(counsellor)
    suspended = indexed_partner("Hit Shelter")
    suspension = PartnerSuspension.objects.create(
        partner=suspended, reason="serious concern", started_at=timezone.now(), started_by=supervisor
    )
    Partner.objects.filter(pk=suspended.pk).update(suspension=suspension)
    unassessed = indexed_partner("New Shelter", assessment=Assessment.NOT_ASSESSED)
    foreign = break_of(child_case(counsellor, nickname="Sokha"), counsellor)
    before = counts()
    for body, words in (
        (new_body(case, suspended), "suspended"),
        (new_body(case, unassessed), "not been assessed"),
        (
            new_body(case, indexed_partner(), consent="not_given", confidentiality_break=str(foreign.pk)),
            "another case",
        ),
    ):
        response = client.post("/api/v1/referrals", body, content_type="application/json")
        assert response.status_code == 422 and words in response.json()["detail"]
    assert counts() == before and Referral.objects.count() == 0


def test_a_referral_without_consent_names_a_break_of_its_case(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = child_case(counsellor)
    brk = break_of(case, counsellor)
    response = client_for(counsellor).post(
        "/api/v1/referrals",
        new_body(case, indexed_partner(), consent="not_given", confidentiality_break=str(brk.pk)),
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["confidentiality_break"] == str(brk.pk)
    assert Referral.objects.get().status == ReferralStatus.DRAFT


@pytest.mark.parametrize("query", ["statuss=sent", "status=sent&status=draft", "overdue=true&overdue=false"])
def test_an_unknown_or_repeated_list_parameter_is_a_422_not_the_whole_list(
    query: str, ref: Referral, client_for: ClientFor
) -> None:
    response = client_for(ref.created_by).get(f"/api/v1/referrals?{query}")
    assert response.status_code == 422, response.content
    assert not AuditEvent.objects.filter(action=AuditAction.REFERRAL_LIST).exists()
