"""Replies written in the console travel over the console's socket: checked as a form post would be
(the person still active, signed in and vetted; the contact theirs), stored and audited before the
child hears them; anything else is refused and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from helpline.accounts import services as accounts
from helpline.accounts.models import PoliceCheck, Staff
from helpline.audit.models import AuditEvent
from helpline.console.consumers import CLOSE_BAD, CLOSE_REFUSED, CLOSE_TOO_BIG
from helpline.contacts import services as contact_services
from helpline.contacts.models import Contact
from helpline.conversations.models import Direction, Message
from tests.factories import persona
from tests.sockets import staff_scope
from tests.test_chat_socket import run, start_chat

pytestmark = pytest.mark.django_db(transaction=True)
db = sync_to_async


class StaffSocket:
    def __init__(self, client: Client) -> None:
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        self.app = ApplicationCommunicator(application, staff_scope(cookie))

    async def open(self) -> None:
        await self.app.send_input({"type": "websocket.connect"})
        assert (await self.app.receive_output(5))["type"] == "websocket.accept"
        assert json.loads((await self.app.receive_output(5))["text"])["type"] == "hello"

    async def send(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        await self.app.send_input({"type": "websocket.receive", "text": text})

    async def receive_until(self, *kinds: str) -> dict[str, Any]:
        """The next frame of one of these kinds (console events in between are skipped), or the close."""
        for _ in range(50):
            output = await self.app.receive_output(5)
            if output["type"] == "websocket.close":
                return {"type": "__closed__", "code": output.get("code")}
            frame = json.loads(output["text"])
            if frame["type"] in kinds:
                return frame
        raise AssertionError(f"no {kinds}")

    async def reply(self, contact: Contact | str, text: Any, ref: str | int = "r") -> dict[str, Any]:
        """Send a reply as the console does; the server's answer to it (or the close)."""
        await self.send(
            {"type": "reply", "id": ref, "contact": str(getattr(contact, "pk", contact)), "text": text}
        )
        return await self.receive_until("reply.sent", "reply.refused")

    async def close(self) -> None:
        await self.app.send_input({"type": "websocket.disconnect", "code": 1000})
        await self.app.wait(5)


def take_waiting(counsellor: Staff) -> Contact:
    contact = Contact.objects.get()
    contact_services.contact_take(counsellor, contact=contact)
    return contact


async def held_chat(holder: Staff, client: Client) -> tuple[Any, Contact, StaffSocket]:
    """A child's chat taken by `holder`, and the console socket of whoever `client` signed in."""
    child, _started = await start_chat()
    contact = await db(take_waiting)(holder)
    console = StaffSocket(client)
    await console.open()
    return child, contact, console


async def replies_stored() -> int:
    return await db(Message.objects.filter(direction=Direction.OUTBOUND).count)()


def test_a_reply_over_the_console_socket_is_stored_audited_and_reaches_the_child(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(counsellor)

    async def scenario() -> None:
        child, contact, console = await held_chat(counsellor, client)
        ack = await console.reply(contact, "ខ្ញុំនៅទីនេះ", ref="r1")
        assert ack == {"type": "reply.sent", "id": "r1", "seq": 1, "contact": str(contact.pk)}
        frame = await child.receive_until("message")
        assert frame == {"type": "message", "seq": 1, "text": "ខ្ញុំនៅទីនេះ", "from": "helpline"}
        stored = await db(Message.objects.get)(direction=Direction.OUTBOUND)
        assert stored.text == "ខ្ញុំនៅទីនេះ" and stored.author_id == counsellor.pk
        audited = await db(list)(AuditEvent.objects.filter(action="text.reply", actor=counsellor))
        assert len(audited) == 1 and audited[0].client_ip == "127.0.0.1"
        await console.close()
        await child.disconnect()

    run(scenario)


def test_a_reply_to_someone_elses_contact_or_a_malformed_one_is_refused_and_stores_nothing(
    counsellor: Staff, make_persona: Callable[..., Staff], client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(make_persona("counsellor", username="other"))

    async def scenario() -> None:
        child, contact, console = await held_chat(counsellor, client)
        refused = await console.reply(contact, "hello", ref=7)
        assert refused["id"] == 7 and refused["reason"] == "not found"
        assert (await console.reply("not-a-uuid", "hello"))["reason"] == "not found"
        assert (await console.reply(contact, ["x"]))["reason"] == "bad frame"
        assert await replies_stored() == 0
        await console.close()
        await child.disconnect()

    run(scenario)


@pytest.mark.parametrize(("text", "says"), [("   ", "1000"), ("x" * 1001, "1000")], ids=["empty", "too long"])
def test_an_empty_or_too_long_reply_is_refused_with_the_reason_and_stores_nothing(
    counsellor: Staff, client_for: Callable[[Staff], Client], text: str, says: str
) -> None:
    client = client_for(counsellor)

    async def scenario() -> None:
        child, contact, console = await held_chat(counsellor, client)
        refused = await console.reply(contact, text, ref="x")
        assert refused["id"] == "x" and refused["reason"] == "invalid" and says in refused["message"]
        assert await replies_stored() == 0
        assert (await console.reply(contact, "ខ្ញុំនៅទីនេះ 🙂"))["type"] == "reply.sent"  # still open
        await console.close()
        await child.disconnect()

    run(scenario)


def test_half_an_emoji_or_a_nul_in_a_reply_is_kept_as_a_replacement_character_not_a_crash(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    """A lone surrogate (JSON.stringify sends one as it is) or a NUL: no database takes them."""
    client = client_for(counsellor)

    async def scenario() -> None:
        child, contact, console = await held_chat(counsellor, client)
        assert (await console.reply(contact, "a\ud83d b\x00"))["type"] == "reply.sent"
        stored = await db(Message.objects.get)(direction=Direction.OUTBOUND)
        assert stored.text == "a\ufffd b\ufffd"
        await console.close()
        await child.disconnect()

    run(scenario)


def _lapse(counsellor: Staff) -> None:
    PoliceCheck.objects.filter(staff=counsellor).delete()


def _new_password(counsellor: Staff) -> None:
    counsellor.set_password("a-new-password-for-this-test-9")
    counsellor.save()


def _deactivate(counsellor: Staff) -> None:
    Staff.objects.filter(pk=counsellor.pk).update(is_active=False)


def _everywhere(counsellor: Staff) -> None:
    accounts.staff_sign_out_everywhere(counsellor)


def _second_factor_reset(counsellor: Staff) -> None:
    accounts.otp_reset(persona("administrator", username="admin-reset"), staff=counsellor)


@pytest.mark.parametrize(
    "end",
    [_lapse, _new_password, _deactivate, _everywhere, _second_factor_reset, "logout"],
    ids=[
        "vetting lapsed",
        "new password",
        "deactivated",
        "signed out everywhere",
        "second factor reset",
        "logout",
    ],
)
def test_whatever_ends_a_session_on_pages_ends_it_on_the_socket_at_the_next_reply(
    counsellor: Staff, client_for: Callable[[Staff], Client], end: Callable[[Staff], None] | str
) -> None:
    """Refused with a reason, then closed; nothing stored. The socket opened while all was well."""
    client = client_for(counsellor)

    async def scenario() -> None:
        child, contact, console = await held_chat(counsellor, client)
        await db(client.logout if end == "logout" else end)(*(() if end == "logout" else (counsellor,)))
        if end in (_everywhere, _second_factor_reset):  # announced by the service: ended at once
            assert (await console.receive_until("access.ended"))["type"] == "access.ended"
            assert await console.receive_until("reply.sent") == {"type": "__closed__", "code": CLOSE_REFUSED}
            await child.disconnect()
            return
        refused = await console.reply(contact, "hello")
        assert refused["type"] == "reply.refused" and refused["reason"] == "signed out"
        assert await console.receive_until("reply.sent") == {"type": "__closed__", "code": CLOSE_REFUSED}
        assert await replies_stored() == 0
        if end is _lapse:  # refused by the safeguarding gate: recorded, as on a page
            refusals = AuditEvent.objects.filter(action="access.refused", actor=counsellor)
            refusal = await db(refusals.get)()
            assert "police check" in refusal.reason and refusal.client_ip == "127.0.0.1"
        await child.disconnect()

    run(scenario)


@pytest.mark.parametrize(("text", "code"), [("{not json", CLOSE_BAD), ("x" * 9000, CLOSE_TOO_BIG)])
def test_a_bad_staff_frame_closes_the_socket(
    counsellor: Staff, client_for: Callable[[Staff], Client], text: str, code: int
) -> None:
    client = client_for(counsellor)

    async def scenario() -> None:
        console = StaffSocket(client)
        await console.open()
        await console.send(text)
        assert await console.receive_until("pong") == {"type": "__closed__", "code": code}

    run(scenario)
