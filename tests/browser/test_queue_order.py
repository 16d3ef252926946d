"""One queue order in a real browser: a critical chat that arrives after an ordinary SMS is listed
first on the counsellor's console, marked in words as well as colour, and is what the first pick
takes, by keyboard (Alt+Q) and by click."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer, _manage, _server_env
from tests.browser.test_chat import child_page, open_and_start, send

pytestmark = pytest.mark.browser

ORDINARY_SMS = "សួស្តី តើខ្ញុំអាចសួរអំពីសាលារៀនបានទេ"  # "hello, can I ask about school"
PLAN = "ខ្ញុំចង់សម្លាប់ខ្លួន"  # "I want to kill myself"
CRITICAL = re.compile(r"^\s*(Critical|បន្ទាន់បំផុត)\s*$")  # in the counsellor's language


def an_sms_arrives(server: HelplineServer, text: str) -> None:
    receive = (
        "from helpline.channels.base import InboundText; "
        "from helpline.conversations.services import text_receive; "
        f"text_receive(InboundText(provider='kannel', provider_message_id='order-{time.time_ns()}', "
        f"sender='+85512777{time.time_ns() % 1000:03d}', recipient='1280', text={text!r}))"
    )
    _manage(_server_env(server.data_dir), "shell", "-c", receive)


def test_a_later_critical_chat_is_listed_and_picked_before_an_earlier_ordinary_sms(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    # Earlier tests share the server: a chat whose quick exit never reached it would still wait.
    end_waiting_chats = (
        "from helpline.conversations.chat import chat_leave; "
        "from helpline.conversations.models import ChatSession; "
        "[chat_leave(s) for s in ChatSession.objects.filter(left_at__isnull=True, "
        "conversation__contact__status='waiting')]"
    )
    _manage(_server_env(helpline_server.data_dir), "shell", "-c", end_waiting_chats)
    an_sms_arrives(helpline_server, ORDINARY_SMS)
    child_context, child = child_page(chromium, helpline_server)
    open_and_start(child)
    send(child, PLAN)
    expect(child.locator("[data-helpline-chat] .msg.you.pending")).to_have_count(0)

    context = chromium.new_context(base_url=helpline_server.url, storage_state=staff_session("counsellor"))
    context.set_default_timeout(15_000)
    console = context.new_page()
    console.goto("/console/")
    waiting = console.locator("#console-lists ul.waiting > li")
    expect(waiting).to_have_count(2)
    head, next_one = waiting.nth(0), waiting.nth(1)
    expect(head).to_have_class(re.compile(r"\burgency-critical\b"))
    expect(head.locator(".badge.urgency")).to_have_text(CRITICAL)  # in words, not colour alone
    expect(head).to_contain_text("Alt+Q")
    expect(next_one).not_to_have_class(re.compile(r"urgency-"))
    expect(next_one.locator(".badge.urgency")).to_have_count(0)

    # The keyboard's first pick is the head: the critical chat, not the SMS that came first.
    console.wait_for_load_state("domcontentloaded")
    console.keyboard.press("Alt+q")
    expect(console).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
    expect(console.locator("#thread-messages")).to_contain_text(PLAN)
    console.locator('[data-hotkey="1"]').click()  # closed: the chat's child is told
    expect(console).to_have_url(re.compile(r"/console/$"))

    # Now the SMS heads the list, and a click on the first entry takes it.
    expect(waiting).to_have_count(1)
    waiting.first.locator("button").click()
    expect(console.locator("#thread-messages")).to_contain_text(ORDINARY_SMS)
    console.locator('[data-hotkey="1"]').click()  # leave the queue empty for the next test
    expect(console).to_have_url(re.compile(r"/console/$"))
    expect(console.locator("#console-lists ul.waiting > li.muted")).to_have_count(1)
    child_context.close()
    context.close()
