"""Web chat from the child's side: start, resume, send, leave. Every message is stored before it
is delivered; a message re-sent after a dropped connection carries the same client id and is
stored once."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpline.audit.services import audit_record
from helpline.common.crypto import keyed_hash
from helpline.contacts.identity import Address, caller_for_address
from helpline.contacts.models import Channel, Contact, Status
from helpline.conversations import live
from helpline.conversations.models import (
    BlockedAddress,
    BlockedKeyword,
    ChatSession,
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
)
from helpline.conversations.services import next_seq

MAX_TEXT = 1000
ABANDON_AFTER = dt.timedelta(minutes=2)
STARTS_PER_ADDRESS_PER_HOUR = 6


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
        >= STARTS_PER_ADDRESS_PER_HOUR
    ):
        raise ChatRefused("too many chats from one address")
    session_id = uuid.uuid4()
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        caller = caller_for_address(Address("webchat", str(session_id)))
        contact = Contact.objects.create(
            channel=Channel.WEBCHAT,
            status=Status.WAITING,
            caller=caller,
            arrived_at=now,
            language=language if language in ("km", "en") else "km",
            age=age,
        )
        conversation = Conversation.objects.create(
            channel=Channel.WEBCHAT, gateway="webchat", caller=caller, contact=contact, last_message_at=now
        )
        session = ChatSession.objects.create(
            id=session_id,
            conversation=conversation,
            token_hash=_token_hash(token),
            language=contact.language,
            nickname=nickname[:40],
            age=age,
            origin_hash=digest,
            started_at=now,
            last_seen_at=now,
        )
        audit_record("gateway:webchat", action="chat.start", record_type="contact", record_id=contact.pk)
        contact_id = contact.pk
        transaction.on_commit(lambda: _after_change(contact_id, "chat"))
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


def keyword_blocked(text: str) -> bool:
    """Whole words only (Khmer segmented first): a short blocked word must not stop a child's
    message just because its letters appear inside another word."""
    from helpline.contacts.search_text import words
    from helpline.routing.triage import contains_words

    found = words(text)
    return any(
        contains_words(found, tuple(words(k)))
        for k in BlockedKeyword.objects.values_list("keyword", flat=True)
    )


def chat_receive(session: ChatSession, *, client_id: str, text: str) -> tuple[Message, bool]:
    """Store the child's message once per client id. Returns (message, is_new)."""
    provider_id = f"{session.conversation_id}:{client_id}"
    existing = Message.objects.filter(provider="webchat", provider_message_id=provider_id).first()
    if existing is not None:
        return existing, False
    if session.left_at is not None:
        raise ChatRefused("chat ended")
    if keyword_blocked(text):
        raise ChatRefused("blocked word")
    from helpline.routing.triage import score_text, triage_contact

    scored = score_text(text)  # before the transaction: segmenting is CPU time
    now = timezone.now()
    try:
        with transaction.atomic():
            conversation = (
                Conversation.objects.select_for_update()
                .select_related("contact")
                .get(pk=session.conversation_id)
            )
            message = Message.objects.create(
                conversation=conversation,
                seq=next_seq(conversation),
                direction=Direction.INBOUND,
                text=text,
                provider="webchat",
                provider_message_id=provider_id,
                status=DeliveryStatus.RECEIVED,
                created_at=now,
            )
            Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
            ChatSession.objects.filter(pk=session.pk).update(last_seen_at=now)
            _triage, newly_high = triage_contact(conversation.contact, text, scored=scored)
            # Last: the audit chain's head stays locked until commit, serialising every writer.
            audit_record(
                "gateway:webchat",
                action="text.receive",
                record_type="contact",
                record_id=conversation.contact_id,
                detail={"message": str(message.pk)},
            )
            contact_id = conversation.contact_id
            transaction.on_commit(lambda: _after_change(contact_id, "message", high_risk=newly_high))
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
    """The child closed the chat (or pressed quick exit). Unanswered, it counts as abandoned."""
    now = timezone.now()
    with transaction.atomic():
        ChatSession.objects.filter(pk=session.pk).update(left_at=now, connected=False)
        Conversation.objects.filter(pk=session.conversation_id).update(is_open=False)
        contact = Contact.objects.select_for_update().get(conversation__pk=session.conversation_id)
        if contact.status == Status.WAITING:
            Contact.objects.filter(pk=contact.pk).update(status=Status.ABANDONED, ended_at=now)
        audit_record("gateway:webchat", action="chat.leave", record_type="contact", record_id=contact.pk)
        contact_id = contact.pk
        transaction.on_commit(lambda: _after_change(contact_id, "left"))


def sweep_abandoned(now: dt.datetime | None = None) -> int:
    """Chats whose child went away unanswered (no reconnect within the grace time) are abandoned."""
    now = now or timezone.now()
    stale = ChatSession.objects.filter(
        connected=False,
        left_at__isnull=True,
        last_seen_at__lt=now - ABANDON_AFTER,
        conversation__contact__status=Status.WAITING,
    ).select_related("conversation")
    count = 0
    for session in stale:
        chat_leave(session)
        count += 1
    return count


def queue_position(session: ChatSession) -> int | None:
    """1 for the next to be answered; None once a counsellor has it."""
    from helpline.routing.queue import queue

    contact_id = session.conversation.contact_id
    ids = list(queue().values_list("pk", flat=True)[:1000])
    return ids.index(contact_id) + 1 if contact_id in ids else None


def _after_change(contact_id: object, reason: str, *, high_risk: bool = False) -> None:
    live.contact_changed(contact_id, reason=reason)  # type: ignore[arg-type]
    from helpline.routing.events import after_queue_change

    after_queue_change(contact_id, high_risk=high_risk)
