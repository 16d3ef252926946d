"""The JSON API: session (with CSRF and the second factor) or a scoped, hashed, revocable token."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from helpline.accounts import services
from helpline.accounts.models import ApiToken, Staff
from helpline.accounts.permissions import Scope
from helpline.audit.models import AuditEvent

ClientFor = Callable[[Staff], Client]


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_openapi_schema_is_served(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Helpline API"
    assert "/api/v1/me" in schema["paths"]


def test_me_with_a_token_returns_identity_role_and_scopes(db: None) -> None:
    _token, raw = services.api_token_create(None, name="pbx bridge", scopes=[Scope.ME])
    response = Client().get("/api/v1/me", **bearer(raw))
    assert response.status_code == 200
    assert response.json() == {
        "kind": "token",
        "username": "token:pbx bridge",
        "display_name": "pbx bridge",
        "role": "integration",
        "language": None,
        "scopes": ["me"],
    }


def test_every_token_use_is_audited(db: None) -> None:
    token, raw = services.api_token_create(None, name="bridge", scopes=[Scope.ME])
    for _ in range(3):
        Client().get("/api/v1/me", **bearer(raw))
    uses = AuditEvent.objects.filter(action="api.token_use", record_id=str(token.pk))
    assert uses.count() == 3
    assert uses.first().actor_label == "token:bridge"  # type: ignore[union-attr]


def test_tokens_are_stored_hashed(db: None) -> None:
    token, raw = services.api_token_create(None, name="bridge", scopes=[Scope.ME])
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in stored.token_hash and len(stored.token_hash) == 64
    secret_part = raw.split("_", 2)[2]
    for value in ApiToken.objects.values_list("name", "prefix", "token_hash", "scopes"):
        assert secret_part not in str(value)


def test_revoked_token_is_refused(administrator: Staff, db: None) -> None:
    token, raw = services.api_token_create(None, name="old", scopes=[Scope.ME])
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200
    services.api_token_revoke(administrator, token=token)
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 401


def test_unknown_or_malformed_token_gets_401_and_is_audited_without_the_token(db: None) -> None:
    for value in ["hl_deadbeef_nope", "nonsense", "x" * 500]:
        response = Client().get("/api/v1/me", **bearer(value))
        assert response.status_code == 401
    rejected = AuditEvent.objects.filter(action="api.token_rejected")
    assert rejected.count() == 3
    assert not any("deadbeef" in str(e.detail) for e in rejected)


def test_token_without_the_scope_is_refused(db: None) -> None:
    _token, raw = services.api_token_create(None, name="narrow", scopes=[Scope.AUDIT_READ])
    response = Client().get("/api/v1/me", **bearer(raw))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.refused").exists()


def test_unknown_scope_cannot_be_granted(db: None) -> None:
    import pytest

    from helpline.accounts.services import ServiceError

    with pytest.raises(ServiceError):
        services.api_token_create(None, name="x", scopes=["everything"])
    assert not ApiToken.objects.exists()


def test_me_with_a_signed_in_session(counsellor: Staff, client_for: ClientFor) -> None:
    response = client_for(counsellor).get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "staff" and body["username"] == "counsellor"
    assert body["role"] == "counsellor"


def test_session_without_second_factor_is_refused(counsellor: Staff) -> None:
    client = Client()
    client.force_login(counsellor)  # password only
    assert client.get("/api/v1/me").status_code == 401


def test_no_credentials_gets_401(db: None) -> None:
    assert Client().get("/api/v1/me").status_code == 401


def test_session_writes_need_the_csrf_token(counsellor: Staff) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(enforce_csrf_checks=True)
    client.force_login(counsellor)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=counsellor).persistent_id
    session.save()
    # No POST operation exists yet on /me; a POST must be refused, never served.
    response = client.post("/api/v1/me", {}, content_type="application/json")
    assert response.status_code in {401, 403, 405}


def test_administrator_creates_and_revokes_tokens_in_the_browser(
    administrator: Staff, client_for: ClientFor
) -> None:
    client = client_for(administrator)
    page = client.post("/accounts/api-tokens/", {"name": "sms gateway", "scopes": ["me"]})
    assert page.status_code == 200
    raw = page.context["created"]
    assert raw.startswith("hl_")
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200
    token = ApiToken.objects.get(name="sms gateway")
    assert client.post(f"/accounts/api-tokens/{token.pk}/revoke/").status_code == 302
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 401


def test_a_double_click_on_create_makes_one_token_and_says_so(
    administrator: Staff, client_for: ClientFor
) -> None:
    """The page draws the form with a fresh once-key; the same form posted twice (a double click,
    which no script stops in a browser without one) makes the first token only, and the second
    answer says the token exists and its secret was shown once, instead of a second active token
    whose secret nobody saw."""
    client = client_for(administrator)
    page = client.get("/accounts/api-tokens/")
    once = page.context["form"].initial["once"]
    assert f'value="{once}"' in page.content.decode()
    assert "data-send-once" in page.content.decode()  # with script, a second click sends nothing
    posted = {"name": "sms gateway", "scopes": ["me"], "once": once}
    first = client.post("/accounts/api-tokens/", posted)
    assert first.status_code == 200 and first.context["created"].startswith("hl_")
    second = client.post("/accounts/api-tokens/", posted)
    assert second.status_code == 409 and second.context["created"] is None
    assert 'created the token "sms gateway"' in second.content.decode().replace("&quot;", '"')
    assert ApiToken.objects.filter(name="sms gateway", revoked_at=None).count() == 1
    assert AuditEvent.objects.filter(action="api_token.create").count() == 1
    fresh = second.context["form"].initial["once"]
    assert fresh != once  # the form drawn again makes another token when posted
    again = client.post("/accounts/api-tokens/", {**posted, "once": fresh})
    assert again.status_code == 200 and ApiToken.objects.filter(name="sms gateway").count() == 2
