"""The API decides who may call an operation before it reads what they sent: a data officer, a
lapsed counsellor or a token without the scope get 403 (audited) whatever the body or query, never
a 422 that tells them what the operation takes. PATCH needs contacts:read beside contacts:write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from helpline.accounts.api_auth import ATTRIBUTE, Requirement
from helpline.accounts.models import Staff
from helpline.accounts.services import api_token_create
from helpline.audit.models import AuditEvent
from helpline.contacts import services
from helpline.contacts.models import Channel, Contact, Kind

ClientFor = Callable[[Staff], Client]

# Bodies and queries that fail validation: each would be a 422 for a caller who may use the operation.
INVALID = [
    ("post", "/api/v1/contacts", '{"channel": "pigeon", "arrived_at": 5}'),
    ("post", "/api/v1/contacts", "[1, 2]"),
    ("patch", "/api/v1/contacts/{id}", '{"age": "old", "kind": 7}'),
    ("get", "/api/v1/contacts?limit=abc&date_from=yesterday", None),
    ("get", "/api/v1/contacts/{id}", None),
    ("get", "/api/v1/callers/history", None),  # address missing
]


def token(*scopes: str) -> dict[str, str]:
    _t, raw = api_token_create(None, name="it", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def silent_call(counsellor: Staff) -> Contact:
    contact = services.contact_start(counsellor, channel=Channel.VOICE, address="tel:+85512345678")
    return services.contact_close_quick(counsellor, contact=contact, kind=Kind.SILENT)


def send(client: Client, method: str, path: str, body: str | None, contact: Contact, **extra: Any) -> Any:
    url = path.replace("{id}", str(contact.pk))
    if body is None:
        return getattr(client, method)(url, **extra)
    return getattr(client, method)(url, body, content_type="application/json", **extra)


@pytest.mark.parametrize(("method", "path", "body"), INVALID)
@pytest.mark.parametrize("who", ["data_officer", "lapsed"])
def test_staff_without_access_get_403_before_their_input_is_read(
    request: pytest.FixtureRequest,
    counsellor: Staff,
    client_for: ClientFor,
    who: str,
    method: str,
    path: str,
    body: str | None,
) -> None:
    staff = request.getfixturevalue(who)
    contact = silent_call(counsellor)
    version = contact.version
    response = send(client_for(staff), method, path, body, contact)
    assert response.status_code == 403, response.content
    assert AuditEvent.objects.filter(action="access.refused", actor=staff).exists()
    contact.refresh_from_db()
    assert contact.kind == Kind.SILENT and contact.version == version and Contact.objects.count() == 1


@pytest.mark.parametrize(("method", "path", "body"), INVALID)
def test_a_token_without_the_scope_gets_403_before_its_input_is_read(
    counsellor: Staff, method: str, path: str, body: str | None
) -> None:
    contact = silent_call(counsellor)
    response = send(Client(), method, path, body, contact, **token("me"))
    assert response.status_code == 403, response.content
    assert "token lacks scope" in response.json()["detail"]


def test_the_same_invalid_input_from_an_allowed_caller_is_a_422(counsellor: Staff) -> None:
    contact = silent_call(counsellor)
    auth = token("contacts:read", "contacts:write", "callers:read")
    for method, path, body in INVALID:
        if path.endswith("{id}") and method == "get":
            continue  # valid as it stands
        response = send(Client(), method, path, body, contact, **auth)
        assert response.status_code == 422, (method, path, response.content)


def test_a_write_only_token_cannot_patch_and_is_told_which_scope_it_lacks(counsellor: Staff) -> None:
    contact = silent_call(counsellor)
    version = contact.version
    response = Client().patch(
        f"/api/v1/contacts/{contact.pk}",
        {"kind": "prank"},
        content_type="application/json",
        **token("contacts:write"),
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "token lacks scope contacts:read"}
    contact.refresh_from_db()
    assert contact.kind == Kind.SILENT and contact.version == version


def test_a_write_only_token_still_enters_contacts(db: None) -> None:
    body = {"channel": "walk_in", "arrived_at": "2026-11-20T10:30:00+07:00", "kind": "silent"}
    response = Client().post(
        "/api/v1/contacts", body, content_type="application/json", **token("contacts:write")
    )
    assert response.status_code == 201, response.content


def test_every_operation_checks_access_as_it_authenticates() -> None:
    """The declared requirement sits on the operation's own authentication, so ninja checks it
    before it validates anything."""
    from config.api import api

    seen = 0
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                requirement = getattr(operation.view_func, ATTRIBUTE)
                assert isinstance(requirement, Requirement)
                assert operation.auth_callbacks
                assert all(getattr(cb, "requirement", None) == requirement for cb in operation.auth_callbacks)
                seen += 1
    assert seen >= 5
