"""Sign-in end to end in a real browser against a real server: password, TOTP, language, and the
safeguarding gate. Run with `make test-browser` (needs `make system-deps-browser` first)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer

pytestmark = pytest.mark.browser

KHMER = re.compile(r"[\u1780-\u17FF]")


def sign_in(page: Any, server: HelplineServer, username: str) -> None:
    """Password step, then the 6-digit code an authenticator app would show now."""
    page.goto("/accounts/sign-in/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(server.password)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/code/$"))
    page.locator("#id_code").fill(server.totp_code(username))
    page.locator("main form button.primary").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/sign-in/"))


def path_of(page: Any, server: HelplineServer) -> str:
    url: str = page.url
    assert url.startswith(server.url), url
    return url[len(server.url) :]


def assert_not_home_page(page: Any) -> None:
    expect(page.locator("ul.cards")).to_have_count(0)
    expect(page.locator("main h1")).not_to_contain_text("Welcome")


def test_counsellor_signs_in_with_totp_and_switches_to_khmer(
    page: Any, helpline_server: HelplineServer, screenshot_dir: Path
) -> None:
    sign_in(page, helpline_server, "counsellor")

    # The demo counsellor chose English: the home page comes in English.
    assert path_of(page, helpline_server) == "/"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    heading = page.locator("main h1")
    expect(heading).to_contain_text("Welcome")
    expect(heading).to_contain_text("Dara Counsellor")
    expect(page.locator("ul.cards")).to_be_visible()
    assert not KHMER.search(heading.inner_text()), heading.inner_text()

    page.locator('header form.lang button[name="language"][value="km"]').click()

    expect(page.locator("html")).to_have_attribute("lang", "km")
    # Saved before the text checks so a failure leaves the picture behind (test-results/ is ignored).
    page.screenshot(path=str(screenshot_dir / "counsellor-home-km.png"), full_page=True)
    assert path_of(page, helpline_server) == "/"
    expect(page.locator("ul.cards")).to_be_visible()  # still the home page, now in Khmer
    expect(heading).to_contain_text("Dara Counsellor")
    heading_text = heading.inner_text()
    nav_text = page.locator("header nav").inner_text()
    assert KHMER.search(heading_text) or KHMER.search(nav_text), (
        "no Khmer text in the main heading or the navigation of the Khmer home page "
        f"(heading {heading_text!r}, nav {nav_text!r}): are 'Welcome, %(name)s' / 'Home' / 'My profile' "
        "translated in locale/km/LC_MESSAGES/django.po?"
    )
    expect(page.locator('header form.lang button[value="km"]')).to_have_attribute("aria-current", "true")


def test_lapsed_sees_only_the_safeguarding_block(page: Any, helpline_server: HelplineServer) -> None:
    sign_in(page, helpline_server, "lapsed")

    # Police check expired: the gate sends her to her profile, which explains the block.
    assert path_of(page, helpline_server) == "/accounts/profile/"
    expect(page.locator("#safeguarding-block")).to_be_visible()
    assert_not_home_page(page)

    response = page.goto("/")
    assert response is not None
    assert path_of(page, helpline_server) == "/accounts/profile/"
    expect(page.locator("#safeguarding-block")).to_be_visible()
    assert_not_home_page(page)

    response = page.goto("/audit/")
    assert response is not None
    if response.status == 403:
        expect(page.locator("main h1")).to_be_visible()
    else:
        assert response.ok, response.status
        assert path_of(page, helpline_server) == "/accounts/profile/"
        expect(page.locator("#safeguarding-block")).to_be_visible()
    assert_not_home_page(page)
    expect(page.locator("table")).to_have_count(0)  # no audit rows shown
