"""The web chat end to end in real browsers: a child on a plain page chats in Khmer with a
counsellor in another browser, loses the connection and resumes without loss, then leaves
quickly and the browser keeps nothing of the chat. A high-risk message jumps the queue."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer

pytestmark = pytest.mark.browser

HELLO = "សួស្តី ខ្ញុំមានបញ្ហានៅផ្ទះ"
REPLY = "ខ្ញុំនៅទីនេះ ដើម្បីស្តាប់អ្នក"
OFFLINE_TEXT = "ខ្ញុំខ្លាចណាស់"


def child_page(chromium: Any, server: HelplineServer) -> tuple[Any, Any]:
    context = chromium.new_context(base_url=server.url, viewport={"width": 400, "height": 780})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/chat/")
    return context, page


def open_and_start(page: Any) -> None:
    page.locator("[data-helpline-chat] .open").click()
    page.locator('[data-helpline-chat] .langs button[data-lang="km"]').click()
    page.locator("[data-helpline-chat] .nick").fill("Dara")
    page.locator("[data-helpline-chat] .go").click()
    expect(page.locator("[data-helpline-chat] .status")).to_have_text(re.compile(r"\d"))


def position(page: Any) -> int:
    """The child's place in the queue, as the widget shows it."""
    text = page.locator("[data-helpline-chat] .status").inner_text()
    found = re.search(r"\d+", text)
    assert found, text
    return int(found.group())


def send(page: Any, text: str) -> None:
    page.locator("[data-helpline-chat] textarea").fill(text)
    page.locator("[data-helpline-chat] textarea").press("Enter")


def child_says_hello(chromium: Any, server: HelplineServer) -> tuple[Any, Any]:
    """A child opens the chat, starts it in Khmer and writes; the message is stored (acknowledged)."""
    context, page = child_page(chromium, server)
    open_and_start(page)
    send(page, HELLO)
    expect(page.locator("[data-helpline-chat] .msg.you.pending")).to_have_count(0)
    return context, page


def counsellor_takes_the_chat(
    chromium: Any,
    server: HelplineServer,
    staff_session: Callable[[str], dict[str, Any]],
    *,
    before: Callable[[Any], object] = lambda context: None,
    watch: Callable[[Any], object] = lambda page: None,
) -> tuple[Any, Any]:
    """A counsellor opens the console in their own browser and takes the waiting chat."""
    context = chromium.new_context(base_url=server.url, storage_state=staff_session("counsellor"))
    context.set_default_timeout(15_000)
    before(context)
    console = context.new_page()
    watch(console)
    console.goto("/console/")
    console.locator("#console-lists form[action$='/take/'] button").first.click()
    expect(console).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
    expect(console.locator("#thread-messages")).to_contain_text(HELLO)
    return context, console


def test_child_chats_in_khmer_resumes_after_a_drop_and_leaves_no_trace(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    child_context, child = child_says_hello(chromium, helpline_server)
    expect(child.locator("[data-helpline-chat] .msg.you")).to_have_text([HELLO])

    counsellor_context, console = counsellor_takes_the_chat(chromium, helpline_server, staff_session)

    # The reply travels over the console's live socket, not as a page request; the box empties
    # once the server confirms it stored the reply.
    posts: list[str] = []
    console.on("request", lambda r: posts.append(r.url) if "/reply/" in r.url else None)
    expect(console.locator("body[data-live=open]")).to_have_count(1)
    console.locator("#reply-text").fill(REPLY)
    console.locator("form.reply button[type=submit]").click()
    expect(child.locator("[data-helpline-chat] .msg.helpline")).to_have_text([REPLY])
    expect(console.locator("#reply-text")).to_have_value("")
    expect(console.locator("#thread-messages")).to_contain_text(REPLY)
    assert posts == []

    # The child's connection drops; they keep typing; it comes back and nothing is lost or doubled.
    child_context.set_offline(True)
    send(child, OFFLINE_TEXT)
    console.locator("#reply-text").fill("ខ្ញុំនៅតែនៅទីនេះ")
    console.locator("form.reply button[type=submit]").click()
    child_context.set_offline(False)
    expect(child.locator("[data-helpline-chat] .msg.helpline")).to_have_text(
        [REPLY, "ខ្ញុំនៅតែនៅទីនេះ"], timeout=30_000
    )
    expect(console.locator("#thread-messages")).to_contain_text(OFFLINE_TEXT, timeout=30_000)
    expect(child.locator("[data-helpline-chat] .msg.you")).to_have_text([HELLO, OFFLINE_TEXT])

    # Quick exit: the page is replaced, and the browser holds nothing of the chat.
    entries = child.evaluate("() => history.length")
    child.locator("[data-helpline-chat] .exit").click()
    expect(child).to_have_url("about:blank")
    assert child.evaluate("() => history.length") == entries  # the chat page was replaced, not left behind
    child.goto(helpline_server.url + "/healthz")
    assert child.evaluate("() => localStorage.length + sessionStorage.length") == 0
    assert child.evaluate("() => document.cookie") == ""
    visited = []
    for _ in range(entries + 1):  # walk back through every entry of this tab
        child.go_back()
        visited.append(child.url)
    assert not any("/chat/" in url for url in visited), visited
    child_context.close()
    counsellor_context.close()


def test_a_high_risk_message_jumps_the_queue(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    first_context, first = child_page(chromium, helpline_server)
    open_and_start(first)
    send(first, "សួស្តី")
    second_context, second = child_page(chromium, helpline_server)
    open_and_start(second)
    before_first, before_second = position(first), position(second)
    assert before_second > before_first  # arrived later, ordinary: behind
    send(second, "ខ្ញុំចង់សម្លាប់ខ្លួន")  # "I want to kill myself"
    # High risk goes to the head of the queue, ahead of the earlier ordinary chat.
    expect(second.locator("[data-helpline-chat] .status")).to_have_text(re.compile(r"\b1\b"), timeout=10_000)
    first.wait_for_timeout(4000)  # the widget refreshes its place every few seconds
    assert position(first) > position(second)

    board_context = chromium.new_context(
        base_url=helpline_server.url, storage_state=staff_session("supervisor")
    )
    board = board_context.new_page()
    board.goto("/wallboard/")
    expect(board.locator(".tile.alert")).to_be_visible()
    for page in (first, second):  # leave the queue empty for the next test (the server is shared)
        page.locator("[data-helpline-chat] .exit").click()
        expect(page).to_have_url("about:blank")
    for context in (first_context, second_context, board_context):
        context.close()


def test_without_the_live_socket_the_reply_form_posts_and_appends_the_reply(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    child_context, child = child_says_hello(chromium, helpline_server)
    posts: list[int] = []
    counsellor_context, console = counsellor_takes_the_chat(
        chromium,
        helpline_server,
        staff_session,
        before=lambda context: context.add_init_script("delete window.WebSocket"),  # sockets blocked
        watch=lambda page: page.on(
            "response", lambda r: posts.append(r.status) if "/reply/" in r.url else None
        ),
    )
    console.locator("#reply-text").fill(REPLY)
    console.locator("form.reply button[type=submit]").click()
    expect(child.locator("[data-helpline-chat] .msg.helpline")).to_have_text([REPLY])
    expect(console.locator("#thread-messages li.msg.out")).to_have_count(1)
    expect(console.locator("#reply-text")).to_have_value("")
    assert posts == [200]
    child_context.close()
    counsellor_context.close()


def test_the_open_thread_reloads_for_its_own_chat_only(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    """Another child writing moves the lists, not the counsellor's open thread; the open chat's
    own message reloads it."""
    held_context, held = child_says_hello(chromium, helpline_server)
    reloads: list[str] = []
    counsellor_context, console = counsellor_takes_the_chat(
        chromium,
        helpline_server,
        staff_session,
        watch=lambda page: page.on(
            "request",
            lambda r: (
                reloads.append(r.url.split("/")[-2]) if "/thread/" in r.url or "/lists/" in r.url else None
            ),
        ),
    )
    expect(console.locator("body[data-live=open]")).to_have_count(1)
    console.wait_for_timeout(1500)  # the first load's requests are over
    reloads.clear()

    other_context, other = child_says_hello(chromium, helpline_server)  # waits in the queue
    send(other, "ខ្ញុំនៅតែរង់ចាំ")
    expect(other.locator("[data-helpline-chat] .msg.you.pending")).to_have_count(0)
    console.wait_for_timeout(2500)  # events are gathered for up to a second
    assert "lists" in reloads and "thread" not in reloads, reloads

    send(held, OFFLINE_TEXT)
    expect(console.locator("#thread-messages")).to_contain_text(OFFLINE_TEXT)
    for page in (held, other):
        page.locator("[data-helpline-chat] .exit").click()
    for context in (held_context, other_context, counsellor_context):
        context.close()


def test_a_reply_not_confirmed_in_time_is_left_in_the_box_with_a_warning(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    """A network that swallows what the console sends (the socket still looks open): after ten
    seconds the console stops waiting, keeps the text, says it is unconfirmed and reconnects."""
    child_context, child = child_says_hello(chromium, helpline_server)
    swallowed: list[str] = []

    def swallow_replies(route: Any) -> None:
        server = route.connect_to_server()
        route.on_message(lambda m: swallowed.append(m) if '"reply"' in str(m) else server.send(m))
        server.on_message(route.send)

    counsellor_context, console = counsellor_takes_the_chat(
        chromium,
        helpline_server,
        staff_session,
        watch=lambda page: page.route_web_socket(re.compile(r"/ws/staff/"), swallow_replies),
    )
    expect(console.locator("body[data-live=open]")).to_have_count(1)
    console.locator("#reply-text").fill(REPLY)
    console.locator("form.reply button[type=submit]").click()
    expect(console.locator("form.reply button[type=submit]")).to_be_disabled()
    notice = console.locator("[data-reply-notice]")
    expect(notice).to_have_text(str(notice.get_attribute("data-unconfirmed")), timeout=15_000)
    expect(console.locator("form.reply button[type=submit]")).to_be_enabled()
    expect(console.locator("#reply-text")).to_have_value(REPLY)  # kept, not sent twice
    expect(console.locator("body[data-live=open]")).to_have_count(1, timeout=15_000)  # back again
    assert len(swallowed) == 1
    expect(child.locator("[data-helpline-chat] .msg.helpline")).to_have_count(0)
    child.locator("[data-helpline-chat] .exit").click()
    child_context.close()
    counsellor_context.close()
