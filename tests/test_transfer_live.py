"""The receiving console learns of a transfer at once, the giver's console too, and nobody else's;
the child's next message goes to the new holder's console. The event says only that the contact
moved: the reason is fetched with the list."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client

from helpline.accounts.models import Role, Staff
from helpline.channels.base import InboundText
from helpline.contacts import services as contact_services
from helpline.contacts.models import Channel, Contact
from helpline.conversations.services import text_receive
from helpline.routing import queue
from helpline.routing.models import PresenceState
from helpline.routing.transfer import transfer
from tests.factories import persona
from tests.test_console_socket_reply import StaffSocket

pytestmark = pytest.mark.django_db(transaction=True)
db = sync_to_async


def text(n: int) -> None:
    text_receive(
        InboundText(
            provider="kannel",
            provider_message_id=f"live-{n}",
            sender="+85512000222",
            recipient="1280",
            text="hi",
        )
    )


def test_the_receiving_console_is_told_live_and_then_hears_the_child(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    colleague = persona(Role.COUNSELLOR, username="sophea")
    bystander = persona(Role.VOLUNTEER, username="bystander")
    queue.presence_set(colleague, PresenceState.AVAILABLE)
    text(1)
    contact = Contact.objects.get(channel=Channel.SMS)
    contact_services.contact_take(counsellor, contact=contact)
    clients = {s.username: client_for(s) for s in (counsellor, colleague, bystander)}

    async def scenario() -> None:
        receiving, giving, other = (
            StaffSocket(clients[name]) for name in ("sophea", "counsellor", "bystander")
        )
        for socket in (receiving, giving, other):
            await socket.open()
        await db(transfer)(counsellor, contact=contact, to=colleague, reason="private words about the child")
        told = await receiving.receive_until("console.event")
        assert told == {
            "type": "console.event",
            "reason": "transferred",
            "contact": str(contact.pk),
            "to_you": True,
        }
        gave = await giving.receive_until("console.event")
        assert gave["reason"] == "transferred" and "to_you" not in gave
        await other.app.receive_nothing(timeout=0.5)  # another console hears nothing of it
        # The child writes again: the new holder's console hears it, the giver's does not.
        await db(text)(2)
        heard = await receiving.receive_until("console.event")
        assert heard == {"type": "console.event", "reason": "message", "contact": str(contact.pk)}
        await giving.app.receive_nothing(timeout=0.5)
        for socket in (receiving, giving, other):
            await socket.close()

    async_to_sync(scenario)()


def test_back_to_the_queue_is_told_to_every_console(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    bystander = persona(Role.VOLUNTEER, username="bystander")
    text(3)
    contact = Contact.objects.get(channel=Channel.SMS)
    contact_services.contact_take(counsellor, contact=contact)
    client = client_for(bystander)

    async def scenario() -> None:
        other = StaffSocket(client)
        await other.open()
        await db(transfer)(counsellor, contact=contact, to=None, reason="must leave")
        told = await other.receive_until("console.event")
        assert told == {"type": "console.event", "reason": "requeued", "contact": str(contact.pk)}
        await other.close()

    async_to_sync(scenario)()
