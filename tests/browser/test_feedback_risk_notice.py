"""A child's complaint that shows risk, sent through the public form, reaches the supervisor at
once in a real browser: their open console shows the urgent notice (in their language, pushed over
their socket) with a link that opens the item, before they look at the feedback list."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer

pytestmark = pytest.mark.browser


def test_a_risky_complaint_shows_on_the_supervisors_open_console_and_its_link_opens_it(
    chromium: Any, helpline_server: HelplineServer, staff_session: Any
) -> None:
    staff = chromium.new_context(
        base_url=helpline_server.url,
        storage_state=staff_session("supervisor"),
        viewport={"width": 1366, "height": 768},
    )
    staff.set_default_timeout(15_000)
    console = staff.new_page()
    console.goto("/console/")
    notice = console.locator("#urgent-notice")
    expect(notice).to_be_hidden()
    expect(console.locator("body")).to_have_attribute("data-live", "open")  # its socket listens

    marker = uuid.uuid4().hex[:8]
    child = chromium.new_context(base_url=helpline_server.url, java_script_enabled=False)
    form = child.new_page()
    form.goto("/say/")
    form.locator("input[name=kind][value=complaint]").check()
    form.locator("#id_text").fill(f"ខ្ញុំចង់សម្លាប់ខ្លួនយប់នេះ {marker}")  # "I want to kill myself tonight"
    form.locator("main form button.primary").click()
    expect(form.locator("main")).to_contain_text("1280")  # the numbers first, for the child
    child.close()

    expect(notice).to_be_visible()
    link = notice.locator("a")
    expect(link).to_have_attribute("href", re.compile(r"^/feedback/[0-9a-f-]{36}/$"))
    assert marker not in (notice.text_content() or "")  # the child's words stay behind the item's gate
    link.click()
    expect(console.locator("#words")).to_contain_text(marker)
    staff.close()
