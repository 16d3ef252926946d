"""The chat widget never shows a child a message that was not delivered: the message box is there
only while the chat is on, a message shows as sent only once the server confirmed it, and one that
was refused or never confirmed says so beside it, with a button to send it again."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer, _manage, _server_env
from tests.browser.test_chat import (
    HELLO,
    child_page,
    child_says_hello,
    counsellor_takes_the_chat,
    open_and_start,
    send,
)

pytestmark = pytest.mark.browser

W = "[data-helpline-chat]"
SENDING = "កំពុងផ្ញើ…"  # "Sending…"
NOT_SENT = "មិនអាចផ្ញើសារនេះបានទេ។"  # "This message could not be sent."
BLOCKED = "zzquxblocked"


def leave(child: Any) -> None:
    """Quick exit, waited for: the chat leaves the queue empty for the next test (the server is shared)."""
    child.locator(f"{W} .exit").click()
    expect(child).to_have_url("about:blank")


def test_the_message_box_is_there_only_while_the_chat_is_on(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    context, child = child_page(chromium, helpline_server)
    child.locator(f"{W} .open").click()
    # Before "Start chatting" there is nowhere to type: nothing can look sent and be lost.
    expect(child.locator(f"{W} .go")).to_be_visible()
    expect(child.locator(f"{W} textarea")).to_be_hidden()
    expect(child.locator(f"{W} .send")).to_be_hidden()
    child.locator(f'{W} .langs button[data-lang="km"]').click()
    child.locator(f"{W} .go").click()
    expect(child.locator(f"{W} textarea")).to_be_visible()
    send(child, HELLO)
    expect(child.locator(f"{W} .msg.you")).to_have_text([HELLO])  # confirmed: no "Sending…" left

    counsellor_context, console = counsellor_takes_the_chat(chromium, helpline_server, staff_session)
    expect(child.locator(f"{W} .status")).to_have_text(re.compile(r"\S"))
    console.locator('[data-hotkey="1"]').click()  # the counsellor closes the contact
    expect(console).to_have_url(re.compile(r"/console/$"))
    # The chat has ended: the box goes, and the child is told.
    expect(child.locator(f"{W} textarea")).to_be_hidden()
    expect(child.locator(f"{W} .send")).to_be_hidden()
    expect(child.locator(f"{W} .status")).to_contain_text("1280")
    expect(child.locator(f"{W} .msg.you")).to_have_text([HELLO])
    context.close()
    counsellor_context.close()


def test_an_unconfirmed_message_says_sending_then_not_sent_and_is_sent_again(
    chromium: Any, helpline_server: HelplineServer
) -> None:
    """A network that swallows what the child sends while the socket still looks open."""
    swallowing = {"on": True}
    swallowed: list[str] = []

    def swallow_messages(route: Any) -> None:
        server = route.connect_to_server()

        def outgoing(message: Any) -> None:
            if swallowing["on"] and '"message"' in str(message):
                swallowed.append(str(message))
            else:
                server.send(message)

        route.on_message(outgoing)
        server.on_message(route.send)

    context, child = child_page(chromium, helpline_server)
    child.route_web_socket(re.compile(r"/ws/chat/"), swallow_messages)
    open_and_start(child)
    send(child, HELLO)
    mine = child.locator(f"{W} .msg.you")
    expect(mine).to_have_count(1)
    expect(mine).to_have_class(re.compile(r"\bpending\b"))
    expect(mine.locator(".note")).to_have_text(SENDING)  # said in words, not only by a shade
    # Not confirmed within ten seconds: not sent, said beside it, with a button to send it again.
    expect(mine).to_have_class(re.compile(r"\bfailed\b"), timeout=20_000)
    expect(mine.locator(".note")).to_have_text(NOT_SENT)
    expect(mine.locator(".resend")).to_be_visible()
    assert len(swallowed) == 1

    swallowing["on"] = False
    mine.locator(".resend").click()
    expect(mine).to_have_text(HELLO)  # confirmed: the note and the button are gone
    expect(mine).not_to_have_class(re.compile(r"\b(pending|failed)\b"))
    leave(child)
    context.close()
    # The routed socket may drop the quick exit's last frame: the chat leaves the queue here, so the
    # next test (the server is shared) finds it empty.
    end_waiting_chats = (
        "from helpline.conversations.chat import chat_leave; "
        "from helpline.conversations.models import ChatSession; "
        "[chat_leave(s) for s in ChatSession.objects.filter(left_at__isnull=True, "
        "conversation__contact__status='waiting')]"
    )
    _manage(_server_env(helpline_server.data_dir), "shell", "-c", end_waiting_chats)


def test_a_message_the_server_refuses_says_so_and_can_be_sent_again(
    chromium: Any, helpline_server: HelplineServer
) -> None:
    env = _server_env(helpline_server.data_dir)
    block = (
        "from helpline.accounts.models import Staff; "
        "from helpline.conversations.models import BlockedKeyword; "
        f"BlockedKeyword.objects.get_or_create(keyword='{BLOCKED}', "
        "defaults={'created_by': Staff.objects.get(username='supervisor')})"
    )
    _manage(env, "shell", "-c", block)
    time.sleep(6)  # the server reads the list at most every five seconds
    context, child = child_says_hello(chromium, helpline_server)
    try:
        send(child, f"hello {BLOCKED}")
        refused = child.locator(f"{W} .msg.you").nth(1)
        expect(refused).to_have_class(re.compile(r"\bfailed\b"))
        expect(refused.locator(".note")).to_have_text(NOT_SENT)
        expect(child.locator(f"{W} .msg.you").first).to_have_text(HELLO)  # the stored one stays sent
        # Refused again when sent again: it never shows as sent.
        refused.locator(".resend").click()
        expect(refused.locator(".note")).to_have_text(NOT_SENT)
        expect(refused).to_have_class(re.compile(r"\bfailed\b"))
        expect(refused.locator(".resend")).to_be_visible()
    finally:
        unblock = (
            "from helpline.conversations.models import BlockedKeyword; "
            f"BlockedKeyword.objects.filter(keyword='{BLOCKED}').delete()"
        )
        _manage(env, "shell", "-c", unblock)
        leave(child)
        context.close()
