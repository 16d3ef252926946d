"""Replies that are not leaving are seen where people wait on them: the wallboard and the console
say so when a reply has waited too long, or waits with no background worker to send it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.common.models import WorkerBeat
from helpline.contacts.models import Channel, Contact, Status
from helpline.conversations.models import Conversation, DeliveryStatus, Direction, Message
from helpline.conversations.sending import sending_state

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
WARNING = "Replies are delayed."


def reply(seconds_ago: int, status: str = DeliveryStatus.QUEUED) -> Message:
    at = timezone.now() - dt.timedelta(seconds=seconds_ago)
    contact = Contact.objects.create(channel=Channel.SMS, status=Status.ACTIVE, arrived_at=at)
    conversation = Conversation.objects.create(
        channel=Channel.SMS, gateway="kannel", local_address="1280", contact=contact, last_message_at=at
    )
    return Message.objects.create(
        conversation=conversation,
        seq=1,
        direction=Direction.OUTBOUND,
        text="ok",
        status=status,
        created_at=at,
    )


def worker_beating() -> None:
    now = timezone.now()
    WorkerBeat.objects.create(worker_id="w1", started_at=now, seen_at=now)


def test_nothing_is_said_while_replies_leave(supervisor: Staff, client_for: ClientFor) -> None:
    worker_beating()
    reply(5)  # just queued, a worker is there
    reply(600, DeliveryStatus.SENT)  # long sent
    assert not sending_state().delayed
    assert WARNING not in client_for(supervisor).get("/wallboard/").content.decode()


def test_a_reply_waiting_too_long_is_shown_on_the_wallboard_and_the_console(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    worker_beating()
    reply(5)
    reply(180)
    state = sending_state()
    assert state.delayed and state.waiting == 2 and state.oldest_seconds >= 180
    board = client_for(supervisor).get("/wallboard/").content.decode()
    assert WARNING in board and "2 replies are waiting to be sent" in board
    assert WARNING in client_for(counsellor).get("/console/").content.decode()


def test_a_reply_with_no_worker_to_send_it_says_the_service_is_not_running(
    supervisor: Staff, client_for: ClientFor
) -> None:
    reply(5)
    WorkerBeat.objects.create(
        worker_id="gone",
        started_at=timezone.now() - dt.timedelta(hours=1),
        seen_at=timezone.now() - dt.timedelta(minutes=5),
    )
    assert sending_state().delayed
    assert "The sending service is not running" in client_for(supervisor).get("/wallboard/").content.decode()


def test_the_warning_is_in_khmer_on_a_khmer_page(supervisor: Staff, client_for: ClientFor) -> None:
    reply(5)
    supervisor.language = "km"
    supervisor.save(update_fields=["language"])
    page = client_for(supervisor).get("/wallboard/").content.decode()
    assert WARNING not in page and "sending-delayed" in page
