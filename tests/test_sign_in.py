"""Signing in: password (Argon2, 12+ characters), then a TOTP second factor; lockout; idle and
"sign out everywhere"."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from helpline.accounts import services
from helpline.accounts.middleware import ACTIVITY_KEY
from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from tests.factories import PASSWORD, StaffFactory, persona, totp_now, vet

LOGIN = "/accounts/sign-in/"
CODE = "/accounts/sign-in/code/"


def password_step(client: Client, username: str, password: str = PASSWORD) -> None:
    response = client.post(LOGIN, {"username": username, "password": password})
    assert response.status_code == 302 and response["Location"] == CODE


def test_passwords_are_hashed_with_argon2(db: None) -> None:
    staff = StaffFactory()
    assert staff.password.startswith("argon2$")
    assert PASSWORD not in staff.password


def test_password_shorter_than_12_characters_is_refused(db: None) -> None:
    with pytest.raises(ValidationError):
        validate_password("Short1pass!")  # 11 characters
    validate_password("a perfectly long passphrase")
    with pytest.raises(ValidationError):
        services.staff_create(None, username="x", password="elevenchars", role=Role.COUNSELLOR)
    assert not Staff.objects.filter(username="x").exists()


def test_sign_in_with_password_and_totp_reaches_home(db: None) -> None:
    staff = persona(Role.COUNSELLOR, username="dara")
    client = Client()
    password_step(client, "dara")
    # After the password alone, pages that need the second factor send you back to it.
    assert client.get("/")["Location"] == CODE
    device = TOTPDevice.objects.get(user=staff)
    response = client.post(CODE, {"code": totp_now(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    actions = list(AuditEvent.objects.filter(actor=staff).values_list("action", flat=True))
    assert "auth.password_ok" in actions and "auth.2fa_ok" in actions


def test_first_sign_in_enrols_an_authenticator(db: None) -> None:
    staff = StaffFactory(username="newcomer")
    vet(staff)
    client = Client()
    password_step(client, "newcomer")
    page = client.get(CODE)
    assert page.status_code == 200
    assert page.context["enrolling"] is True
    secret = page.context["secret_base32"]
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    import base64

    padded = secret + "=" * (-len(secret) % 8)
    assert base64.b32decode(padded) == device.bin_key
    code = f"{TOTP(device.bin_key).token():06d}"
    response = client.post(CODE, {"code": code})
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=staff).confirmed
    assert AuditEvent.objects.filter(actor=staff, action="auth.2fa_enrolled").exists()


def test_wrong_totp_code_is_refused(counsellor: Staff) -> None:
    client = Client()
    password_step(client, "counsellor")
    device = TOTPDevice.objects.get(user=counsellor)
    wrong = f"{(int(totp_now(device)) + 1) % 1_000_000:06d}"
    response = client.post(CODE, {"code": wrong})
    assert response.status_code == 400
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(actor=counsellor, action="auth.2fa_failed").exists()


def test_replayed_totp_code_is_refused(counsellor: Staff) -> None:
    device = TOTPDevice.objects.get(user=counsellor)
    code = totp_now(device)
    first = Client()
    password_step(first, "counsellor")
    assert first.post(CODE, {"code": code}).status_code == 302
    second = Client()
    password_step(second, "counsellor")
    response = second.post(CODE, {"code": code})
    assert response.status_code == 400
    assert second.get("/").status_code == 302


def test_repeated_failures_lock_the_account(counsellor: Staff) -> None:
    client = Client()
    for _ in range(5):
        response = client.post(LOGIN, {"username": "counsellor", "password": "not the password!"})
        assert response.status_code in {400, 429}
    locked = client.post(LOGIN, {"username": "counsellor", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_idle_session_expires(counsellor: Staff, client_for: Callable[[Staff], Client]) -> None:
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE == settings.IDLE_MINUTES * 60 == 30 * 60
    client = client_for(counsellor)
    assert client.get("/").status_code == 200
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_activity_extends_the_session(counsellor: Staff, client_for: Callable[[Staff], Client]) -> None:
    client = client_for(counsellor)
    key = client.session.session_key
    assert client.get("/").status_code == 200
    # The last save was over a minute ago and the session has a minute to live.
    session = client.session
    session[ACTIVITY_KEY] = int(time.time()) - 61
    session.save()
    soon = timezone.now() + dt.timedelta(minutes=1)
    Session.objects.filter(session_key=key).update(expire_date=soon)
    assert client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date > soon + dt.timedelta(minutes=20)


def test_requests_within_a_minute_do_not_write_the_session(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(counsellor)
    assert client.get("/").status_code == 200
    key = client.session.session_key
    before = Session.objects.get(session_key=key).expire_date
    assert client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == before


def test_sign_out_everywhere_ends_every_session(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    phone, desk = client_for(counsellor), client_for(counsellor)
    assert phone.get("/").status_code == 200 and desk.get("/").status_code == 200
    response = desk.post("/accounts/sign-out-everywhere/")
    assert response.status_code == 302
    assert phone.get("/")["Location"].startswith(LOGIN)
    assert desk.get("/")["Location"].startswith(LOGIN)
    assert AuditEvent.objects.filter(actor=counsellor, action="auth.sign_out_everywhere").exists()


def test_sign_out_is_post_only_and_ends_the_session(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(counsellor)
    assert client.get("/accounts/sign-out/").status_code == 405
    assert client.post("/accounts/sign-out/").status_code == 302
    assert client.get("/").status_code == 302


def test_deactivated_staff_lose_their_open_session(
    counsellor: Staff, administrator: Staff, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(counsellor)
    assert client.get("/").status_code == 200
    services.staff_update(
        administrator, staff=counsellor, role=counsellor.role, is_active=False, full_name="x"
    )
    assert client.get("/").status_code == 302


def test_a_cookie_without_a_signed_in_session_stores_no_session(db: None) -> None:
    client = Client()
    client.cookies[settings_cookie_name()] = "not-a-session-we-issued"
    assert client.get("/chat/").status_code == 200
    assert Session.objects.count() == 0


def settings_cookie_name() -> str:
    from django.conf import settings

    return str(settings.SESSION_COOKIE_NAME)
