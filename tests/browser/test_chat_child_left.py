"""A child who reloads or closes the chat page, in real browsers: the widget says beforehand that
this ends the chat and the browser asks; once the child goes, the chat leaves the counsellor's
waiting list at once (not minutes later), and a chat the counsellor had answered says "the child
left" in the thread and in their list, with no reply box left to write into the void."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer
from tests.browser.test_chat import child_page, open_and_start, send

pytestmark = pytest.mark.browser

PLAN = "ខ្ញុំចង់សម្លាប់ខ្លួន"  # "I want to kill myself"
LEFT = re.compile(r"The child left|កុមារបានចាកចេញ")  # in the counsellor's language
# Sooner than the lists' own 10 s refresh: the child's leaving is pushed.
PUSHED_MS = 8_000


def console_for(chromium: Any, server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]) -> Any:
    context = chromium.new_context(base_url=server.url, storage_state=staff_session("counsellor"))
    context.set_default_timeout(15_000)
    console = context.new_page()
    console.goto("/console/")
    expect(console.locator("body[data-live=open]")).to_have_count(1)
    return console


def take_urls(console: Any) -> set[str]:
    forms = console.locator("#console-lists ul.waiting form[action$='/take/']")
    return {forms.nth(i).get_attribute("action") for i in range(forms.count())}


def a_critical_chat_waits(chromium: Any, server: HelplineServer, console: Any) -> tuple[Any, Any, str]:
    """A child starts a chat and writes a critical message; the counsellor's list shows it."""
    before = take_urls(console)
    child_context, child = child_page(chromium, server)
    open_and_start(child)
    warning = child.locator("[data-helpline-chat] .keep")
    expect(warning).to_be_visible()  # told, while the chat is on, that leaving the page ends it
    expect(warning).to_contain_text("បិទ")  # Khmer: "close"
    send(child, PLAN)
    expect(child.locator("[data-helpline-chat] .msg.you.pending")).to_have_count(0)
    expect(console.locator("#console-lists ul.waiting form[action$='/take/']")).to_have_count(
        len(before) + 1, timeout=PUSHED_MS
    )
    [url] = take_urls(console) - before
    return child_context, child, url


def test_a_reloaded_chat_page_asks_first_then_leaves_the_waiting_list_at_once(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    console = console_for(chromium, helpline_server, staff_session)
    child_context, child, url = a_critical_chat_waits(chromium, helpline_server, console)
    mine = console.locator(f"#console-lists form[action='{url}']")
    expect(mine).to_have_count(1)

    asked: list[str] = []
    child.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
    child.reload()
    assert asked == ["beforeunload"]  # the browser asked before the page went
    expect(child.locator("[data-helpline-chat] .open")).to_be_visible()  # a fresh page: the chat is gone

    expect(mine).to_have_count(0, timeout=PUSHED_MS)  # no critical chat left waiting for nobody
    child_context.close()
    console.context.close()


def test_quick_exit_does_not_ask(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    console = console_for(chromium, helpline_server, staff_session)
    child_context, child, url = a_critical_chat_waits(chromium, helpline_server, console)
    asked: list[str] = []
    child.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    child.keyboard.press("Escape")
    expect(child).to_have_url("about:blank")
    assert asked == []
    expect(console.locator(f"#console-lists form[action='{url}']")).to_have_count(0, timeout=PUSHED_MS)
    child_context.close()
    console.context.close()


def test_an_answered_chat_whose_child_closed_the_tab_says_the_child_left(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    console = console_for(chromium, helpline_server, staff_session)
    child_context, child, url = a_critical_chat_waits(chromium, helpline_server, console)
    console.locator(f"#console-lists form[action='{url}'] button").click()
    expect(console).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
    expect(console.locator("#thread-messages")).to_contain_text(PLAN)
    expect(console.locator("#reply-text")).to_be_visible()
    expect(console.locator("body[data-live=open]")).to_have_count(1)
    expect(child.locator("[data-helpline-chat] .status")).to_contain_text(re.compile(r"\S"))

    child.on("dialog", lambda dialog: dialog.accept())
    child.close(run_before_unload=True)  # the child closes the tab, and confirms

    expect(console.locator("#thread-messages li.child-left")).to_contain_text(LEFT, timeout=PUSHED_MS)
    contact_id = console.url.rstrip("/").split("/")[-1]
    mine = console.locator(f"#console-lists a[href$='/console/{contact_id}/']").locator("..")
    expect(mine.locator(".badge.child-left")).to_contain_text(LEFT)
    # Nothing to write into the void: the reply box gives way to the notice at once, and stays so.
    expect(console.locator("#reply-box .child-left")).to_contain_text(LEFT, timeout=PUSHED_MS)
    expect(console.locator("#reply-text")).to_have_count(0)
    console.reload()
    expect(console.locator("#reply-box .child-left")).to_contain_text(LEFT)
    expect(console.locator("#reply-text")).to_have_count(0)
    console.locator('[data-hotkey="1"]').click()  # recorded (silent): nothing left open for other tests
    expect(console).to_have_url(re.compile(r"/console/$"))
    child_context.close()
    console.context.close()
