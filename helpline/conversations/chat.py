"""Web chat from the child's side: start, resume, send, leave. Every message is stored before it
is delivered; a message re-sent after a dropped connection carries the same client id and is
stored once."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.crypto import keyed_hash
from helpline.common.text import normalise, storable
from helpline.contacts.identity import Address, caller_for_address
from helpline.contacts.intake import contact_abandon, contact_waiting_open
from helpline.contacts.models import Channel, Contact, Status
from helpline.contacts.search_text import words
from helpline.conversations.models import (
    BlockedAddress,
    BlockedKeyword,
    ChatSession,
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
)
from helpline.conversations.services import contact_announce, inbound_stored, next_seq
from helpline.routing.selectors import waiting_queue
from helpline.routing.triage import contains_words, score_text

MAX_TEXT = 1000
# A child whose connection dropped (no page closed: that ends the chat at once, see consumers.py)
# has this long to come back; the widget tries again within 15 s. Longer, and a counsellor may
# answer a child who is gone.
CHILD_GONE_AFTER = dt.timedelta(seconds=60)


class ChatRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Started:
    session: ChatSession
    token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def origin_hash(client_address: str) -> str:
    return keyed_hash(f"webchat-origin:{client_address}", purpose="chat-origin")


def origin_blocked(client_address: str) -> bool:
    now = timezone.now()
    digest = keyed_hash(f"webchat-origin:{client_address}", purpose="blocked-address")
    return BlockedAddress.objects.filter(address_hash=digest).exclude(expires_at__lt=now).exists()


def chat_start(*, language: str, nickname: str, age: int | None, client_address: str) -> Started:
    if origin_blocked(client_address):
        raise ChatRefused("blocked")
    digest = origin_hash(client_address)
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    if (
        ChatSession.objects.filter(origin_hash=digest, started_at__gte=hour_ago).count()
        >= settings.CHAT_STARTS_PER_ADDRESS_PER_HOUR
    ):
        raise ChatRefused("too many chats from one address")
    session_id = uuid.uuid4()
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        caller = caller_for_address(Address("webchat", str(session_id)))
        contact = contact_waiting_open(
            channel=Channel.WEBCHAT, caller=caller, arrived_at=now, language=language, age=age
        )
        conversation = Conversation.objects.create(
            channel=Channel.WEBCHAT, gateway="webchat", caller=caller, contact=contact, last_message_at=now
        )
        session = ChatSession.objects.create(
            id=session_id,
            conversation=conversation,
            token_hash=_token_hash(token),
            language=contact.language,
            nickname=storable(nickname[:40]),
            age=age,
            origin_hash=digest,
            started_at=now,
            last_seen_at=now,
        )
        audit_record(
            "gateway:webchat", action=AuditAction.CHAT_START, record_type="contact", record_id=contact.pk
        )
        contact_id = contact.pk
        transaction.on_commit(lambda: contact_announce(contact_id, "chat", waiting=True))
    return Started(session, token)


def chat_resume(token: str) -> ChatSession:
    session = (
        ChatSession.objects.select_related("conversation__contact")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if session is None or session.left_at is not None:
        raise ChatRefused("unknown or ended chat")
    ChatSession.objects.filter(pk=session.pk).update(connected=True, last_seen_at=timezone.now())
    return session


def messages_after(session: ChatSession, seq: int) -> list[Message]:
    return list(session.conversation.messages.filter(seq__gt=seq).order_by("seq")[:500])


KEYWORDS_KEY, KEYWORDS_SECONDS = "chat:blocked-keywords", 5


def forget_keywords(**_: object) -> None:
    cache.delete(KEYWORDS_KEY)
    # Again after commit: meanwhile another thread may have cached the list as it was.
    transaction.on_commit(lambda: cache.delete(KEYWORDS_KEY))


@lru_cache(maxsize=4)
def _segmented(keywords: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """Keywords as word sequences; those with no word in them but a symbol (a row of emoji, say)
    are kept apart, to be found as they are written. Punctuation alone ("?", "...") is never a
    keyword: it would refuse every child who asks a question."""

    as_words, as_written = [], []
    for keyword in keywords:
        found = tuple(words(keyword))
        if found:
            as_words.append(found)
        elif any(unicodedata.category(c).startswith("S") for c in keyword):
            as_written.append(normalise(keyword))
    return tuple(as_words), tuple(as_written)


def keyword_blocked(text: str, *, found: list[str] | None = None) -> bool:
    """Whole words only (Khmer segmented first): a short blocked word must not stop a child's
    message just because its letters appear inside another word. The list is read at most every
    few seconds per process and segmented once per version."""

    keywords = cache.get(KEYWORDS_KEY)
    if keywords is None:
        keywords = tuple(sorted(BlockedKeyword.objects.values_list("keyword", flat=True)))
        cache.set(KEYWORDS_KEY, keywords, KEYWORDS_SECONDS)
    if not keywords:
        return False
    as_words, as_written = _segmented(keywords)
    if as_written:
        plain = normalise(text)
        if any(k in plain for k in as_written):
            return True
    found = words(text) if found is None else found
    return any(contains_words(found, segmented) for segmented in as_words)


def chat_receive(session: ChatSession, *, client_id: str, text: str) -> tuple[Message, bool]:
    """Store the child's message once per client id. Returns (message, is_new)."""
    provider_id = f"{session.conversation_id}:{client_id}"
    text = storable(text)
    if session.left_at is not None:
        existing = Message.objects.filter(provider="webchat", provider_message_id=provider_id).first()
        if existing is not None:
            return existing, False  # a resend of what was stored before the chat ended
        raise ChatRefused("chat ended")
    # Segmented once, before the transaction (it is CPU time), for both checks. A resend of a
    # stored message is found by the unique provider id below, not looked up first: resends are
    # rare and the look-up would cost every message a query.
    found = words(text)
    if keyword_blocked(text, found=found):
        raise ChatRefused("blocked word")
    scored = score_text(text, found=found)
    now = timezone.now()
    try:
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update(of=("self",))
                .select_related("contact")
                .get(pk=session.conversation_id)
            )
            message = Message.objects.create(
                conversation=conversation,
                seq=next_seq(conversation, touched_at=now),
                direction=Direction.INBOUND,
                text=text,
                provider="webchat",
                provider_message_id=provider_id,
                status=DeliveryStatus.RECEIVED,
                created_at=now,
            )
            inbound_stored(conversation, message, gateway="webchat", scored=scored)
    except IntegrityError:
        again = Message.objects.filter(provider="webchat", provider_message_id=provider_id).first()
        if again is None:
            raise
        return again, False
    return message, True


def chat_disconnected(session_id: uuid.UUID) -> None:
    ChatSession.objects.filter(pk=session_id, left_at__isnull=True).update(
        connected=False, last_seen_at=timezone.now()
    )


def chat_leave(session: ChatSession) -> None:
    """The child left: quick exit, a closed or reloaded page, or a connection lost for good.
    Unanswered, the chat counts as abandoned and leaves the queue; answered, it stays with its
    counsellor to record, who is told that the child left. Once only."""
    now = timezone.now()
    with transaction.atomic():
        if not ChatSession.objects.filter(pk=session.pk, left_at__isnull=True).update(
            left_at=now, connected=False
        ):
            return  # already left
        Conversation.objects.filter(pk=session.conversation_id).update(is_open=False)
        contact = Contact.objects.select_for_update().get(conversation__pk=session.conversation_id)
        contact_abandon(contact_id=contact.pk, at=now)
        audit_record(
            "gateway:webchat", action=AuditAction.CHAT_LEAVE, record_type="contact", record_id=contact.pk
        )
        contact_id = contact.pk
        transaction.on_commit(lambda: contact_announce(contact_id, "left", waiting=False))


def sweep_abandoned(now: dt.datetime | None = None) -> int:
    """Chats whose child went away (no reconnect within the grace time), answered or not, are left."""
    now = now or timezone.now()
    stale = ChatSession.objects.filter(
        connected=False,
        left_at__isnull=True,
        last_seen_at__lt=now - CHILD_GONE_AFTER,
        conversation__contact__status__in=(Status.WAITING, Status.ACTIVE),
    ).select_related("conversation")
    count = 0
    for session in stale:
        chat_leave(session)
        count += 1
    return count


def children_left(contact_ids: list[uuid.UUID]) -> dict[uuid.UUID, dt.datetime]:
    """When the child of each of these chats left, for those whose child did."""
    rows = ChatSession.objects.filter(
        conversation__contact_id__in=contact_ids, left_at__isnull=False
    ).values_list("conversation__contact_id", "left_at")
    return {contact_id: left_at for contact_id, left_at in rows if left_at is not None}


class _QueueSnapshot:
    """The waiting queue's order, read at most every SNAPSHOT_SECONDS and shared by every chat
    socket in this process: hundreds of waiting children cost one query, not one each."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.read_at = -math.inf
        self.positions: dict[uuid.UUID, int] = {}

    def position(self, contact_id: uuid.UUID) -> int | None:

        with self.lock:
            age = time.monotonic() - self.read_at
            # A contact missing from a snapshot may have arrived since: read again, if not just read.
            # Not when the snapshot is cut at QUEUE_SHOWN: one missing from it is far down a long
            # queue (it gets no place), and reading again for each of those children's ticks
            # would read the head of the queue several times a second.
            missing = contact_id not in self.positions and len(self.positions) < QUEUE_SHOWN
            if age > SNAPSHOT_SECONDS or (missing and age > 0.25):
                ids = waiting_queue().values_list("pk", flat=True)[:QUEUE_SHOWN]
                self.positions = {pk: n for n, pk in enumerate(ids, start=1)}
                self.read_at = time.monotonic()  # after positions: see waiting_position()
            return self.positions.get(contact_id)

    def waiting_position(self, contact_id: uuid.UUID, *, since: float) -> int | None:
        """The contact's place if a snapshot read after `since` (time.monotonic()) and still
        fresh has it waiting; else None: ask the database. No lock and no query, so a socket's
        tick can ask from the event loop."""
        read_at = self.read_at  # before positions: a new read_at is never paired with old positions
        positions = self.positions
        if read_at <= since or time.monotonic() - read_at > SNAPSHOT_SECONDS:
            return None
        return positions.get(contact_id)


SNAPSHOT_SECONDS = 2.0
QUEUE_SHOWN = 1000
_snapshot = _QueueSnapshot()


def queue_position(contact_id: uuid.UUID) -> int | None:
    """1 for the next to be answered; None once a counsellor has it (or far down a long queue)."""
    return _snapshot.position(contact_id)


def waiting_position(contact_id: uuid.UUID, *, since: float) -> int | None:
    """The place of a chat the process's queue snapshot (read after `since`, a time.monotonic())
    shows waiting, without a query; None when the snapshot does not say: call chat_state."""
    return _snapshot.waiting_position(contact_id, since=since)


def chat_state(contact_id: uuid.UUID) -> tuple[str, int | None]:
    """The chat's contact status and, while it waits, its place in the queue."""
    status = Contact.objects.filter(pk=contact_id).values_list("status", flat=True).first() or Status.CLOSED
    return status, queue_position(contact_id) if status == Status.WAITING else None
