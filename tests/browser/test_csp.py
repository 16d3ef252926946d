"""The Content-Security-Policy in a real browser: the console (a chat taken and answered, the draft
saved through htmx), the wallboard and the chat widget run without one violation, on Helpline's own
chat page and on a website of another origin that allows no inline style at all."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WEBSITE_PORT, HelplineServer
from tests.browser.test_chat import (
    HELLO,
    OFFLINE_TEXT,
    REPLY,
    counsellor_takes_the_chat,
    open_and_start,
    send,
)

pytestmark = pytest.mark.browser

# Reported from the page itself from its first script on, straight to the test (a navigation
# would lose a list kept in the page).
LISTEN = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.reportCspViolation(e.effectiveDirective + " blocked " + (e.blockedURI || "inline") +
    " at " + (e.sourceFile || document.location.href) + ":" + e.lineNumber);
}, true);
// htmx refuses to evaluate code under the policy (allowEval false) and says so with this event.
document.addEventListener("htmx:evalDisallowedError", function (e) {
  window.reportCspViolation("htmx would have evaluated code from " + (e.target.id || e.target.tagName));
}, true);
"""


class Violations:
    """Every violation a page reports, by event and on the console (Chromium logs each one)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, page: Any) -> Any:
        page.expose_function("reportCspViolation", lambda text: self.seen.append(str(text)))
        page.add_init_script(LISTEN)
        page.on(
            "console",
            lambda message: (
                self.seen.append(message.text)
                if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
                else None
            ),
        )
        return page

    def found(self) -> list[str]:
        return list(self.seen)


@pytest.fixture
def violations() -> Violations:
    return Violations()


def assert_policy(response: Any) -> None:
    header = response.headers.get("content-security-policy", "")
    assert "default-src 'none'" in header and "frame-ancestors" in header, header


def test_console_and_chat_widget_run_without_a_violation(
    chromium: Any,
    helpline_server: HelplineServer,
    staff_session: Callable[[str], dict[str, Any]],
    violations: Violations,
) -> None:
    child_context = chromium.new_context(base_url=helpline_server.url, viewport={"width": 400, "height": 780})
    child = violations.watch(child_context.new_page())
    assert_policy(child.goto("/chat/"))
    open_and_start(child)
    send(child, HELLO)
    expect(child.locator("[data-helpline-chat] .msg.you.pending")).to_have_count(0)
    # The widget is drawn as designed, not unstyled: its button is the helpline's blue.
    colour = child.locator("[data-helpline-chat] .send").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(31, 111, 235)"

    context, console = counsellor_takes_the_chat(
        chromium, helpline_server, staff_session, watch=violations.watch
    )
    console.locator("#reply-text").fill(REPLY)
    console.locator("form.reply button[type=submit]").click()
    expect(child.locator("[data-helpline-chat] .msg.helpline")).to_contain_text(REPLY)
    # The child writes again: the live event reloads the open thread (htmx, under the policy).
    send(child, OFFLINE_TEXT)
    expect(console.locator("#thread-messages")).to_contain_text(OFFLINE_TEXT)
    console.locator('input[name=kind][value="counselling"]').check()
    console.locator("textarea[name=summary]").fill("ក្មេងស្រីម្នាក់ខ្លាចនៅផ្ទះ")
    expect(console.locator("#draft-status")).not_to_be_empty(timeout=10_000)
    assert_policy(console.goto("/console/"))
    console.wait_for_timeout(1000)
    assert violations.found() == []
    context.close()
    child_context.close()


def test_wallboard_runs_without_a_violation(
    chromium: Any,
    helpline_server: HelplineServer,
    staff_session: Callable[[str], dict[str, Any]],
    violations: Violations,
) -> None:
    context = chromium.new_context(base_url=helpline_server.url, storage_state=staff_session("supervisor"))
    page = violations.watch(context.new_page())
    assert_policy(page.goto("/wallboard/"))
    expect(page.locator("main")).to_contain_text(re.compile(r"\S"))
    page.wait_for_timeout(3000)  # live refreshes swap parts of the page in
    page.goto("/calls/figures/")
    page.goto("/contacts/")
    assert violations.found() == []
    context.close()


@pytest.fixture
def strict_website(helpline_server: HelplineServer) -> Iterator[str]:
    """Another website (another origin: localhost, not 127.0.0.1) that embeds the widget as the
    README says, with a policy of its own that allows Helpline's script and socket and no inline
    style or script at all."""
    helpline = helpline_server.url
    socket_origin = helpline.replace("http://", "ws://")
    page = (
        '<!doctype html><html lang="km"><head><meta charset="utf-8"><title>School</title></head>'
        f'<body><h1>School</h1><script src="{helpline}/chat/widget.js" defer></script></body></html>'
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header(
                "Content-Security-Policy",
                f"default-src 'none'; script-src {helpline}; connect-src {socket_origin}; style-src 'self'",
            )
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    port = WEBSITE_PORT  # the origin the server lists in HELPLINE_CHAT_ORIGINS
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_widget_works_on_a_website_that_allows_no_inline_style(
    chromium: Any, strict_website: str, violations: Violations
) -> None:
    context = chromium.new_context(viewport={"width": 400, "height": 780})
    page = violations.watch(context.new_page())
    page.goto(strict_website)
    open_and_start(page)
    send(page, HELLO)
    expect(page.locator("[data-helpline-chat] .msg.you.pending")).to_have_count(0)
    colour = page.locator("[data-helpline-chat] .open").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(31, 111, 235)"
    assert violations.found() == []
    context.close()


def test_the_watch_sees_a_violation_when_there_is_one(
    chromium: Any, strict_website: str, violations: Violations
) -> None:
    """The check above is not blind: an inline style the website's policy forbids is reported."""
    context = chromium.new_context()
    page = violations.watch(context.new_page())
    page.goto(strict_website)
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<style>h1{color:red}</style>')")
    page.wait_for_timeout(500)
    assert any("style-src" in v for v in violations.found())
    context.close()
