"""The waiting children's places come from one snapshot of the queue per process: a tick that
finds it fresh reads nothing, and one that cannot trust it asks the database."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpline.contacts.identity import Address, caller_for_address
from helpline.contacts.intake import contact_waiting_open
from helpline.contacts.models import Channel, Contact
from helpline.conversations import chat


def waiting(n: int, *, later: int = 0) -> list[Contact]:
    """n chats waiting, oldest first; `later` seconds after the others when given."""
    now = timezone.now()
    return [
        contact_waiting_open(
            channel=Channel.WEBCHAT,
            caller=caller_for_address(Address("webchat", str(uuid.uuid4()))),
            arrived_at=now - dt.timedelta(seconds=60 - later - i),
        )
        for i in range(n)
    ]


@pytest.fixture
def snapshot(monkeypatch: pytest.MonkeyPatch) -> chat._QueueSnapshot:
    fresh = chat._QueueSnapshot()
    monkeypatch.setattr(chat, "_snapshot", fresh)
    return fresh


def test_a_fresh_snapshot_gives_a_waiting_place_without_a_query(
    snapshot: chat._QueueSnapshot, db: None
) -> None:
    first, second = waiting(2)
    before = time.monotonic()
    assert chat.chat_state(second.pk) == ("waiting", 2)  # reads the snapshot
    with CaptureQueriesContext(connection) as seen:
        assert chat.waiting_position(second.pk, since=before) == 2
        assert chat.waiting_position(first.pk, since=before) == 1
    assert seen.captured_queries == []


def test_a_snapshot_read_before_the_last_fresh_look_or_gone_stale_is_not_trusted(
    snapshot: chat._QueueSnapshot, monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    (contact,) = waiting(1)
    chat.chat_state(contact.pk)
    assert chat.waiting_position(contact.pk, since=time.monotonic()) is None
    monkeypatch.setattr(chat, "SNAPSHOT_SECONDS", 0.0)
    assert chat.waiting_position(contact.pk, since=0.0) is None


def test_a_contact_missing_from_a_cut_snapshot_does_not_read_the_queue_again(
    snapshot: chat._QueueSnapshot, monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    """Far down a long queue a child gets no place; their ticks must not re-read the head."""
    monkeypatch.setattr(chat, "QUEUE_SHOWN", 1)
    _first, second = waiting(2)
    assert chat.queue_position(second.pk) is None
    time.sleep(0.3)  # past the "may have just arrived" re-read of a snapshot that is not cut
    with CaptureQueriesContext(connection) as seen:
        assert chat.queue_position(second.pk) is None
    assert seen.captured_queries == []


def test_a_contact_missing_from_a_whole_snapshot_is_read_again_it_may_have_just_arrived(
    snapshot: chat._QueueSnapshot, db: None
) -> None:
    (first,) = waiting(1)
    assert chat.queue_position(first.pk) == 1
    (late,) = waiting(1, later=10)
    time.sleep(0.3)
    assert chat.queue_position(late.pk) == 2
