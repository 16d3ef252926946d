"""The counsellor console in a real browser: start a contact, autosave, a reload and a dropped
connection lose nothing, and a non-data kind takes one keystroke."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.browser

SUMMARY = "ក្មេងប្រុសនិយាយថាគាត់ខ្លាចទៅសាលារៀន"


def test_console_draft_survives_reload_and_dropped_connection(
    page: Any, helpline_server: HelplineServer
) -> None:
    sign_in(page, helpline_server, "volunteer")
    page.goto("/console/")
    page.locator("form.start input[name=address]").fill("012 999 888")
    page.locator("form.start button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
    contact_url = page.url

    page.locator('input[name=kind][value="counselling"]').check()
    page.locator("textarea[name=summary]").fill(SUMMARY)
    expect(page.locator("#draft-status")).not_to_be_empty(timeout=10_000)

    page.reload()
    expect(page.locator("textarea[name=summary]")).to_have_value(SUMMARY)
    expect(page.locator('input[name=kind][value="counselling"]')).to_be_checked()

    # The connection drops while the counsellor keeps typing; the tab keeps a copy, and after a
    # reload the newer text comes back and is saved to the server.
    page.context.set_offline(True)
    page.locator("textarea[name=summary]").fill(SUMMARY + " ហើយយំ")
    page.wait_for_timeout(1500)
    page.context.set_offline(False)
    page.goto(contact_url)
    expect(page.locator("textarea[name=summary]")).to_have_value(SUMMARY + " ហើយយំ")
    expect(page.locator("#draft-status")).not_to_be_empty(timeout=10_000)
    page.goto(contact_url)  # a second reload now reads it from the server's draft
    expect(page.locator("textarea[name=summary]")).to_have_value(SUMMARY + " ហើយយំ")


def test_silent_call_takes_one_keystroke(page: Any, helpline_server: HelplineServer) -> None:
    sign_in(page, helpline_server, "supervisor")
    page.goto("/console/")
    page.locator("form.start button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
    # The URL changes before the deferred console.js has run; its key handler is bound by then.
    page.wait_for_load_state("domcontentloaded")
    expect(page.locator('[data-hotkey="1"]')).to_be_visible()
    page.keyboard.press("Alt+1")
    expect(page).to_have_url(re.compile(r"/console/$"))
    expect(page.locator(".contact-list li[aria-current]")).to_have_count(0)
