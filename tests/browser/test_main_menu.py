"""The main menu at 1366 x 768 (a common office laptop): a supervisor's and an administrator's
menu ran to three lines in English and five in Khmer, pushing every page down. Less-used entries
now sit under disclosure buttons that open by keyboard, and every entry is still reachable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer

pytestmark = pytest.mark.browser

# Top-level entries of the menu: its links and its groups' buttons.
ROWS = """() => new Set([...document.querySelectorAll('.topbar nav > a, .topbar nav > details > summary')]
  .map(e => Math.round(e.getBoundingClientRect().top))).size"""
LINE = "() => parseFloat(getComputedStyle(document.querySelector('.topbar nav a')).lineHeight)"


@pytest.mark.parametrize("username", ["supervisor", "admin"])
def test_the_menu_fits_two_lines_at_1366_pixels_in_english_and_khmer_and_every_entry_opens_by_keyboard(
    chromium: Any,
    helpline_server: HelplineServer,
    staff_session: Callable[[str], dict[str, Any]],
    username: str,
) -> None:
    context = chromium.new_context(
        base_url=helpline_server.url,
        storage_state=staff_session(username),
        viewport={"width": 1366, "height": 768},
    )
    page = context.new_page()
    try:
        for language in ["km", "en"]:  # English last: the person's language is kept for the next test
            page.goto("/")
            page.locator(f".lang button[value={language}]").click()
            expect(page.locator("html")).to_have_attribute("lang", language)
            # Measured once the stylesheet and the Khmer font are in: before, a loaded machine gave
            # the browser's default layout (line height "normal", five lines).
            page.wait_for_load_state("load")
            page.evaluate("() => document.fonts.ready.then(() => true)")
            nav = page.locator(".topbar nav")
            rows, line = page.evaluate(ROWS), page.evaluate(LINE)
            height = nav.bounding_box()["height"]
            assert rows <= 2 and height <= 2 * line + 12, (username, language, rows, height, line)
            groups = page.locator(".topbar nav > details")
            assert groups.count() >= 2, (username, language)
            for i in range(groups.count()):
                group = groups.nth(i)
                links = group.locator("a")
                expect(links.first).to_be_hidden()
                group.locator("summary").focus()
                page.keyboard.press("Enter")
                expect(group).to_have_attribute("open", "")
                for j in range(links.count()):
                    expect(links.nth(j)).to_be_visible()
                page.keyboard.press("Tab")
                expect(links.first).to_be_focused()
                page.keyboard.press("Escape")
                expect(links.first).to_be_hidden()
                expect(group.locator("summary")).to_be_focused()
            # Every entry of the menu is a link a keyboard reaches: none was dropped by the grouping.
            hrefs = set(nav.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))"))
            assert "/statistics/" in hrefs and "/accounts/profile/" in hrefs, hrefs
            if username == "supervisor":
                assert {"/cases/board/", "/rota/", "/calls/missed/", "/risk-signals/"} <= hrefs, hrefs
            else:
                assert {"/audit/", "/accounts/staff/", "/code-lists/"} <= hrefs, hrefs
    finally:
        context.close()
