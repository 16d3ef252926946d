"""A refused "Save and close" in a real browser (the walk's finding: the only message sat under the
sticky save bar, and Back afterwards landed on "Confirm form resubmission"): the summary at the top
has the keyboard, its links bring a field into view above the bar, and Back after the fixed save
goes to a page, not to a POST's result."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer

pytestmark = pytest.mark.browser


def _not_under_the_save_bar(page: Any, selector: str) -> None:
    field = page.locator(selector).bounding_box()
    bar = page.locator(".save-bar").bounding_box()
    viewport = page.viewport_size
    assert field is not None and bar is not None
    assert field["y"] >= 0 and field["y"] + field["height"] <= viewport["height"], (field, viewport)
    assert field["y"] + field["height"] <= bar["y"], (field, bar)


def test_a_refused_save_is_said_at_the_top_and_back_works_afterwards(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    context = chromium.new_context(
        base_url=helpline_server.url,
        storage_state=staff_session("counsellor"),
        viewport={"width": 1366, "height": 768},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/console/")
        page.locator("form.start button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
        contact_url = page.url
        page.wait_for_load_state("load")
        page.locator("input[name=age]").fill("-5")
        page.locator("#contact-form .save-bar button[type=submit]").click()

        summary = page.locator("#error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("The contact was not saved")
        expect(page).to_have_url(contact_url)  # the address bar shows the contact, not /save/
        _not_under_the_save_bar(page, "#error-summary")

        summary.get_by_role("link", name="Kind of contact").click()
        expect(page.locator("#id_kind")).to_be_focused()
        _not_under_the_save_bar(page, "#id_kind")
        summary.get_by_role("link", name="Age").click()
        expect(page.locator("#id_age")).to_be_focused()
        _not_under_the_save_bar(page, "#id_age")

        page.locator('input[name=kind][value="information"]').check()
        page.locator("input[name=age]").fill("12")
        page.locator("#contact-form .save-bar button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/console/$"))
        page.go_back()
        # The saved contact's page (the console sends a closed contact there), not a resubmission prompt.
        expect(page).to_have_url(re.compile(r"/contacts/[0-9a-f-]{36}/$"))
        expect(page.locator("main")).to_be_visible()
    finally:
        context.close()
