"""Websockets use the same gate as pages: both factors and current vetting, or the socket closes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from helpline.accounts.models import Staff
from helpline.console.consumers import CLOSE_REFUSED, CLOSE_TOO_BIG, MAX_STAFF_FRAME
from tests.sockets import StrictServer, staff_scope

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


def strict_run(scope: dict[str, object], frames: list[dict[str, object]]) -> StrictServer:
    server = StrictServer(scope)
    async_to_sync(server.run)(application, frames)
    return server


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/chat/extra/", "/", "/ws/staff"])
def test_a_socket_to_an_unknown_path_is_refused_without_a_traceback(
    db: None, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    scope = staff_scope("") | {"path": path, "raw_path": path.encode()}
    server = strict_run(scope, [])
    assert server.errors == []
    assert [m["type"] for m in server.sent] == ["websocket.close"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_frames_after_a_too_large_one_closed_the_staff_socket_are_dropped_quietly(
    counsellor: Staff, client_for: Callable[[Staff], Client], caplog: pytest.LogCaptureFixture
) -> None:
    big = {"type": "websocket.receive", "text": "x" * (MAX_STAFF_FRAME + 1)}
    ping = {"type": "websocket.receive", "text": json.dumps({"type": "ping"})}
    server = strict_run(staff_scope(cookie_of(client_for(counsellor))), [big, ping, big, ping])
    assert server.errors == []
    assert [m["type"] for m in server.sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert server.sent[-1]["code"] == CLOSE_TOO_BIG
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_frames_after_a_too_large_one_closed_the_chat_socket_are_dropped_quietly(db: None) -> None:
    scope = staff_scope("") | {"path": "/ws/chat/", "raw_path": b"/ws/chat/"}
    big = {"type": "websocket.receive", "text": "x" * 5000}
    ping = {"type": "websocket.receive", "text": json.dumps({"type": "ping"})}
    server = strict_run(scope, [big, ping, big])
    assert server.errors == []
    assert [m["type"] for m in server.sent] == ["websocket.accept", "websocket.close"]
