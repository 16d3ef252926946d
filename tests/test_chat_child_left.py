"""A child who leaves a chat (quick exit, a closed or reloaded page, a connection lost for good)
is never left waiting as a live chat: the chat leaves the queue at once when the page is gone, after
a grace period when the connection dropped, and a counsellor who had answered it sees "the child
left" in the thread and in their list, and cannot reply into the void."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.contacts import services as contact_services
from helpline.contacts.models import Contact, Status
from helpline.conversations import chat
from helpline.conversations.models import ChatSession
from helpline.routing.selectors import waiting_queue
from tests.test_chat_socket import ChildSocket, db, run, start_chat

pytestmark = pytest.mark.django_db(transaction=True)

CRITICAL = "ខ្ញុំចង់សម្លាប់ខ្លួន"  # "I want to kill myself"
PAGE_GONE, DROPPED = 1001, 1006  # the browser left the page; the network went (no close frame)


def a_critical_chat(*, then_close: int) -> dict[str, Any]:
    async def scenario() -> dict[str, Any]:
        child, started = await start_chat()
        await child.send({"type": "message", "id": "m1", "text": CRITICAL})
        await child.receive_until("ack")
        await child.disconnect(code=then_close)
        return started

    result: dict[str, Any] = {}

    async def keep() -> None:
        result.update(await scenario())

    run(keep)
    return result


def test_a_chat_whose_page_was_closed_or_reloaded_leaves_the_queue_at_once() -> None:
    a_critical_chat(then_close=PAGE_GONE)
    contact = Contact.objects.get()
    assert contact.status == Status.ABANDONED
    assert not waiting_queue().exists()
    assert ChatSession.objects.get().left_at is not None


def test_a_dropped_connection_waits_out_the_grace_period_then_leaves_the_queue() -> None:
    a_critical_chat(then_close=DROPPED)
    now = timezone.now()
    assert chat.sweep_abandoned(now + chat.CHILD_GONE_AFTER / 2) == 0
    assert waiting_queue().count() == 1  # the child may still come back
    assert chat.sweep_abandoned(now + chat.CHILD_GONE_AFTER + dt.timedelta(seconds=1)) == 1
    assert Contact.objects.get().status == Status.ABANDONED


def test_a_child_who_came_back_within_the_grace_period_goes_on() -> None:
    started = a_critical_chat(then_close=DROPPED)

    async def back() -> None:
        child = ChildSocket()
        await child.connect()
        await child.send({"type": "resume", "token": started["token"], "after": 1})
        await child.receive_until("resumed")
        await child.disconnect(code=DROPPED)

    run(back)
    assert chat.sweep_abandoned(timezone.now() + dt.timedelta(seconds=5)) == 0
    assert Contact.objects.get().status == Status.WAITING


def test_a_closed_page_cannot_be_resumed() -> None:
    started = a_critical_chat(then_close=PAGE_GONE)

    async def back() -> None:
        child = ChildSocket()
        await child.connect()
        await child.send({"type": "resume", "token": started["token"], "after": 0})
        assert (await child.receive_until("ended"))["type"] == "ended"

    run(back)


def test_an_answered_chat_whose_child_left_says_so_in_the_thread_and_the_list(
    counsellor: Staff, client_for: Any
) -> None:
    a_critical_chat(then_close=DROPPED)
    contact = Contact.objects.get()
    contact_services.contact_take(counsellor, contact=contact)
    client = client_for(counsellor)
    assert "The child left" not in client.get(f"/console/{contact.pk}/thread/").content.decode()
    assert chat.sweep_abandoned(timezone.now() + chat.CHILD_GONE_AFTER * 2) == 1

    contact.refresh_from_db()
    assert contact.status == Status.ACTIVE and contact.counsellor == counsellor  # still to be recorded
    thread = client.get(f"/console/{contact.pk}/thread/").content.decode()
    assert "The child left the chat" in thread
    lists = client.get("/console/lists/").content.decode()
    assert "The child left" in lists
    form = client.get(f"/console/{contact.pk}/reply-form/").content.decode()
    assert "<textarea" not in form and "The child left" in form
    # The thread marks when; the reply box's place says what to do: each once, not the same twice.
    instruction = "Record the contact as usual."
    assert instruction in form and instruction not in thread
    assert "The child left the chat at" in thread and "The child left the chat at" not in form
    refused = client.post(f"/console/{contact.pk}/reply/", {"text": "are you there?"})
    assert refused.status_code == 400 and "left" in refused.content.decode()


def test_an_answered_chat_whose_page_was_closed_says_so_at_once(counsellor: Staff, client_for: Any) -> None:
    async def scenario() -> None:
        child, _started = await start_chat()
        await child.send({"type": "message", "id": "m1", "text": CRITICAL})
        await child.receive_until("ack")
        contact = await db(Contact.objects.get)()
        await db(contact_services.contact_take)(counsellor, contact=contact)
        await child.disconnect(code=PAGE_GONE)

    run(scenario)
    contact = Contact.objects.get()
    assert contact.status == Status.ACTIVE
    client = client_for(counsellor)
    assert "The child left the chat" in client.get(f"/console/{contact.pk}/thread/").content.decode()
    assert "The child left" in client.get("/console/lists/").content.decode()


def test_a_chat_whose_child_left_cannot_go_back_to_the_queue(
    counsellor: Staff, supervisor: Staff, client_for: Any
) -> None:
    """Nobody is there to answer: back in the queue it would wait as a live urgent chat, and the
    next child would be told they are behind it."""
    a_critical_chat(then_close=DROPPED)
    contact = Contact.objects.get()
    contact_services.contact_take(counsellor, contact=contact)
    assert chat.sweep_abandoned(timezone.now() + chat.CHILD_GONE_AFTER * 2) == 1
    for person in (counsellor, supervisor):
        client = client_for(person)
        page = client.get(f"/console/{contact.pk}/transfer/").content.decode()
        assert 'value="queue"' not in page
        refused = client.post(f"/console/{contact.pk}/transfer/", {"to": "queue", "reason": "busy"})
        assert refused.status_code == 400
        contact.refresh_from_db()
        assert contact.status == Status.ACTIVE and contact.counsellor == counsellor
    assert not waiting_queue().exists()
