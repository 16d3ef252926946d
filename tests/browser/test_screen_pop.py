"""Screen-pop: when a call connects to a counsellor's extension, their open console shows the
call's record at once (pushed over the websocket), with the caller's history beside it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer, _manage, _server_env

pytestmark = pytest.mark.browser


def post_call_event(server: HelplineServer, event: dict[str, Any]) -> int:
    body = json.dumps(event).encode()
    secret = server.demo_secrets()["voice_secret"]
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        server.url + "/hooks/voice/events",
        data=body,
        headers={"Content-Type": "application/json", "X-Helpline-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_a_connected_call_pops_up_on_the_counsellors_console(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    env = _server_env(helpline_server.data_dir)
    give_extension = "from helpline.accounts.models import Staff; " + (
        "Staff.objects.filter(username='counsellor').update(extension='1001')"
    )
    _manage(env, "shell", "-c", give_extension)
    context = chromium.new_context(base_url=helpline_server.url, storage_state=staff_session("counsellor"))
    context.set_default_timeout(15_000)
    console = context.new_page()
    console.goto("/console/")
    console.wait_for_timeout(1000)  # the console's websocket connects
    now = dt.datetime.now(dt.UTC)
    call = {"call_id": f"pop-{int(time.time())}", "queue": "1280", "caller": "+85512345600"}
    assert post_call_event(helpline_server, {**call, "event": "join", "time": now.isoformat()}) == 200
    started = time.monotonic()
    connect = {
        **call,
        "event": "connect",
        "agent": "1001",
        "hold": 4,
        "time": (now + dt.timedelta(seconds=4)).isoformat(),
    }
    assert post_call_event(helpline_server, connect) == 200
    expect(console).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"), timeout=5_000)
    popped_after = time.monotonic() - started
    expect(console.locator("#history-title")).to_be_visible()
    expect(console.locator("input[name=kind][value=counselling]")).to_be_visible()
    assert popped_after < 3.0, popped_after  # the issue asks for about a second; browsers need a load
    context.close()
