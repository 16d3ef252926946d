"""Two server processes share chats through Redis: the child is connected to one, the counsellor
to the other, and messages flow both ways. Needs the Redis at 127.0.0.1:6379 (this machine kind
and CI have it); on a machine without it the test is skipped, unless HELPLINE_REQUIRE_REDIS=1
(set by .ci/run) turns the absence into a failure."""

from __future__ import annotations

import json
import os
import random
import socket
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.servers import Children, free_port, helpline_server, wait_until_healthy

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def redis_answers() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def require_redis() -> None:
    if redis_answers():
        return
    if os.environ.get("HELPLINE_REQUIRE_REDIS") == "1":
        pytest.fail("Redis does not answer at 127.0.0.1:6379 and HELPLINE_REQUIRE_REDIS=1")
    pytest.skip("no Redis at 127.0.0.1:6379 on this machine")


SIGN_IN_COUNSELLOR = """
import datetime as dt
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from helpline.accounts import services
from helpline.accounts.models import Role, Staff
today = timezone.localdate()
staff = Staff.objects.create_user("redis-counsellor", "a long enough passphrase", role=Role.COUNSELLOR)
policy = services.policy_publish(None, version="t1", title="Policy", text="x", effective_date=today)
services.policy_sign(staff, policy=policy)
services.police_check_record(staff, staff=staff, issued_on=today - dt.timedelta(days=1),
                             expires_on=today + dt.timedelta(days=300))
device = TOTPDevice.objects.create(user=staff, name="t", confirmed=True)
client = Client()
client.force_login(staff)
session = client.session
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.save()
print(client.cookies["helpline_session"].value)
"""


def http(url: str, *, cookie: str, data: dict[str, str] | None = None) -> tuple[int, str, CookieJar]:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Cookie": cookie})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode(), jar
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), jar


def frames_until(socket_: Any, kind: str, key: str = "type", limit: int = 30) -> dict[str, Any]:
    for _ in range(limit):
        frame = json.loads(socket_.recv(timeout=10))
        if frame.get(key) == kind:
            return frame
    raise AssertionError(f"no frame with {key}={kind}")


def test_two_processes_share_a_chat_through_redis(tmp_path: Path) -> None:
    require_redis()
    db = random.randint(3, 14)  # a Redis database of its own for this run
    prefix = f"helpline-test-{os.getpid()}"
    extra = {"REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}", "HELPLINE_CHANNEL_PREFIX": prefix}
    children = Children()
    try:
        with helpline_server(tmp_path / "a", extra_env=extra, children=children) as a:
            port_b = free_port()
            b_log = tmp_path / "b.log"
            process_b = children.start(
                "second server",
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "config.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port_b),
                ],
                b_log,
                env=a.env,
            )
            b_url = f"http://127.0.0.1:{port_b}"
            wait_until_healthy(b_url, process_b, b_log)
            session_key = a.shell(SIGN_IN_COUNSELLOR).strip().splitlines()[-1]
            cookie = f"helpline_session={session_key}"

            # The counsellor's console socket is on process B.
            staff_ws = connect(
                f"ws://127.0.0.1:{port_b}/ws/staff/", origin=b_url, additional_headers={"Cookie": cookie}
            )
            assert json.loads(staff_ws.recv(timeout=10))["type"] == "hello"

            # The child's chat is on process A.
            child = connect(f"ws://127.0.0.1:{a.port}/ws/chat/", origin=a.url)
            child.send(json.dumps({"type": "start", "language": "km"}))
            started = frames_until(child, "started")
            # Quiet for longer than redis-py's default 5 s read timeout: the socket must live on.
            time.sleep(12)
            child.send(json.dumps({"type": "message", "id": "m1", "text": "សួស្តី"}))
            frames_until(child, "ack")

            # A's event reaches B's socket through Redis.
            event = frames_until(staff_ws, "console.event")
            contact_id = event["contact"]
            [[conversation_contact]] = a.query(
                "SELECT contact_id FROM conversations_conversation WHERE id = ?",
                (started["conversation"].replace("-", ""),),
            )
            assert conversation_contact.replace("-", "") == contact_id.replace("-", "")

            # The counsellor answers and replies through B; the child on A receives it.
            status, _body, jar = http(f"{b_url}/console/", cookie=cookie)
            assert status == 200
            csrf = next(c.value for c in jar if c.name == "helpline_csrf")
            both = f"{cookie}; helpline_csrf={csrf}"
            take = urllib.request.Request(
                f"{b_url}/console/{contact_id}/take/", data=b"", headers={"Cookie": both, "X-CSRFToken": csrf}
            )
            opener = urllib.request.build_opener()
            try:
                opener.open(take, timeout=10)
            except urllib.error.HTTPError as exc:  # the redirect to the console page is followed
                assert exc.code in (302, 303), exc.code
            reply = urllib.request.Request(
                f"{b_url}/console/{contact_id}/reply/",
                data=urllib.parse.urlencode({"text": "ខ្ញុំនៅទីនេះ"}).encode(),
                headers={"Cookie": both, "X-CSRFToken": csrf},
            )
            with opener.open(reply, timeout=10) as response:
                assert response.status == 200
            message = frames_until(child, "message")
            assert message["text"] == "ខ្ញុំនៅទីនេះ" and message["from"] == "helpline"
            child.close()
            staff_ws.close()
    finally:
        children.stop_all()
