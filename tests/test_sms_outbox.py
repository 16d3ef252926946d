"""Replies: queued in the database, sent by the worker with retries, backoff and a rate limit,
never twice; failures shown to the counsellor; the console shows the thread live."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.channels.base import OutboundText, PermanentError, RetryableError
from helpline.channels.registry import use_gateway
from helpline.contacts import services as contact_services
from helpline.contacts.models import Contact, Status
from helpline.conversations import outbox, services
from helpline.conversations.models import CannedReply, DeliveryStatus, Direction, Message

SECRET = "kannel-test-secret-0123456789"
ClientFor = Callable[[Staff], Client]


class FakeGateway:
    """Stands in for an operator's gateway: records what it was asked to send, fails on demand."""

    name = "kannel"

    def __init__(self, per_second: float = 1000.0) -> None:
        self.per_second = per_second
        self.sent: list[OutboundText] = []
        self.failures: list[Exception] = []
        self.lock = threading.Lock()

    def send(self, message: OutboundText) -> str | None:
        with self.lock:
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append(message)
        return None


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    fake = FakeGateway()
    use_gateway("kannel", fake)
    with override_settings(HELPLINE_ENV={"HELPLINE_KANNEL_SECRET": SECRET}):
        yield fake
    use_gateway("kannel", None)


def sms_in(text: str = "hello", msg_id: str = "k-1", sender: str = "85512345678") -> Contact:
    response = Client().get(
        "/hooks/sms/kannel", {"secret": SECRET, "from": sender, "to": "1280", "text": text, "id": msg_id}
    )
    assert response.status_code == 200
    return Message.objects.get(provider_message_id=msg_id).conversation.contact


def answered(counsellor: Staff, **kwargs: str) -> Contact:
    contact = sms_in(**kwargs)
    return contact_services.contact_take(counsellor, contact=contact)


def test_reply_is_queued_then_sent_by_the_worker(counsellor: Staff, gateway: FakeGateway) -> None:
    contact = answered(counsellor)
    reply = services.text_reply(counsellor, contact=contact, text="ខ្ញុំនៅទីនេះ")
    assert reply.status == DeliveryStatus.QUEUED and reply.parts == 1
    run = outbox.deliver_due()
    assert run.sent == 2  # the first automatic reply and ours
    assert [m.text for m in gateway.sent][-1] == "ខ្ញុំនៅទីនេះ"
    assert gateway.sent[-1].to == "+85512345678" and gateway.sent[-1].sender == "1280"
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT and reply.sent_at is not None
    assert outbox.deliver_due().sent == 0  # nothing is sent twice
    assert AuditEvent.objects.filter(action="text.reply", actor=counsellor).exists()


def test_retryable_failure_backs_off_then_succeeds(counsellor: Staff, gateway: FakeGateway) -> None:
    contact = answered(counsellor)
    outbox.deliver_due()
    reply = services.text_reply(counsellor, contact=contact, text="hello again")
    gateway.failures = [RetryableError("down"), RetryableError("down")]
    run = outbox.deliver_due()
    assert run.retried == 1 and run.next_due is not None
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.QUEUED and reply.attempts == 1
    assert reply.next_attempt_at is not None and reply.next_attempt_at > timezone.now()
    assert outbox.deliver_due().sent == 0  # not due yet
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now())
    outbox.deliver_due()
    reply.refresh_from_db()
    assert reply.attempts == 2 and reply.status == DeliveryStatus.QUEUED
    Message.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now())
    outbox.deliver_due()
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT and reply.attempts == 3
    assert [m.text for m in gateway.sent].count("hello again") == 1


def test_backoff_grows_and_is_capped() -> None:
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert outbox.backoff(20).total_seconds() == 600


def test_permanent_failure_is_shown_to_the_counsellor(
    counsellor: Staff, gateway: FakeGateway, client_for: ClientFor
) -> None:
    contact = answered(counsellor)
    outbox.deliver_due()
    reply = services.text_reply(counsellor, contact=contact, text="hello")
    gateway.failures = [PermanentError("bad number")]
    assert outbox.deliver_due().failed == 1
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED
    page = client_for(counsellor).get(f"/console/{contact.pk}/thread/").content.decode()
    assert "This reply did not reach the child." in page


def test_too_many_retries_become_a_failure(counsellor: Staff, gateway: FakeGateway) -> None:
    contact = answered(counsellor)
    outbox.deliver_due()
    reply = services.text_reply(counsellor, contact=contact, text="hello")
    for _ in range(outbox.MAX_ATTEMPTS):
        gateway.failures = [RetryableError("down")]
        Message.objects.filter(pk=reply.pk).update(next_attempt_at=timezone.now())
        outbox.deliver_due()
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED and reply.attempts == outbox.MAX_ATTEMPTS


def test_a_send_cut_off_by_a_crash_is_never_repeated(counsellor: Staff, gateway: FakeGateway) -> None:
    contact = answered(counsellor)
    outbox.deliver_due()
    reply = services.text_reply(counsellor, contact=contact, text="hello")
    # A worker claimed it and died before recording the result.
    Message.objects.filter(pk=reply.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now() - outbox.STALE_SENDING * 2
    )
    before = len(gateway.sent)
    outbox.deliver_due()
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.UNKNOWN and len(gateway.sent) == before


def test_the_gateway_rate_limit_paces_sending(counsellor: Staff, gateway: FakeGateway) -> None:
    gateway.per_second = 20
    contact = answered(counsellor)
    for i in range(9):
        services.text_reply(counsellor, contact=contact, text=f"part {i}")
    started = time.monotonic()
    run = outbox.deliver_due()
    elapsed = time.monotonic() - started
    assert run.sent == 10 and elapsed >= 9 / 20 * 0.9


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_message_once(counsellor: Staff, gateway: FakeGateway) -> None:
    contact = answered(counsellor)
    for i in range(20):
        services.text_reply(counsellor, contact=contact, text=f"m{i}")

    def work() -> None:
        try:
            outbox.deliver_due()
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    texts = [m.text for m in gateway.sent]
    assert len(texts) == 21 and len(set(texts)) == 21
    assert (
        not Message.objects.filter(direction=Direction.OUTBOUND).exclude(status=DeliveryStatus.SENT).exists()
    )


class KannelSendsms(http.server.BaseHTTPRequestHandler):
    """A stand-in for Kannel's sendsms HTTP interface, answering as Kannel does."""

    received: list[dict[str, list[str]]] = []
    answer = (202, "0: Accepted for delivery")

    def do_GET(self) -> None:
        type(self).received.append(parse_qs(urlparse(self.path).query))
        status, body = type(self).answer
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def sendsms() -> Iterator[str]:
    KannelSendsms.received = []
    KannelSendsms.answer = (202, "0: Accepted for delivery")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), KannelSendsms)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/sendsms"
    server.shutdown()


def test_kannel_adapter_speaks_sendsms_and_asks_for_delivery_reports(counsellor: Staff, sendsms: str) -> None:
    env = {
        "HELPLINE_KANNEL_SECRET": SECRET,
        "HELPLINE_KANNEL_SENDSMS_URL": sendsms,
        "HELPLINE_KANNEL_USERNAME": "helpline",
        "HELPLINE_KANNEL_PASSWORD": "pw",
        "HELPLINE_KANNEL_DLR_URL": "http://127.0.0.1:8000/hooks/sms/kannel/dlr",
    }
    with override_settings(HELPLINE_ENV=env):
        contact = answered(counsellor)
        reply = services.text_reply(counsellor, contact=contact, text="សួស្តី")
        assert outbox.deliver_due().sent == 2
        sent = KannelSendsms.received[-1]
        assert sent["text"] == ["សួស្តី"] and sent["to"] == ["85512345678"] and sent["from"] == ["1280"]
        assert sent["coding"] == ["2"] and sent["charset"] == ["UTF-8"] and sent["username"] == ["helpline"]
        assert f"msg={reply.pk}" in sent["dlr-url"][0] and sent["dlr-url"][0].endswith("type=%d")
        # Kannel calls back with the report type: 1 = delivered to the phone.
        dlr = Client().get("/hooks/sms/kannel/dlr", {"secret": SECRET, "msg": str(reply.pk), "type": "1"})
        assert dlr.status_code == 200
        reply.refresh_from_db()
        assert reply.status == DeliveryStatus.DELIVERED
        assert (
            Client()
            .get("/hooks/sms/kannel/dlr", {"secret": "no", "msg": str(reply.pk), "type": "2"})
            .status_code
            == 403
        )
        assert (
            Client().get("/hooks/sms/kannel/dlr", {"secret": SECRET, "msg": "x", "type": "1"}).status_code
            == 400
        )


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [((503, "Busy"), DeliveryStatus.QUEUED), ((403, "Authorization failed"), DeliveryStatus.FAILED)],
)
def test_kannel_errors_are_told_apart(
    counsellor: Staff, sendsms: str, answer: tuple[int, str], outcome: str
) -> None:
    with override_settings(
        HELPLINE_ENV={"HELPLINE_KANNEL_SECRET": SECRET, "HELPLINE_KANNEL_SENDSMS_URL": sendsms}
    ):
        KannelSendsms.answer = answer
        answered(counsellor)
        outbox.deliver_due()
        auto = Message.objects.get(direction=Direction.OUTBOUND)
        assert auto.status == outcome


def test_console_shows_waiting_sms_and_the_thread(
    counsellor: Staff, gateway: FakeGateway, client_for: ClientFor
) -> None:
    contact = sms_in(text="ខ្ញុំខ្លាច")
    client = client_for(counsellor)
    lists = client.get("/console/lists/").content.decode()
    assert f"/console/{contact.pk}/take/" in lists
    assert client.post(f"/console/{contact.pk}/take/").status_code == 302
    assert client.post(f"/console/{contact.pk}/take/").status_code == 409
    contact.refresh_from_db()
    assert contact.status == Status.ACTIVE and contact.counsellor == counsellor
    thread = client.get(f"/console/{contact.pk}/thread/").content.decode()
    assert "ខ្ញុំខ្លាច" in thread
    sent = client.post(f"/console/{contact.pk}/reply/", {"text": "ខ្ញុំនៅទីនេះ ដើម្បីស្តាប់អ្នក"})
    assert sent.status_code == 200 and "ខ្ញុំនៅទីនេះ" in sent.content.decode()
    assert "<ol" not in sent.content.decode()  # the new message only, appended by the form
    assert AuditEvent.objects.get(action="text.reply").client_ip == "127.0.0.1"
    assert client.post(f"/console/{contact.pk}/reply/", {"text": "  "}).status_code == 400
    assert client.post(f"/console/{contact.pk}/reply/", {"text": "x" * 1001}).status_code == 400


def test_reply_form_offers_canned_replies_and_counts_parts(
    counsellor: Staff, gateway: FakeGateway, client_for: ClientFor
) -> None:
    CannedReply.objects.create(title="Welcome", language="km", text="សួស្តី")
    contact = answered(counsellor)
    form = client_for(counsellor).get(f"/console/{contact.pk}/reply-form/").content.decode()
    assert "data-sms-parts" in form and "សួស្តី" in form and "data-canned" in form


def test_the_reply_form_posts_without_script_and_goes_back_to_the_console(
    counsellor: Staff, gateway: FakeGateway, client_for: ClientFor
) -> None:
    """Without method and action the browser sent the reply and the form's token in the address."""
    contact = answered(counsellor)
    client = client_for(counsellor)
    form = client.get(f"/console/{contact.pk}/reply-form/").content.decode()
    assert 'method="post"' in form and f'action="/console/{contact.pk}/reply/"' in form
    back = f"/console/{contact.pk}/"
    sent = client.post(f"/console/{contact.pk}/reply/", {"text": "ខ្ញុំនៅទីនេះ", "next": back}, follow=True)
    assert sent.redirect_chain == [(back, 302)]
    assert [str(m) for m in sent.context["messages"]] == ["Your reply was sent."]
    assert Message.objects.filter(conversation__contact=contact, text="ខ្ញុំនៅទីនេះ").count() == 1
    refused = client.post(f"/console/{contact.pk}/reply/", {"text": " ", "next": back}, follow=True)
    assert refused.redirect_chain == [(back, 302)]
    assert [str(m) for m in refused.context["messages"]] == ["Write a reply of up to 1000 characters."]
    away = client.post(f"/console/{contact.pk}/reply/", {"text": "again", "next": "https://evil.example/"})
    assert away.status_code == 200  # an address elsewhere is ignored: the htmx answer, not a redirect
    # With htmx the fragment comes back as before, whatever `next` says.
    hx = client.post(f"/console/{contact.pk}/reply/", {"text": "hx", "next": back}, HTTP_HX_REQUEST="true")
    assert hx.status_code == 200 and "hx" in hx.content.decode()


def test_without_script_the_console_draws_the_conversation_when_asked(
    counsellor: Staff, gateway: FakeGateway, client_for: ClientFor
) -> None:
    """Nothing fetches the thread and the reply box without script: a <noscript> link asks the page
    to draw them, so a browser with script never reads the thread twice."""
    contact = answered(counsellor, text="ខ្ញុំខ្លាច")
    client = client_for(counsellor)
    reads = AuditEvent.objects.filter(action="thread.view", record_id=str(contact.pk))
    page = client.get(f"/console/{contact.pk}/").content.decode()
    noscript = page[page.index("<noscript>") : page.index("</noscript>")]
    assert 'href="?conversation=show"' in noscript and "ខ្ញុំខ្លាច" not in page
    assert reads.count() == 0
    page = client.get(f"/console/{contact.pk}/?conversation=show").content.decode()
    noscript = page[page.index("<noscript>") : page.index("</noscript>")]
    assert "ខ្ញុំខ្លាច" in noscript and 'class="messages-thread"' in noscript
    back = f"/console/{contact.pk}/?conversation=show"
    assert f'name="next" value="{back}"' in noscript and 'method="post"' in noscript
    assert reads.count() == 1 and reads.get().detail["for"] == "no_script"
    sent = client.post(f"/console/{contact.pk}/reply/", {"text": "ខ្ញុំនៅទីនេះ", "next": back}, follow=True)
    assert sent.redirect_chain == [(back, 302)]
    assert "ខ្ញុំនៅទីនេះ" in sent.content.decode().split("<noscript>")[1]


def test_other_counsellors_cannot_read_or_reply_to_a_thread(
    counsellor: Staff, supervisor: Staff, gateway: FakeGateway, client_for: ClientFor, db: None
) -> None:
    from tests.factories import persona

    contact = answered(counsellor)
    other = client_for(persona("counsellor", username="other"))
    assert other.get(f"/console/{contact.pk}/thread/").status_code == 404
    assert other.post(f"/console/{contact.pk}/reply/", {"text": "hi"}).status_code == 404
    assert client_for(supervisor).get(f"/console/{contact.pk}/thread/").status_code == 200


def test_a_new_message_is_pushed_to_console_sockets(gateway: FakeGateway, db: None) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    assert layer is not None

    async def listen() -> dict[str, Any]:
        channel = await layer.new_channel()
        await layer.group_add("console", channel)
        return {"channel": channel}

    state = async_to_sync(listen)()
    contact = sms_in(msg_id="push-1")
    # on_commit does not fire inside a test transaction: push as the commit hook would.
    from helpline.common import live

    live.contact_changed(contact.pk, reason="message")
    event = async_to_sync(layer.receive)(state["channel"])
    assert event["type"] == "console.event" and event["contact"] == str(contact.pk)
    assert json.dumps(event)  # plain data only


def test_supervisor_maintains_canned_replies_and_blocks(
    supervisor: Staff, client_for: ClientFor, counsellor: Staff
) -> None:
    client = client_for(supervisor)
    assert (
        client.post(
            "/text-settings/", {"section": "canned", "title": "Hi", "language": "km", "text": "សួស្តី"}
        ).status_code
        == 302
    )
    assert CannedReply.objects.filter(title="Hi").exists()
    assert (
        client.post(
            "/text-settings/", {"section": "block", "address": "012 345 678", "reason": "abusive"}
        ).status_code
        == 302
    )
    with override_settings(HELPLINE_ENV={"HELPLINE_KANNEL_SECRET": SECRET}):
        refused = Client().get(
            "/hooks/sms/kannel",
            {"secret": SECRET, "from": "85512345678", "to": "1280", "text": "x", "id": "blocked-1"},
        )
    assert refused.status_code == 403
    assert client.post("/text-settings/", {"section": "delete-block", "pk": "not-a-uuid"}).status_code == 400
    assert client_for(counsellor).get("/text-settings/").status_code == 403


def test_demo_mode_without_a_sending_gateway_keeps_replies_on_the_machine(
    counsellor: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    """`make run` (demo, no Kannel sendsms URL) shows a reply sent, and nothing leaves the machine;
    outside demo mode the same set-up fails the reply, as it must."""
    with override_settings(HELPLINE_ENV={"HELPLINE_KANNEL_SECRET": SECRET}, DEMO=True):
        contact = answered(counsellor)
        reply = services.text_reply(counsellor, contact=contact, text="ខ្ញុំនៅទីនេះ")
        with caplog.at_level("INFO", logger="helpline.sms"):
            outbox.deliver_due()
        reply.refresh_from_db()
        assert reply.status == DeliveryStatus.SENT and reply.provider_message_id == f"demo-{reply.pk}"
        assert (
            "kept on this machine" in caplog.text
            and "ខ្ញុំ" not in caplog.text
            and "12345678" not in caplog.text
        )
    with override_settings(HELPLINE_ENV={"HELPLINE_KANNEL_SECRET": SECRET}, DEMO=False):
        second = services.text_reply(counsellor, contact=contact, text="ម្តងទៀត")
        outbox.deliver_due()
        second.refresh_from_db()
        assert second.status == DeliveryStatus.FAILED and "not configured" in second.error
