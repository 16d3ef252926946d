"""Date inputs on any page: the browser draws them in its own order (mm/dd/yyyy in this English
Chromium, on Khmer pages too), so the chosen date is also written out beside the input with the
month's name, in the page's language: 12/07/2026 can no longer be read as 12 July."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer

pytestmark = pytest.mark.browser


def test_a_chosen_date_is_written_out_in_the_pages_language(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    context = chromium.new_context(base_url=helpline_server.url, storage_state=staff_session("supervisor"))
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/contacts/")
        page.locator("form.lang button[value=en]").click()
        page.wait_for_load_state("load")
        date = page.locator('main input[type="date"]').first
        date.fill("2026-12-07")
        expect(date.locator("xpath=following-sibling::*[1]")).to_have_text("7 December 2026")
        page.locator("form.lang button[value=km]").click()
        page.wait_for_load_state("load")
        date = page.locator('main input[type="date"]').first
        date.fill("2026-12-07")
        echo = date.locator("xpath=following-sibling::*[1]")
        expect(echo).to_have_class("date-echo muted")
        expect(echo).to_have_text("7 ធ្នូ 2026")  # December, in Khmer
    finally:
        context.close()
