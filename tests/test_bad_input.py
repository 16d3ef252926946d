"""Bad input gets a clear 4xx, changes nothing, never a 500, and leaks no secret into the logs."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from helpline.accounts.models import Staff
from helpline.accounts.services import api_token_create
from helpline.audit.models import AuditEvent
from helpline.contacts.models import Contact, ContactDraft, Status
from tests.factories import PASSWORD, totp_now

ClientFor = Callable[[Staff], Client]
LOGIN = "/accounts/sign-in/"
CODE = "/accounts/sign-in/code/"


def state() -> tuple[int, ...]:
    """Everything bad input must not change (audit rows may be added; none changed)."""
    return (
        Staff.objects.count(),
        TOTPDevice.objects.filter(confirmed=True).count(),
        sum(Staff.objects.values_list("session_generation", flat=True)),
    )


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"username": "counsellor"},
        {"password": "x"},
        {"username": "u" * 5000, "password": "p"},
        {"username": "counsellor", "password": "p" * 100_000},
        "username=%00%01&password=%ED%A0%80%FF",
    ],
    ids=["empty", "no-password", "no-username", "long-username", "huge-password", "control-chars"],
)
def test_malformed_sign_in_gets_400_and_changes_nothing(
    counsellor: Staff, form: dict[str, str] | str
) -> None:
    before = state()
    client = Client()
    if isinstance(form, str):  # raw bytes: control characters and invalid UTF-8
        response = client.post(LOGIN, form, content_type="application/x-www-form-urlencoded")
    else:
        response = client.post(LOGIN, form)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert state() == before


def test_oversized_request_body_is_refused(counsellor: Staff) -> None:
    body = "username=counsellor&password=" + "p" * 2_000_000
    response = Client().post(LOGIN, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in {400, 413}


def test_oversized_api_body_is_refused(db: None) -> None:
    _token, raw = api_token_create(None, name="t", scopes=["me"])
    response = Client().generic(
        "POST",
        "/api/v1/me",
        "{" + '"a":1,' * 400_000 + '"b":2}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert 400 <= response.status_code < 500


def test_malformed_json_to_the_api_gets_a_4xx(db: None) -> None:
    _token, raw = api_token_create(None, name="t", scopes=["me"])
    response = Client().generic(
        "POST",
        "/api/v1/me",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 56", "९९९९९९"])
def test_malformed_totp_code_gets_400(counsellor: Staff, code: str) -> None:
    client = Client()
    client.post(LOGIN, {"username": "counsellor", "password": PASSWORD})
    response = client.post(CODE, {"code": code})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_tampered_session_cookie_is_not_signed_in(counsellor: Staff, client_for: ClientFor) -> None:
    from django.conf import settings

    client = client_for(counsellor)
    good = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.cookies[settings.SESSION_COOKIE_NAME] = good[:-4] + ("aaaa" if good[-4:] != "aaaa" else "bbbb")
    page = client.get("/")
    assert page.status_code == 302 and page["Location"].startswith(LOGIN)
    assert client.get("/api/v1/me").status_code == 401


def test_unknown_api_token_gets_401(db: None) -> None:
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer hl_00000000_unknown")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required."}


def test_no_password_token_or_code_reaches_the_logs(
    counsellor: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    _token, raw = api_token_create(None, name="t", scopes=["me"])
    caplog.set_level(logging.DEBUG)
    client = Client()
    client.post(LOGIN, {"username": "counsellor", "password": "wrong-password-sentinel-123"})
    client.post(LOGIN, {"username": "counsellor", "password": PASSWORD})
    code = totp_now(TOTPDevice.objects.get(user=counsellor))
    client.post(CODE, {"code": "000000" if code != "000000" else "111111"})
    Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    Client().get("/api/v1/me", HTTP_AUTHORIZATION="Bearer hl_badbadba_sentinel-token")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ["wrong-password-sentinel-123", PASSWORD, raw, "sentinel-token", code]:
        assert secret not in logged
    audited = "\n".join(str(e.detail) + e.reason for e in AuditEvent.objects.all())
    for secret in ["wrong-password-sentinel-123", PASSWORD, raw, "sentinel-token"]:
        assert secret not in audited


def test_unknown_url_is_404_not_500(db: None) -> None:
    assert Client().get("/no/such/page").status_code == 404
    assert Client().get("/accounts/staff/not-a-uuid/").status_code == 404


def test_wrong_method_is_405(db: None) -> None:
    assert Client().delete("/healthz").status_code == 405


# --- The console's draft and save -------------------------------------------------------------------


def _active_contact(client: Client) -> Contact:
    response = client.post("/console/start/", {"channel": "voice", "address": "012 345 678"})
    assert response.status_code == 302
    return Contact.objects.latest("created_at")


def test_a_nul_in_a_draft_is_repaired_and_the_words_are_kept(
    counsellor: Staff, client_for: ClientFor
) -> None:
    """A NUL (which PostgreSQL's JSON refuses) becomes U+FFFD as everywhere words come in."""
    client = client_for(counsellor)
    contact = _active_contact(client)
    response = client.post(
        f"/console/{contact.pk}/draft/",
        {
            "summary": "ក្មេង\x00ស្រី",
            "reasons": ["violence.physical", "x\x00"],
            "sum\x00": "y",
            "_revision": "1",
        },
    )
    assert response.status_code == 200
    data = ContactDraft.objects.get(contact=contact).data
    assert data["summary"] == "ក្មេង\ufffdស្រី"
    assert data["reasons"] == ["violence.physical", "x\ufffd"]
    assert not any("\x00" in key for key in data)


@pytest.mark.parametrize(
    "revision",
    ["1" * 30, "-1", "x", "1e3", "٣"],
    ids=["30-digits", "negative", "letters", "exp", "arabic-digit"],
)
def test_a_draft_revision_that_is_not_a_small_whole_number_is_a_400(
    counsellor: Staff, client_for: ClientFor, revision: str
) -> None:
    client = client_for(counsellor)
    contact = _active_contact(client)
    response = client.post(f"/console/{contact.pk}/draft/", {"summary": "x", "_revision": revision})
    assert response.status_code == 400
    assert not ContactDraft.objects.filter(contact=contact).exists()


@pytest.mark.parametrize("revision", ["x", "1" * 30, "-1"], ids=["letters", "30-digits", "negative"])
def test_a_save_with_a_bad_revision_is_a_400_and_changes_nothing(
    counsellor: Staff, client_for: ClientFor, revision: str
) -> None:
    client = client_for(counsellor)
    contact = _active_contact(client)
    response = client.post(f"/console/{contact.pk}/save/", {"summary": "x", "_revision": revision})
    assert response.status_code == 400
    contact.refresh_from_db()
    assert contact.status == Status.ACTIVE
