"""The partners API: the directory searched as on its page (service, province, age, words in
either language) in cursor pages; partners added and changed by those who keep the directory or
a token with partners:write, audited; a concern recorded by staff, a serious one suspending
referrals at once; bad input a clear 4xx that changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from helpline.accounts.models import Role, Staff
from helpline.accounts.services import api_token_create
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.referrals import directory
from helpline.referrals.models import Partner, PartnerConcern, PartnerSuspension
from tests.factories import persona
from tests.partner_factories import add_partner

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
NEW = {
    "name": "Preah Sihanouk Youth Shelter",
    "name_km": "ទីជម្រកយុវជនព្រះសីហនុ",
    "services": ["shelter", "food"],
    "provinces": ["preah_sihanouk"],
    "min_age": 12,
    "max_age": 24,
    "phone": "034 933 123",
    "email": "intake@shelter.example.org",
    "emergency": True,
}


@pytest.fixture
def keeper(db: None) -> Staff:
    return persona(Role.CASE_MANAGER, username="keeper")


def token(*scopes: str) -> dict[str, str]:
    _t, raw = api_token_create(None, name="it", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def send(client: Client, method: str, url: str, body: Any = None, **extra: Any) -> Any:
    if body is None:
        return getattr(client, method)(url, **extra)
    return getattr(client, method)(url, body, content_type="application/json", **extra)


def footprint() -> tuple[int, ...]:
    return (
        Partner.objects.count(),
        PartnerConcern.objects.count(),
        PartnerSuspension.objects.count(),
        AuditEvent.objects.filter(action__startswith="partner.").count(),
    )


def test_the_directory_is_searched_as_on_its_page_in_pages(keeper: Staff) -> None:
    add_partner(keeper, "Safe Haven Phnom Penh", name_km="ផ្ទះសុវត្ថិភាព", max_age=17)
    add_partner(keeper, "Angkor Clinic", services=("medical_care",), provinces=("siem_reap",))
    add_partner(keeper, "Legal Aid", services=("legal_advice",), provinces=())
    add_partner(keeper, "Unassessed Shelter", approved=False)
    auth = token("partners:read")
    found = Client().get("/api/v1/partners", {"service": "shelter", "province": "phnom_penh"}, **auth).json()
    assert {p["name"]: p["may_receive"] for p in found["items"]} == {
        "Safe Haven Phnom Penh": True,
        "Unassessed Shelter": False,
    }
    assert [
        p["name"] for p in Client().get("/api/v1/partners", {"q": "ផ្ទះសុវត្ថិ"}, **auth).json()["items"]
    ] == ["Safe Haven Phnom Penh"]
    ages = Client().get("/api/v1/partners", {"age": 20, "province": "siem_reap"}, **auth).json()["items"]
    assert {p["name"] for p in ages} == {"Angkor Clinic", "Legal Aid"}
    first = Client().get("/api/v1/partners", {"limit": 3}, **auth).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = Client().get("/api/v1/partners", {"limit": 3, "cursor": first["next_cursor"]}, **auth).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    seen = {p["id"] for p in first["items"]} | {p["id"] for p in rest["items"]}
    assert len(seen) == 4


@pytest.mark.parametrize(
    "query",
    [
        {"age": "old"},
        {"age": 200},
        {"service": "teleport"},
        {"province": "atlantis"},
        {"cursor": "nope"},
        {"q": "a\x00b"},
    ],
)
def test_a_bad_search_is_a_422(query: dict[str, Any], keeper: Staff) -> None:
    add_partner(keeper)
    response = Client().get("/api/v1/partners", query, **token("partners:read"))
    assert response.status_code == 422, response.content


def test_a_partner_is_added_read_and_changed_with_a_token(keeper: Staff) -> None:
    auth = token("partners:read", "partners:write")
    created = send(Client(), "post", "/api/v1/partners", NEW, **auth)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (
        body["assessment"] == "not_assessed" and not body["may_receive"] and body["phone"] == "+85534933123"
    )
    pk = body["id"]
    event = AuditEvent.objects.get(action=AuditAction.PARTNER_CREATE)
    assert event.record_id == pk and event.actor_label.startswith("token:")
    assert Client().get(f"/api/v1/partners/{pk}", **auth).json()["name_km"] == "ទីជម្រកយុវជនព្រះសីហនុ"
    before = footprint()
    assert send(Client(), "patch", f"/api/v1/partners/{pk}", {}, **auth).status_code == 200
    assert send(Client(), "patch", f"/api/v1/partners/{pk}", {"max_age": 24}, **auth).status_code == 200
    assert footprint() == before  # nothing changed: nothing written
    changed = send(Client(), "patch", f"/api/v1/partners/{pk}", {"max_age": None, "phone": None}, **auth)
    assert changed.status_code == 200 and changed.json()["max_age"] is None and changed.json()["phone"] == ""
    update = AuditEvent.objects.get(action=AuditAction.PARTNER_UPDATE)
    assert update.changes == {"max_age": [24, None], "phone": ["+85534933123", ""]}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (NEW | {"min_age": 20, "max_age": 10}, 422),
        (NEW | {"services": []}, 422),
        (NEW | {"services": ["teleport"]}, 422),
        (NEW | {"provinces": ["atlantis"]}, 422),
        (NEW | {"email": "nope"}, 422),
        (NEW | {"phone": "12"}, 422),
        (NEW | {"name": "   "}, 422),
        (NEW | {"emergency": "yes"}, 422),
        (NEW | {"name": "Safe Haven Phnom Penh"}, 409),
        (["not", "an", "object"], 422),
    ],
)
def test_a_bad_partner_is_refused_and_changes_nothing(body: Any, status: int, keeper: Staff) -> None:
    add_partner(keeper, "Safe Haven Phnom Penh")
    before = footprint()
    response = send(Client(), "post", "/api/v1/partners", body, **token("partners:read", "partners:write"))
    assert response.status_code == status, response.content
    assert footprint() == before


def test_a_patch_that_would_break_the_age_range_is_refused(keeper: Staff) -> None:
    partner = add_partner(keeper, max_age=17)
    before = footprint()
    auth = token("partners:read", "partners:write")
    response = send(Client(), "patch", f"/api/v1/partners/{partner.pk}", {"min_age": 18}, **auth)
    assert response.status_code == 422 and "max_age" in response.json()["detail"]
    assert (
        send(Client(), "patch", f"/api/v1/partners/{partner.pk}", {"name": None}, **auth).status_code == 422
    )
    assert (
        send(Client(), "patch", f"/api/v1/partners/{uuid.uuid4()}", {"name": "x"}, **auth).status_code == 404
    )
    assert footprint() == before


def test_scopes_and_roles_are_checked_before_anything_is_read(keeper: Staff, client_for: ClientFor) -> None:
    partner = add_partner(keeper)
    before = footprint()
    assert send(Client(), "post", "/api/v1/partners", NEW, **token("partners:read")).status_code == 403
    assert send(Client(), "post", "/api/v1/partners", NEW, **token("partners:write")).status_code == 403
    assert Client().get("/api/v1/partners", **token("cases:read")).status_code == 403
    counsellor = client_for(persona(Role.COUNSELLOR, username="c"))
    assert counsellor.get("/api/v1/partners").status_code == 200  # reads the directory
    assert send(counsellor, "post", "/api/v1/partners", NEW).status_code == 403  # keeps it not
    outsider = client_for(persona(Role.DATA_OFFICER, username="d"))
    assert outsider.get(f"/api/v1/partners/{partner.pk}").status_code == 403
    assert footprint() == before


def test_a_serious_concern_through_the_api_suspends_at_once(keeper: Staff, client_for: ClientFor) -> None:
    partner = add_partner(keeper)
    url = f"/api/v1/partners/{partner.pk}/concerns"
    concern = {"source": "child", "severity": "serious", "description": "Sent away at night."}
    before = footprint()
    assert send(Client(), "post", url, concern, **token("partners:read", "partners:write")).status_code == 403
    assert footprint() == before
    counsellor = client_for(persona(Role.COUNSELLOR, username="c"))
    for bad in (
        {**concern, "severity": "awful"},
        {**concern, "description": "  "},
        {**concern, "referral": str(uuid.uuid4())},
    ):
        assert send(counsellor, "post", url, bad).status_code == 422
    assert footprint() == before
    response = send(counsellor, "post", url, concern)
    assert response.status_code == 201 and response.json()["suspended"] is True
    partner.refresh_from_db()
    assert partner.suspension is not None and not partner.may_receive
    assert (
        Client().get(f"/api/v1/partners/{partner.pk}", **token("partners:read")).json()["suspended"] is True
    )
    assert send(counsellor, "post", f"/api/v1/partners/{uuid.uuid4()}/concerns", concern).status_code == 404


def test_two_patches_of_different_fields_both_hold_though_each_read_the_partner_before_the_other(
    keeper: Staff,
) -> None:
    """A PATCH's fields are applied to the partner as it is once locked, not to what was read
    before: the second of two interleaved PATCHes does not put back the first one's old values."""
    partner = add_partner(keeper)
    read_by_first, read_by_second = Partner.objects.get(pk=partner.pk), Partner.objects.get(pk=partner.pk)
    directory.partner_update(keeper, partner=read_by_first, changes={"email": "new@shelter.example.org"})
    directory.partner_update(keeper, partner=read_by_second, changes={"phone": "012 999 888"})
    partner.refresh_from_db()
    assert partner.email == "new@shelter.example.org" and partner.phone == "+85512999888"
    auth = token("partners:read", "partners:write")
    send(Client(), "patch", f"/api/v1/partners/{partner.pk}", {"contact_person": "Dara"}, **auth)
    partner.refresh_from_db()
    assert partner.contact_person == "Dara" and partner.email == "new@shelter.example.org"


def test_a_patch_to_a_name_already_in_the_directory_is_a_409(keeper: Staff) -> None:
    add_partner(keeper, "Kampot Youth Centre")
    other = add_partner(keeper, "Kep Youth Centre")
    auth = token("partners:read", "partners:write")
    answer = send(Client(), "patch", f"/api/v1/partners/{other.pk}", {"name": "kampot  youth centre"}, **auth)
    assert answer.status_code == 409
    other.refresh_from_db()
    assert other.name == "Kep Youth Centre"
