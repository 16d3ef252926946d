"""Websockets use the same gate as pages: both factors and current vetting, or the socket closes."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from helpline.accounts.models import Staff
from helpline.console.consumers import CLOSE_REFUSED
from tests.sockets import staff_scope

pytestmark = pytest.mark.django_db(transaction=True)


def connect(cookie: str) -> tuple[bool, object]:
    """Speak the ASGI websocket protocol to the real application (as uvicorn does)."""

    async def run() -> tuple[bool, object]:
        scope = staff_scope(cookie)
        app = ApplicationCommunicator(application, scope)
        await app.send_input({"type": "websocket.connect"})
        first = await app.receive_output(timeout=5)
        if first["type"] == "websocket.close":
            return False, first.get("code")
        assert first["type"] == "websocket.accept"
        hello = json.loads((await app.receive_output(timeout=5))["text"])
        await app.send_input({"type": "websocket.receive", "text": json.dumps({"type": "ping"})})
        pong = json.loads((await app.receive_output(timeout=5))["text"])
        await app.send_input({"type": "websocket.disconnect", "code": 1000})
        await app.wait(timeout=5)
        return True, (hello, pong)

    return async_to_sync(run)()


def cookie_of(client: Client) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_signed_in_vetted_staff_get_a_live_socket(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ok, messages = connect(cookie_of(client_for(counsellor)))
    assert ok
    assert messages == ({"type": "hello", "username": "counsellor"}, {"type": "pong"})


def test_lapsed_staff_socket_is_refused(lapsed: Staff, client_for: Callable[[Staff], Client]) -> None:
    ok, code = connect(cookie_of(client_for(lapsed)))
    assert not ok and code == CLOSE_REFUSED


def test_password_only_session_socket_is_refused(counsellor: Staff) -> None:
    client = Client()
    client.force_login(counsellor)
    ok, code = connect(cookie_of(client))
    assert not ok and code == CLOSE_REFUSED


def test_stranger_socket_is_refused(db: None) -> None:
    ok, code = connect("")
    assert not ok and code == CLOSE_REFUSED
