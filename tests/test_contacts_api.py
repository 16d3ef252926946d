"""The contacts API: lists, reads, entry, classification and caller history, each only as far as
the caller's role or token scope allows; bad input gets a 4xx naming the field and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema_rs
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpline.accounts.models import Role, Staff
from helpline.accounts.services import api_token_create
from helpline.contacts import services
from helpline.contacts.forms import ClassificationForm
from helpline.contacts.models import Channel, Contact, Kind
from tests.factories import persona

ClientFor = Callable[[Staff], Client]
NUMBER = "tel:+85512345678"

WALK_IN: dict[str, Any] = {
    "channel": "walk_in",
    "arrived_at": "2026-11-20T10:30:00+07:00",
    "duration_minutes": 20,
    "kind": "counselling",
    "reasons": ["family.caregiver"],
    "gender": "male",
    "age": 12,
    "province": "battambang",
    "summary": "A boy came in with his teacher.",
}


def token(*scopes: str) -> dict[str, str]:
    _t, raw = api_token_create(None, name="it", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def silent_call(counsellor: Staff) -> Contact:
    contact = services.contact_start(counsellor, channel=Channel.VOICE, address=NUMBER)
    return services.contact_close_quick(counsellor, contact=contact, kind=Kind.SILENT)


def test_integration_enters_a_contact_once_per_idempotency_key(db: None) -> None:
    auth = token("contacts:write", "contacts:read")
    body = {**WALK_IN, "idempotency_key": "pbx-123"}
    first = Client().post("/api/v1/contacts", body, content_type="application/json", **auth)
    assert first.status_code == 201, first.content
    again = Client().post("/api/v1/contacts", body, content_type="application/json", **auth)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Contact.objects.count() == 1
    got = Client().get(f"/api/v1/contacts/{first.json()['id']}", **auth).json()
    assert got["province"] == "battambang" and got["reasons"] == ["family.caregiver"] and got["age"] == 12


def test_list_filters_and_pages(counsellor: Staff) -> None:
    for _ in range(3):
        silent_call(counsellor)
    auth = token("contacts:read")
    page = Client().get("/api/v1/contacts", {"kind": "silent", "limit": 2}, **auth).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = Client().get(
        "/api/v1/contacts", {"kind": "silent", "limit": 2, "cursor": page["next_cursor"]}, **auth
    )
    assert len(rest.json()["items"]) == 1 and rest.json()["next_cursor"] is None
    by_number = Client().get("/api/v1/contacts", {"address": "012 345 678"}, **auth).json()
    assert len(by_number["items"]) == 3


def test_a_page_of_coded_contacts_costs_the_same_queries_whatever_its_length(counsellor: Staff) -> None:
    """Every item carries its codes: read with the page, not contact by contact (twenty contacts
    cost some two hundred queries before)."""
    auth = token("contacts:read")
    _counselling(counsellor)

    def listed() -> tuple[int, list[dict[str, Any]]]:
        with CaptureQueriesContext(connection) as seen:
            response = Client().get("/api/v1/contacts", {"limit": 20}, **auth)
        assert response.status_code == 200
        # The page's own query joins few tables: PostgreSQL's planning time grows with each one
        # (nine cost about 25 ms to plan and half a millisecond to run); the terms come apart.
        page = [q["sql"] for q in seen.captured_queries if 'FROM "contacts_contact" ' in q["sql"]]
        assert page and page[0].count(" JOIN ") <= 2, page
        return len(seen.captured_queries), response.json()["items"]

    listed()  # what is read once (the token's last use, settings) out of the count
    one, _items = listed()
    for _ in range(4):
        _counselling(counsellor)
    five, items = listed()
    assert len(items) == 5 and five == one
    assert all(i["reasons"] == ["family.caregiver"] and i["gender"] == "male" for i in items)


def test_caller_history_by_address(counsellor: Staff) -> None:
    for _ in range(2):
        silent_call(counsellor)
    auth = token("callers:read", "contacts:read")
    body = Client().get("/api/v1/callers/history", {"address": "tel:+85512345678"}, **auth).json()
    assert body["known"] is True and body["total"] == 2
    assert body["counts_by_kind"] == {"silent": 2} and len(body["last_contacts"]) == 2
    assert body["open_case_ids"] == []
    unknown = Client().get("/api/v1/callers/history", {"address": "tel:+85597000000"}, **auth).json()
    assert unknown["known"] is False and unknown["total"] == 0


def test_counsellor_session_patches_own_contact_but_not_anothers(
    counsellor: Staff, client_for: ClientFor, db: None
) -> None:
    mine = silent_call(counsellor)
    other = persona(Role.COUNSELLOR, username="other")
    theirs = silent_call(other)
    client = client_for(counsellor)
    ok = client.patch(
        f"/api/v1/contacts/{mine.pk}",
        {"kind": "testing", "version": mine.version},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["kind"] == "testing"
    refused = client.patch(
        f"/api/v1/contacts/{theirs.pk}", {"kind": "testing"}, content_type="application/json"
    )
    assert refused.status_code == 404
    theirs.refresh_from_db()
    assert theirs.kind == Kind.SILENT


def test_stale_patch_gets_409(counsellor: Staff, client_for: ClientFor) -> None:
    contact = silent_call(counsellor)
    response = client_for(counsellor).patch(
        f"/api/v1/contacts/{contact.pk}",
        {"kind": "testing", "version": contact.version + 5},
        content_type="application/json",
    )
    assert response.status_code == 409
    contact.refresh_from_db()
    assert contact.kind == Kind.SILENT


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/contacts"),
        ("get", "/api/v1/contacts/{id}"),
        ("post", "/api/v1/contacts"),
        ("patch", "/api/v1/contacts/{id}"),
        ("get", "/api/v1/callers/history?address=tel:%2B85512345678"),
    ],
)
def test_data_officer_gets_403_on_every_contact_operation(
    method: str, path: str, data_officer: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    contact = silent_call(counsellor)
    client = client_for(data_officer)
    url = path.replace("{id}", str(contact.pk))
    kwargs: dict[str, Any] = {"content_type": "application/json"} if method in {"post", "patch"} else {}
    body = [WALK_IN] if method == "post" else ([{"kind": "prank"}] if method == "patch" else [])
    response = getattr(client, method)(url, *body, **kwargs)
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.kind == Kind.SILENT and Contact.objects.count() == 1


def test_token_without_scope_is_refused(db: None) -> None:
    assert Client().get("/api/v1/contacts", **token("me")).status_code == 403
    assert (
        Client()
        .post("/api/v1/contacts", WALK_IN, content_type="application/json", **token("contacts:read"))
        .status_code
        == 403
    )
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reasons": ["violence.no_such_thing"]}, "reasons"),
        ({"reasons": ["violence"]}, "reasons"),
        ({"age": 999}, "age"),
        ({"age": -1}, "age"),
        ({"province": "atlantis"}, "province"),
        ({"address": "tel:12"}, "address"),
        ({"address": "not a phone"}, "address"),
        ({"kind": "chatting"}, "kind"),
        ({"channel": "pigeon"}, "channel"),
        ({"arrived_at": 0}, "arrived_at"),
        ({"arrived_at": "yesterday"}, "arrived_at"),
        ({"age": 10, "age_over_25": True}, "age"),
        ({"summary": "x" * 10_001}, "summary"),
    ],
)
def test_bad_contact_input_names_the_field_and_changes_nothing(
    change: dict[str, Any], field: str, db: None
) -> None:
    response = Client().post(
        "/api/v1/contacts", {**WALK_IN, **change}, content_type="application/json", **token("contacts:write")
    )
    assert 400 <= response.status_code < 500
    assert field in response.content.decode()
    assert not Contact.objects.exists()


def test_bad_patch_names_the_field_and_changes_nothing(counsellor: Staff, client_for: ClientFor) -> None:
    contact = silent_call(counsellor)
    client = client_for(counsellor)
    for change, field in [
        ({"province": "atlantis"}, "province"),
        ({"age": 999}, "age"),
        ({"kind": "counselling", "reasons": ["nope.nope"]}, "reasons"),
    ]:
        response = client.patch(f"/api/v1/contacts/{contact.pk}", change, content_type="application/json")
        assert 400 <= response.status_code < 500 and field in response.content.decode(), change
    contact.refresh_from_db()
    assert contact.kind == Kind.SILENT and contact.province is None and contact.version == 2


def test_malformed_history_address_is_422(db: None) -> None:
    response = Client().get("/api/v1/callers/history", {"address": "tel:12"}, **token("callers:read"))
    assert response.status_code == 422 and "address" in response.content.decode()


def _counselling(counsellor: Staff) -> Contact:
    contact = services.contact_start(counsellor, channel=Channel.VOICE, address=NUMBER)
    data = {"kind": "counselling", "reasons": ["family.caregiver"], "gender": "male", "age": 12}
    form = ClassificationForm(data)
    assert form.is_valid(), form.errors
    return services.contact_record(counsellor, contact=contact, data=form.cleaned_data, version=None)


PATCH_SCHEMA = "/api/v1/openapi.json"


def _patch_body_schema() -> dict[str, Any]:
    spec = Client().get(PATCH_SCHEMA).json()
    body = spec["paths"]["/api/v1/contacts/{contact_id}"]["patch"]["requestBody"]["content"]
    ref = body["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    return dict(spec["components"]["schemas"][ref]["properties"])


def _nullable(prop: dict[str, Any]) -> bool:
    return prop.get("type") == "null" or any(p.get("type") == "null" for p in prop.get("anyOf", []))


@pytest.mark.parametrize(
    "field", ["kind", "reasons", "actions", "vulnerable_groups", "age_over_25", "summary"]
)
def test_a_field_the_server_refuses_null_for_is_not_nullable_in_the_schema(
    counsellor: Staff, field: str
) -> None:
    """Null is refused (leave the field out, or send [] / false / "" to clear it), and the schema says so."""
    contact = _counselling(counsellor)
    response = Client().patch(
        f"/api/v1/contacts/{contact.pk}",
        {field: None},
        content_type="application/json",
        **token("contacts:write", "contacts:read"),
    )
    assert response.status_code == 422 and field in response.content.decode()
    assert not _nullable(_patch_body_schema()[field])
    contact.refresh_from_db()
    assert contact.kind == Kind.COUNSELLING and contact.age == 12


@pytest.mark.parametrize("field", ["gender", "age", "province", "urgency"])
def test_null_clears_a_single_value_as_the_schema_says(counsellor: Staff, field: str) -> None:
    contact = _counselling(counsellor)
    response = Client().patch(
        f"/api/v1/contacts/{contact.pk}",
        {field: None},
        content_type="application/json",
        **token("contacts:write", "contacts:read"),
    )
    assert response.status_code == 200, response.content
    assert response.json()[field] in (None, "")
    assert _nullable(_patch_body_schema()[field])


@pytest.mark.parametrize(
    "change",
    [{"age": 12}, {"province": "battambang", "gender": "male"}, {"reasons": ["family.caregiver"]}],
    ids=["age", "province-and-gender", "reasons"],
)
def test_coding_a_contact_of_a_kind_that_carries_none_is_refused_naming_the_fields(
    counsellor: Staff, change: dict[str, Any]
) -> None:
    contact = silent_call(counsellor)
    response = Client().patch(
        f"/api/v1/contacts/{contact.pk}",
        change,
        content_type="application/json",
        **token("contacts:write", "contacts:read"),
    )
    assert response.status_code == 422
    for field in change:
        assert field in response.content.decode()
    contact.refresh_from_db()
    assert contact.kind == Kind.SILENT and contact.age is None and contact.version == 2
    # Changing the kind to one that carries coding, in the same request, is fine.
    both = Client().patch(
        f"/api/v1/contacts/{contact.pk}",
        {"kind": "counselling", "reasons": ["family.caregiver"], **change},
        content_type="application/json",
        **token("contacts:write", "contacts:read"),
    )
    assert both.status_code == 200, both.content


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "counselling", "reasons": []},
        {"age": 12, "age_over_25": True},
    ],
)
def test_a_patch_the_server_refuses_for_its_own_fields_is_invalid_in_the_schema(
    counsellor: Staff, body: dict[str, Any]
) -> None:
    """The rules across fields that hold whatever the contact holds (a counselling contact sent with
    no reason; an age and "over 25" together) are in the patch's schema, as in the new contact's:
    a client (or schemathesis) reading the schema does not send what is sure to be refused."""
    contact = _counselling(counsellor)
    response = Client().patch(
        f"/api/v1/contacts/{contact.pk}",
        body,
        content_type="application/json",
        **token("contacts:write", "contacts:read"),
    )
    assert response.status_code == 422
    spec = Client().get(PATCH_SCHEMA).json()
    ref = spec["paths"]["/api/v1/contacts/{contact_id}"]["patch"]["requestBody"]["content"]
    name = ref["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    validator = jsonschema_rs.Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    )
    assert not validator.is_valid(body)
    assert validator.is_valid({"kind": "counselling", "reasons": ["family.caregiver"]})
