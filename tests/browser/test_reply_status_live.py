"""An SMS reply's status changes in the counsellor's open thread as the task worker sends it, with
no Redis and no reload: the worker is a process of its own, and what it tells the consoles reaches
them through the server's relay."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PROJECT_DIR, HelplineServer, _server_env
from tests.browser.test_queue_order import an_sms_arrives

pytestmark = pytest.mark.browser

QUESTION = "តើខ្ញុំអាចសួរអំពីសាលារៀនបានទេ"  # "can I ask about school"
REPLY = "បាទ ប្អូនអាចសួរបាន"  # "yes, you can ask"


@pytest.fixture
def start_worker(helpline_server: HelplineServer) -> Iterator[Callable[[], None]]:
    """The real task worker on the server's database, started when the test says."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        log = (helpline_server.data_dir.parent / "worker.log").open("ab")
        started.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--interval", "0.2", "--no-startup-delay"],
                cwd=PROJECT_DIR,
                env=_server_env(helpline_server.data_dir),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def test_a_reply_goes_from_queued_to_sent_in_the_open_thread_without_a_reload(
    chromium: Any,
    helpline_server: HelplineServer,
    staff_session: Callable[[str], dict[str, Any]],
    start_worker: Callable[[], None],
) -> None:
    context = chromium.new_context(base_url=helpline_server.url, storage_state=staff_session("counsellor"))
    context.set_default_timeout(15_000)
    console = context.new_page()
    console.goto("/console/")
    expect(console.locator("body[data-live=open]")).to_have_count(1)
    forms = console.locator("#console-lists ul.waiting form[action$='/take/']")
    before = {forms.nth(i).get_attribute("action") for i in range(forms.count())}

    an_sms_arrives(helpline_server, QUESTION)  # stored by a command: relayed to the console too
    expect(forms).to_have_count(len(before) + 1, timeout=8_000)
    [url] = {forms.nth(i).get_attribute("action") for i in range(forms.count())} - before
    console.locator(f"#console-lists form[action='{url}'] button").click()
    expect(console).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
    expect(console.locator("#thread-messages")).to_contain_text(QUESTION)
    expect(console.locator("body[data-live=open]")).to_have_count(1)
    navigations: list[str] = []
    console.on("framenavigated", lambda frame: navigations.append(frame.url))

    console.locator("#reply-text").fill(REPLY)
    console.locator("form.reply button[type=submit]").click()
    mine = console.locator("#thread-messages li.msg.out", has_text=REPLY)
    expect(mine.locator(".status")).to_have_class(re.compile(r"\bstatus-queued\b"))  # no worker yet

    start_worker()  # sends it, in a process of its own
    expect(mine.locator(".status")).to_have_class(re.compile(r"\bstatus-sent\b"), timeout=15_000)
    assert navigations == []  # the thread changed in place: no reload

    console.locator('[data-hotkey="1"]').click()  # leave nothing open for the next test
    expect(console).to_have_url(re.compile(r"/console/$"))
    context.close()
