"""The child's chat socket, spoken to through the real ASGI application: start, messages stored
before delivery, resume without loss or repeats, counsellor replies in real time, and bad frames
closing the socket without changing anything."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.test import Client, override_settings

from config.asgi import application
from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.contacts import services as contact_services
from helpline.contacts.models import Contact, Status
from helpline.conversations import chat, consumers
from helpline.conversations.models import ChatSession, Direction, Message
from helpline.conversations.services import text_reply

pytestmark = pytest.mark.django_db(transaction=True)


class ChildSocket:
    """A child's browser socket, speaking ASGI to the application as uvicorn would."""

    def __init__(self, origin: bytes = b"http://127.0.0.1") -> None:
        scope = {
            "type": "websocket",
            "path": "/ws/chat/",
            "raw_path": b"/ws/chat/",
            "query_string": b"",
            "headers": [(b"origin", origin), (b"host", b"127.0.0.1")],
            "subprotocols": [],
            "client": ("127.0.0.1", 50123),
            "server": ("127.0.0.1", 8000),
        }
        self.app = ApplicationCommunicator(application, scope)

    async def connect(self) -> dict[str, Any]:
        await self.app.send_input({"type": "websocket.connect"})
        return await self.app.receive_output(5)

    async def send(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        await self.app.send_input({"type": "websocket.receive", "text": text})

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        output = await self.app.receive_output(timeout)
        if output["type"] == "websocket.close":
            return {"type": "__closed__", "code": output.get("code")}
        return json.loads(output["text"])

    async def receive_until(self, kind: str, timeout: float = 8) -> dict[str, Any]:
        for _ in range(20):
            frame = await self.receive(timeout)
            if frame["type"] == kind:
                return frame
            if frame["type"] == "__closed__":
                raise AssertionError(f"closed waiting for {kind}: {frame}")
        raise AssertionError(f"no {kind}")

    async def disconnect(self, code: int = 1006) -> None:
        """The connection goes: by default as a network drop does (no close frame; the chat may
        resume); 1001 is a browser leaving the page (closed, reloaded), which ends the chat."""
        await self.app.send_input({"type": "websocket.disconnect", "code": code})
        with contextlib.suppress(Exception):  # the consumer's ticker is cancelled on disconnect
            await self.app.wait(2)


async def start_chat(language: str = "km") -> tuple[ChildSocket, dict[str, Any]]:
    child = ChildSocket()
    assert (await child.connect())["type"] == "websocket.accept"
    await child.send({"type": "start", "language": language, "nickname": "Dara", "age": 14})
    started = await child.receive_until("started")
    return child, started


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    """One event loop for the whole conversation, as a real server has."""
    async_to_sync(scenario)()


db = sync_to_async


def test_a_chat_becomes_a_waiting_contact_with_a_queue_position() -> None:
    async def scenario() -> None:
        child, started = await start_chat()
        queue = await child.receive_until("queue")
        assert queue["position"] == 1
        session = await db(ChatSession.objects.select_related("conversation__contact").get)()
        contact = session.conversation.contact
        assert contact.channel == "webchat" and contact.status == Status.WAITING and contact.age == 14
        assert started["conversation"] == str(session.conversation_id)
        await child.disconnect()

    run(scenario)


def test_messages_are_stored_before_they_are_acknowledged_and_once_per_id() -> None:
    async def scenario() -> None:
        child, _started = await start_chat()
        await child.send({"type": "message", "id": "m1", "text": "សួស្តី ខ្ញុំត្រូវការជំនួយ"})
        ack = await child.receive_until("ack")
        assert ack["id"] == "m1" and ack["seq"] == 1
        stored = await db(Message.objects.get)(direction=Direction.INBOUND)
        assert stored.text == "សួស្តី ខ្ញុំត្រូវការជំនួយ" and stored.seq == 1
        await child.send({"type": "message", "id": "m1", "text": "សួស្តី ខ្ញុំត្រូវការជំនួយ"})  # resent
        assert (await child.receive_until("ack"))["seq"] == 1
        assert await db(Message.objects.filter(direction=Direction.INBOUND).count)() == 1
        # The write of the child's words is audited once (the repeat wrote nothing).
        audited = await db(
            AuditEvent.objects.filter(action="text.receive", detail__message=str(stored.pk)).count
        )()
        assert audited == 1
        await child.disconnect()

    run(scenario)


def test_counsellor_reply_reaches_the_child_in_real_time(counsellor: Staff) -> None:
    async def scenario() -> None:
        child, _started = await start_chat()

        def answer() -> None:
            contact = Contact.objects.get()
            contact_services.contact_take(counsellor, contact=contact)
            text_reply(counsellor, contact=contact, text="ខ្ញុំនៅទីនេះ")

        await db(answer)()
        frame = await child.receive_until("message")
        assert frame == {"type": "message", "seq": 1, "text": "ខ្ញុំនៅទីនេះ", "from": "helpline"}
        await child.disconnect()

    run(scenario)


def test_the_child_hears_at_once_that_a_counsellor_answered_and_that_the_chat_ended(
    counsellor: Staff,
) -> None:
    """Pushed, not polled: both frames arrive well before the next queue refresh would run."""

    async def scenario() -> None:
        child, _started = await start_chat()
        assert (await child.receive_until("queue"))["position"] == 1
        contact = await db(Contact.objects.get)()
        await db(contact_services.contact_take)(counsellor, contact=contact)
        frame = await child.receive(timeout=consumers.TICK_WAITING_SECONDS / 2)
        assert frame == {"type": "answered"}
        await db(contact_services.contact_close_quick)(counsellor, contact=contact, kind="testing")
        frame = await child.receive(timeout=consumers.TICK_WAITING_SECONDS / 2)
        assert frame == {"type": "ended"}
        await child.disconnect()

    run(scenario)


def test_an_answer_whose_push_went_missing_reaches_the_child_at_the_next_tick(
    counsellor: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waiting children's ticks read the process's queue snapshot, not the database: an answered
    child is gone from the next snapshot, and their tick then asks the database."""

    async def scenario() -> None:
        child, _started = await start_chat()
        assert (await child.receive_until("queue"))["position"] == 1

        async def push_lost(self: consumers.ChatConsumer, event: dict[str, Any]) -> None:
            return None

        monkeypatch.setattr(consumers.ChatConsumer, "console_event", push_lost)
        contact = await db(Contact.objects.get)()
        await db(contact_services.contact_take)(counsellor, contact=contact)
        frame = await child.receive(timeout=consumers.TICK_WAITING_SECONDS + chat.SNAPSHOT_SECONDS + 2)
        assert frame == {"type": "answered"}
        await child.disconnect()

    run(scenario)


def test_resume_after_a_dropped_connection_loses_nothing_and_repeats_nothing(counsellor: Staff) -> None:
    async def scenario() -> None:
        child, started = await start_chat()
        await child.send({"type": "message", "id": "a", "text": "one"})
        await child.receive_until("ack")
        await child.disconnect()

        def answer_while_away() -> None:
            contact = Contact.objects.get()
            contact_services.contact_take(counsellor, contact=contact)
            text_reply(counsellor, contact=contact, text="reply while you were away")

        await db(answer_while_away)()
        back = ChildSocket()
        await back.connect()
        await back.send({"type": "resume", "token": started["token"], "after": 1})
        assert (await back.receive_until("resumed"))["conversation"] == started["conversation"]
        missed = await back.receive_until("message")
        assert missed["seq"] == 2 and missed["text"] == "reply while you were away"
        await back.send({"type": "message", "id": "b", "text": "two"})
        assert (await back.receive_until("ack"))["seq"] == 3
        rows = await db(lambda: list(Message.objects.order_by("seq").values_list("seq", "text")))()
        assert rows == [(1, "one"), (2, "reply while you were away"), (3, "two")]
        await back.disconnect()

    run(scenario)


def test_quick_exit_before_an_answer_counts_as_abandoned() -> None:
    async def scenario() -> None:
        child, _started = await start_chat()
        await child.send({"type": "leave"})
        frame = await child.receive()
        while frame["type"] != "__closed__":
            frame = await child.receive()
        contact = await db(Contact.objects.get)()
        assert contact.status == Status.ABANDONED
        assert (await db(ChatSession.objects.get)()).left_at is not None

    run(scenario)


def test_a_child_who_never_comes_back_is_counted_abandoned_after_the_grace_time() -> None:
    async def scenario() -> None:
        child, _started = await start_chat()
        await child.disconnect()

    run(scenario)
    from django.utils import timezone

    assert chat.sweep_abandoned(timezone.now()) == 0
    assert chat.sweep_abandoned(timezone.now() + chat.CHILD_GONE_AFTER * 2) == 1
    assert Contact.objects.get().status == Status.ABANDONED


def test_a_high_risk_chat_message_marks_the_contact_urgent() -> None:
    async def scenario() -> None:
        child, _started = await start_chat()
        await child.send({"type": "message", "id": "r", "text": "ខ្ញុំចង់ស្លាប់"})
        await child.receive_until("ack")
        await child.disconnect()

    run(scenario)
    contact = Contact.objects.get()
    assert contact.urgency in {"urgent", "critical"} and contact.triage.score >= 20  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", 4400),
        ("[1, 2]", 4400),
        (json.dumps({"type": "teleport"}), 4400),
        (json.dumps({"type": "message", "id": "x", "text": "early"}), 4400),
        ("x" * 5000, 1009),
    ],
    ids=["not-json", "not-an-object", "unknown-type", "message-before-start", "too-large"],
)
def test_bad_frames_close_the_socket_and_change_nothing(
    frame: str, code: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        child = ChildSocket()
        await child.connect()
        await child.send(frame)
        assert await child.receive() == {"type": "__closed__", "code": code}

    run(scenario)
    assert not Message.objects.exists() and not Contact.objects.exists()
    assert "early" not in "\n".join(r.getMessage() for r in caplog.records)


def test_a_frame_for_another_conversation_closes_the_socket() -> None:
    async def scenario() -> None:
        child, _started = await start_chat()
        other, other_started = await start_chat()
        await child.send(
            {"type": "message", "id": "x", "text": "hi", "conversation": other_started["conversation"]}
        )
        frame = await child.receive()
        while frame["type"] != "__closed__":
            frame = await child.receive()
        assert frame["code"] == 4403
        await other.disconnect()

    run(scenario)
    assert not Message.objects.exists()


def test_a_flood_from_one_socket_is_cut_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        child, _started = await start_chat()
        for i in range(12):
            await child.send({"type": "message", "id": f"f{i}", "text": f"spam {i}"})
        frames = []
        for _ in range(40):
            frame = await child.receive()
            frames.append(frame)
            if frame["type"] == "__closed__":
                break
        assert frames[-1] == {"type": "__closed__", "code": 4429}

    run(scenario)
    assert Message.objects.count() <= 10
    assert "spam" not in "\n".join(r.getMessage() for r in caplog.records)


def test_chat_starts_from_one_address_are_limited_per_hour(settings: Any) -> None:
    settings.CHAT_STARTS_PER_ADDRESS_PER_HOUR = 2
    for _ in range(2):
        chat.chat_start(language="km", nickname="", age=None, client_address="203.0.113.7")
    with pytest.raises(chat.ChatRefused, match="too many chats"):
        chat.chat_start(language="km", nickname="", age=None, client_address="203.0.113.7")
    chat.chat_start(language="km", nickname="", age=None, client_address="203.0.113.8")  # another
    assert Contact.objects.count() == 3


def test_foreign_origins_are_refused() -> None:
    async def scenario() -> None:
        child = ChildSocket(origin=b"https://evil.example")
        assert (await child.connect())["type"] == "websocket.close"

    run(scenario)


def _chat_origin_accepted(origin: bytes, host: bytes = b"127.0.0.1") -> bool:
    async def scenario() -> bool:
        child = ChildSocket(origin=origin)
        child.app.scope["headers"] = [(b"origin", origin), (b"host", host)]
        first = await child.connect()
        if first["type"] == "websocket.accept":
            await child.disconnect()
            return True
        return False

    return async_to_sync(scenario)()


@override_settings(CHAT_ORIGINS=["school.example.org", "https://ngo.example.org:8443"])
def test_a_chat_origin_is_matched_with_its_scheme_and_port() -> None:
    # A host name stands for its site on the default port; an origin with a port, for that port.
    assert _chat_origin_accepted(b"https://school.example.org")
    assert not _chat_origin_accepted(b"https://school.example.org:8443")
    assert not _chat_origin_accepted(b"http://school.example.org:8080")
    assert _chat_origin_accepted(b"https://ngo.example.org:8443")
    assert not _chat_origin_accepted(b"https://ngo.example.org")
    assert not _chat_origin_accepted(b"http://ngo.example.org:8443")
    # The helpline's own chat page: the origin the browser talks to, port and all.
    assert _chat_origin_accepted(b"http://127.0.0.1:8000", host=b"127.0.0.1:8000")
    assert not _chat_origin_accepted(b"http://127.0.0.1:9999", host=b"127.0.0.1:8000")
    assert not _chat_origin_accepted(b"http://evil.example:8000", host=b"evil.example:8000")
    assert not _chat_origin_accepted(b"null")


def test_widget_script_is_served_with_both_languages() -> None:
    response = Client().get("/chat/widget.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "__HELPLINE_CONFIG__" not in body
    config = json.loads(body.split("var CONFIG = ", 1)[1].split(";\n", 1)[0])
    assert set(config["strings"]) == {"km", "en"} and config["strings"]["en"]["exit"] == "Leave quickly"
    # Nothing is kept in the browser, and nothing is fetched from anyone else.
    for forbidden in (
        "localStorage.",
        "sessionStorage.",
        "document.cookie",
        "indexedDB",
        "fetch(",
        "XMLHttpRequest",
    ):
        assert forbidden not in body


def test_numbers_in_attributes_are_never_grouped(counsellor: Staff) -> None:
    """A maxlength of "1,000" reads as 1 in a browser: attributes must carry plain digits."""
    from django.template import Context, Template
    from django.utils import translation

    for language in ("en", "km"):
        with translation.override(language):
            html = Template('<textarea maxlength="{{ n }}"></textarea>').render(Context({"n": 1000}))
        assert 'maxlength="1000"' in html, html


def test_half_an_emoji_or_a_nul_from_a_child_is_stored_not_a_crash() -> None:
    """A cheap phone's keyboard can leave half of an emoji (a lone surrogate, which a browser's
    JSON carries as it is); no database takes it, nor a NUL. The child's words are kept."""

    async def scenario() -> None:
        child, _started = await start_chat()
        await child.send({"type": "message", "id": "m1", "text": "ខ្ញុំ \ud83d ខ្លាច\x00"})
        assert (await child.receive_until("ack"))["seq"] == 1
        stored = await db(Message.objects.get)(direction=Direction.INBOUND)
        assert stored.text == "ខ្ញុំ \ufffd ខ្លាច\ufffd"
        await child.disconnect()

    run(scenario)


@pytest.mark.parametrize("client_id", ["m\ud83d", "m\x00", "m\x1b"], ids=["surrogate", "nul", "escape"])
def test_a_message_id_no_database_keeps_is_refused_plainly_and_the_chat_goes_on(client_id: str) -> None:
    """The widget makes its own ids; one holding half an emoji or a control character is refused
    as any bad id is (close 4400), not a crash, and the child's chat resumes on a new socket."""

    async def scenario() -> None:
        child, started = await start_chat()
        await child.send({"type": "message", "id": client_id, "text": "hello"})
        frame = await child.receive()
        while frame["type"] != "__closed__":  # queue places may come first
            frame = await child.receive()
        assert frame == {"type": "__closed__", "code": 4400}
        again = ChildSocket()
        await again.connect()
        await again.send({"type": "resume", "token": started["token"], "after": 0})
        assert (await again.receive_until("resumed"))["conversation"] == started["conversation"]
        await again.send({"type": "message", "id": "m2", "text": "hello"})
        assert (await again.receive_until("ack"))["seq"] == 1
        await again.disconnect()

    run(scenario)
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
