"""Inbound SMS through the Kannel and Twilio webhooks: verified, exactly once, threaded into one
conversation and one contact, automatic replies queued, refusals leave no trace but a log line."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from helpline.accounts.models import Staff
from helpline.channels.sms_parts import sms_parts
from helpline.contacts import services as contact_services
from helpline.contacts.models import Contact, Kind, Status
from helpline.conversations.models import (
    BlockedAddress,
    Conversation,
    DeliveryStatus,
    Direction,
    Holiday,
    Message,
    OpeningPeriod,
)
from helpline.conversations.services import blocked_hash, text_settings

SECRET = "kannel-test-secret-0123456789"
TOKEN = "twilio-test-token-0123456789"
KHMER = "សួស្តី ខ្ញុំត្រូវការជំនួយ"
ENV = {
    "HELPLINE_KANNEL_SECRET": SECRET,
    "HELPLINE_TWILIO_AUTH_TOKEN": TOKEN,
    "HELPLINE_SMS_SHORT_CODES": "1280",
}


@pytest.fixture(autouse=True)
def gateway_env() -> Iterator[None]:
    with override_settings(HELPLINE_ENV=ENV, PUBLIC_URL=""):
        yield


def kannel(
    client: Client | None = None,
    *,
    sender: str = "85512345678",
    text: str = KHMER,
    msg_id: str = "k-1",
    to: str = "1280",
    secret: str = SECRET,
    method: str = "get",
) -> Any:
    params = {
        "secret": secret,
        "from": sender,
        "to": to,
        "text": text,
        "id": msg_id,
        "coding": "2",
        "charset": "UTF-8",
    }
    return getattr(client or Client(), method)("/hooks/sms/kannel", params)


def inbound() -> Any:
    return Message.objects.filter(direction=Direction.INBOUND)


def test_kannel_sms_becomes_a_waiting_contact_with_khmer_intact(db: None) -> None:
    response = kannel()
    assert response.status_code == 200 and response.content == b""
    message = inbound().get()
    assert message.text == KHMER and message.provider == "kannel" and message.provider_message_id == "k-1"
    contact = message.conversation.contact
    assert contact.channel == "sms" and contact.status == Status.WAITING
    assert contact.caller is not None


def test_first_message_gets_the_first_automatic_reply(db: None) -> None:
    kannel()
    auto = Message.objects.get(direction=Direction.OUTBOUND)
    assert auto.is_automatic and auto.status == DeliveryStatus.QUEUED
    assert auto.text == text_settings().first_reply_km
    kannel(msg_id="k-2", text="second")
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1


def test_a_message_repeated_three_times_is_stored_once(db: None) -> None:
    for _ in range(3):
        assert kannel(msg_id="same").status_code == 200
    assert inbound().count() == 1 and Contact.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_message_sent_ten_times_at_once_is_stored_once() -> None:
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def deliver() -> None:
        barrier.wait()
        try:
            statuses.append(kannel(msg_id="burst-1").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 10
    assert inbound().filter(provider_message_id="burst-1").count() == 1
    assert Contact.objects.count() == 1 and Conversation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_first_messages_from_one_number_at_once_open_one_contact() -> None:
    barrier = threading.Barrier(6)

    def deliver(i: int) -> None:
        barrier.wait()
        try:
            kannel(msg_id=f"first-{i}", text=f"hello {i}")
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert inbound().count() == 6
    assert Contact.objects.count() == 1 and Conversation.objects.count() == 1


def test_post_url_style_with_headers(db: None) -> None:
    response = Client().post(
        f"/hooks/sms/kannel?secret={SECRET}&id=post-1",
        KHMER.encode(),
        content_type="text/plain; charset=utf-8",
        HTTP_X_KANNEL_FROM="+85512345678",
        HTTP_X_KANNEL_TO="1280",
    )
    assert response.status_code == 200
    assert inbound().get().text == KHMER


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"secret": ""}, 403),
        ({"secret": "wrong"}, 403),
        ({"to": "9999"}, 404),
        ({"sender": "not-a-number"}, 400),
        ({"msg_id": ""}, 400),
        ({"text": "x" * 2001}, 413),
        ({"msg_id": "i" * 129}, 413),
    ],
)
def test_bad_kannel_requests_are_refused_and_store_nothing(
    change: dict[str, str], status: int, db: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = kannel(**change)
    assert response.status_code == status
    assert not Message.objects.exists() and not Contact.objects.exists()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "sms inbound refused" in logged
    assert KHMER not in logged and "85512345678" not in logged and "12345678" not in logged


def test_floods_from_one_number_are_rate_limited(db: None) -> None:
    limit = text_settings().flood_per_minute
    codes = [kannel(msg_id=f"f-{i}", text=f"spam {i}").status_code for i in range(limit + 3)]
    assert codes[:limit] == [200] * limit and set(codes[limit:]) == {429}
    assert inbound().count() == limit
    assert kannel(sender="85597000111", msg_id="other").status_code == 200  # others still get through


def test_blocked_numbers_are_refused(supervisor: Staff) -> None:
    BlockedAddress.objects.create(
        address_hash=blocked_hash("tel:+85512345678"), reason="abuse", blocked_by=supervisor
    )
    assert kannel().status_code == 403
    assert not Message.objects.exists()
    BlockedAddress.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert kannel().status_code == 200


def test_messages_thread_into_one_contact_until_it_is_closed(counsellor: Staff) -> None:
    kannel(msg_id="a")
    kannel(msg_id="b", text="more")
    assert Contact.objects.count() == 1
    contact = Contact.objects.get()
    contact_services.contact_take(counsellor, contact=contact)
    contact_services.contact_close_quick(counsellor, contact=contact, kind=Kind.TESTING)
    kannel(msg_id="c", text="are you there?")
    assert Contact.objects.count() == 2
    newest = Contact.objects.latest("arrived_at")
    assert newest.caller_id == contact.caller_id and newest.status == Status.WAITING
    assert not Conversation.objects.get(contact=contact).is_open


def test_an_idle_conversation_closes_and_the_next_message_opens_a_new_contact(db: None) -> None:
    kannel(msg_id="a")
    Conversation.objects.update(last_message_at=timezone.now() - dt.timedelta(hours=25))
    kannel(msg_id="b")
    assert Contact.objects.count() == 2 and Conversation.objects.filter(is_open=True).count() == 1


def test_closed_hours_send_the_closed_reply_once(db: None) -> None:
    settings_row = text_settings()
    settings_row.always_open = False
    settings_row.save()
    now = timezone.localtime()
    OpeningPeriod.objects.create(weekday=(now.weekday() + 1) % 7, opens=dt.time(8), closes=dt.time(17))
    kannel(msg_id="a")
    kannel(msg_id="b")
    replies = Message.objects.filter(direction=Direction.OUTBOUND)
    assert [m.text for m in replies] == [settings_row.closed_reply_km]


def test_open_hours_are_respected(db: None) -> None:
    settings_row = text_settings()
    settings_row.always_open = False
    settings_row.save()
    OpeningPeriod.objects.create(
        weekday=timezone.localtime().weekday(), opens=dt.time(0), closes=dt.time(23, 59, 59)
    )
    kannel()
    assert Message.objects.get(direction=Direction.OUTBOUND).text == settings_row.first_reply_km


def test_holiday_reply(db: None) -> None:
    Holiday.objects.create(date=timezone.localdate(), name="Khmer New Year", reply_km="ថ្ងៃបុណ្យ")
    kannel()
    assert Message.objects.get(direction=Direction.OUTBOUND).text == "ថ្ងៃបុណ្យ"


# --- Twilio -----------------------------------------------------------------------------------


def twilio(params: dict[str, str], *, sign: bool = True, token: str = TOKEN) -> Any:
    url = "http://testserver/hooks/sms/twilio"
    headers = {}
    if sign:
        headers["HTTP_X_TWILIO_SIGNATURE"] = RequestValidator(token).compute_signature(url, params)
    return Client().post("/hooks/sms/twilio", params, **headers)


TWILIO_SMS = {"From": "+85512345678", "To": "1280", "Body": KHMER, "MessageSid": "SM0001"}


def test_signed_twilio_sms_is_stored(db: None) -> None:
    response = twilio(TWILIO_SMS)
    assert response.status_code == 200 and b"<Response>" in response.content
    assert inbound().get().text == KHMER
    twilio(TWILIO_SMS)
    assert inbound().count() == 1


@pytest.mark.parametrize("how", ["unsigned", "wrong-token", "tampered"])
def test_unsigned_or_wrongly_signed_twilio_requests_get_403_and_store_nothing(how: str, db: None) -> None:
    if how == "unsigned":
        response = twilio(TWILIO_SMS, sign=False)
    elif how == "wrong-token":
        response = twilio(TWILIO_SMS, token="someone-else")
    else:
        url = "http://testserver/hooks/sms/twilio"
        signature = RequestValidator(TOKEN).compute_signature(url, TWILIO_SMS)
        response = Client().post(
            "/hooks/sms/twilio", {**TWILIO_SMS, "Body": "changed"}, HTTP_X_TWILIO_SIGNATURE=signature
        )
    assert response.status_code == 403
    assert not Message.objects.exists() and not Contact.objects.exists()


# --- SMS parts --------------------------------------------------------------------------------


def test_sms_parts_for_khmer_and_gsm() -> None:
    assert sms_parts("ក" * 70).parts == 1 and sms_parts("ក" * 71).parts == 2
    assert sms_parts("ក" * 134).parts == 2 and sms_parts("ក" * 135).parts == 3
    assert sms_parts("a" * 160).parts == 1 and sms_parts("a" * 161).parts == 2
    assert sms_parts("a" * 306).parts == 2 and sms_parts("a" * 307).parts == 3
    assert sms_parts("[" * 80).units == 160 and sms_parts("[" * 81).parts == 2
    assert sms_parts("").parts == 0
    assert sms_parts("hello ក").encoding == "UCS-2"


@given(st.text(max_size=500))
def test_sms_parts_always_hold_the_text(text: str) -> None:
    result = sms_parts(text)
    if result.units == 0:
        assert result.parts == 0
    elif result.parts == 1:
        assert result.units <= (160 if result.encoding == "GSM-7" else 70)
    else:
        assert (result.parts - 1) * result.per_part < result.units <= result.parts * result.per_part


ClientFor = Callable[[Staff], Client]


def test_khmer_sent_as_utf16_by_smsbox_without_recoding_is_read_intact(db: None) -> None:
    from urllib.parse import quote_from_bytes

    raw = quote_from_bytes(KHMER.encode("utf-16-be"))
    query = f"secret={SECRET}&from=85512345678&to=1280&id=u16&coding=2&charset=UTF-16BE&text={raw}"
    response = Client().get(f"/hooks/sms/kannel?{query}")
    assert response.status_code == 200
    assert inbound().get().text == KHMER
