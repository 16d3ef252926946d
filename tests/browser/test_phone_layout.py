"""A phone 390 pixels wide: wide tables (contacts, cases, a case's referrals, the audit log,
feedback) and the statistics charts scroll inside their own box, so the page itself never scrolls
sideways; and the main menu folds behind one button instead of filling the first screen, a button
that stays in its place at the right when the menu opens below it. A person's profile in Khmer, whose
labels are long words without spaces, keeps its values readable rather than one letter a line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer

pytestmark = pytest.mark.browser

WIDTH = 390
PAGES = ["/", "/contacts/", "/cases/", "/audit/", "/statistics/", "/feedback/"]
SCROLL_WIDTH = "() => document.documentElement.scrollWidth"
FACT_VALUE_WIDTHS = "() => [...document.querySelectorAll('main dl.facts dd')].map(d => d.clientWidth)"
WIDE_TABLES = """() => [...document.querySelectorAll('main table')]
  .filter(t => t.scrollWidth > t.clientWidth).length"""


def test_no_page_scrolls_sideways_on_a_phone_and_the_menu_folds(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    context = chromium.new_context(
        base_url=helpline_server.url,
        storage_state=staff_session("supervisor"),
        viewport={"width": WIDTH, "height": 844},
    )
    page = context.new_page()
    try:
        page.goto("/cases/")
        cases = page.locator("main table a[href^='/cases/']").evaluate_all(
            "links => links.map(a => a.pathname)"
        )
        assert cases, "the demo has cases"
        wide_tables = 0
        for path in PAGES + sorted(set(cases))[:20]:
            page.goto(path)
            page.wait_for_load_state("load")
            page.evaluate("() => document.fonts.ready.then(() => true)")
            assert page.evaluate(SCROLL_WIDTH) <= WIDTH, (path, page.evaluate(SCROLL_WIDTH))
            wide_tables += page.evaluate(WIDE_TABLES)
        assert wide_tables, "some table is wider than the phone: it scrolls in its own box"

        # The menu: one button near the top; opened (by keyboard, no script needed) it lists every entry.
        page.goto("/")
        header = page.locator("header.topbar")
        assert header.bounding_box()["height"] < 140, header.bounding_box()
        menu = page.locator("details.site-menu")
        button = menu.locator("> summary")
        expect(page.locator(".topbar nav a").first).to_be_hidden()
        closed = button.bounding_box()
        assert closed is not None and closed["x"] + closed["width"] > WIDTH - 40, closed  # at the right edge
        button.focus()
        page.keyboard.press("Enter")
        expect(menu).to_have_attribute("open", "")
        expect(page.locator(".topbar nav a").first).to_be_visible()
        expect(page.locator(".topbar .lang button").first).to_be_visible()
        assert page.evaluate(SCROLL_WIDTH) <= WIDTH
        # Opened, the button stays where it was (it moved to the left edge) and the menu unfolds below it.
        opened, body = button.bounding_box(), menu.locator(".site-menu-body").bounding_box()
        assert opened is not None and body is not None
        assert abs(opened["x"] - closed["x"]) < 1 and abs(opened["y"] - closed["y"]) < 1, (closed, opened)
        assert body["y"] >= opened["y"] + opened["height"], (opened, body)
    finally:
        context.close()


def test_on_a_desk_screen_the_menu_shows_without_its_button(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    context = chromium.new_context(
        base_url=helpline_server.url,
        storage_state=staff_session("supervisor"),
        viewport={"width": 1366, "height": 768},
    )
    page = context.new_page()
    try:
        page.goto("/")
        expect(page.locator("details.site-menu > summary")).to_be_hidden()
        expect(page.locator(".topbar nav a").first).to_be_visible()
        expect(page.locator(".topbar .lang button").first).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("username", ["lapsed", "supervisor"])
def test_the_profile_in_khmer_fits_a_phone_and_its_values_stay_readable(
    chromium: Any,
    helpline_server: HelplineServer,
    staff_session: Callable[[str], dict[str, Any]],
    username: str,
) -> None:
    """The profile is the one page a person whose police check lapsed can open. Its label "Police
    check valid until" is one Khmer word of some fifty letters: laid out beside its value it widened
    the page by 80 pixels and squeezed the values to one letter a line."""
    context = chromium.new_context(
        base_url=helpline_server.url,
        storage_state=staff_session(username),
        viewport={"width": WIDTH, "height": 844},
    )
    page = context.new_page()
    try:
        page.goto("/accounts/profile/")
        spoken = page.locator("html").get_attribute("lang")
        choose_language(page, "km")
        try:
            page.goto("/accounts/profile/")
            page.wait_for_load_state("load")
            page.evaluate("() => document.fonts.ready.then(() => true)")
            expect(page.locator("main dl.facts")).to_contain_text("ការត្រួតពិនិត្យប្រវត្តិឧក្រិដ្ឋកម្ម")
            assert page.evaluate(SCROLL_WIDTH) <= WIDTH, (username, page.evaluate(SCROLL_WIDTH))
            widths = page.evaluate(FACT_VALUE_WIDTHS)
            assert widths and min(widths) >= 120, (username, widths)
        finally:
            choose_language(page, spoken or "en")  # the person's own language, for other tests
    finally:
        context.close()


def choose_language(page: Any, language: str) -> None:
    """With the profile's own form: on a phone the header's language buttons are folded away."""
    form = page.locator("main form:has(select[name=language])")
    form.locator("select[name=language]").select_option(language)
    form.locator("button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
