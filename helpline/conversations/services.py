"""Receiving texts exactly once, threading them into conversations and contacts, replying through
a durable outbox, and recording delivery."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.channels.base import InboundRejected, InboundText
from helpline.channels.config import short_codes
from helpline.channels.sms_parts import sms_parts
from helpline.common import live
from helpline.common.crypto import keyed_hash
from helpline.common.text import blank, is_identifier, storable
from helpline.contacts.identity import AddressError, caller_for_address, parse_address
from helpline.contacts.intake import contact_waiting_open
from helpline.contacts.models import Caller, Channel, Contact, Status
from helpline.conversations import hours
from helpline.conversations.models import (
    BlockedAddress,
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    TextSettings,
)
from helpline.conversations.signals import text_stored
from helpline.conversations.tasks import kick
from helpline.routing.events import after_queue_change
from helpline.routing.triage import Score, score_text, triage_contact

log = logging.getLogger("helpline.sms")

MAX_REPLY = 1000


@dataclass(frozen=True)
class Received:
    message: Message
    duplicate: bool
    new_contact: bool


# A child reads these: addressed as ប្អូន, numbers to dial in Latin digits (as on the helpline's
# posters). Existing installations get them through migration conversations 0003 unless edited.
FIRST_REPLY_KM = "សួស្ដី! នេះជាខ្សែទូរស័ព្ទជំនួយកុមារ 1280។ អ្នកប្រឹក្សានឹងឆ្លើយប្អូនឆាប់ៗ។"
FIRST_REPLY_EN = "Hello! You have reached Child Helpline 1280. A counsellor will answer you soon."
CLOSED_REPLY_KM = (
    "ខ្សែទូរស័ព្ទជំនួយកុមារ 1280 បិទនៅពេលនេះ។ សូមប្អូនផ្ញើសារមកម្ដងទៀតពេលក្រោយ។ បើមានរឿងបន្ទាន់ សូមទូរស័ព្ទទៅប៉ូលិសលេខ 117។"
)


def text_settings() -> TextSettings:
    found, _created = TextSettings.objects.get_or_create(
        pk=1,
        defaults={
            "first_reply_km": FIRST_REPLY_KM,
            "first_reply_en": FIRST_REPLY_EN,
            "closed_reply_km": CLOSED_REPLY_KM,
        },
    )
    return found


def blocked_hash(address_uri: str) -> str:
    return keyed_hash(address_uri, purpose="blocked-address")


def is_blocked(address_uri: str) -> bool:
    now = timezone.now()
    return (
        BlockedAddress.objects.filter(address_hash=blocked_hash(address_uri))
        .exclude(expires_at__lt=now)
        .exists()
    )


def _open_conversation(
    caller: Caller, channel: str, now: dt.datetime, idle_hours: int
) -> Conversation | None:
    """The caller's open thread on this channel, closing it first if its contact was closed by the
    counsellor or it has been quiet longer than the idle timeout."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("contact")
        .filter(caller=caller, channel=channel, is_open=True)
        .first()
    )
    if conversation is None:
        return None
    idle = now - conversation.last_message_at > dt.timedelta(hours=idle_hours)
    if conversation.contact.status == Status.CLOSED or idle:
        Conversation.objects.filter(pk=conversation.pk).update(is_open=False)
        return None
    return conversation


def text_receive(inbound: InboundText, *, channel: str = Channel.SMS) -> Received:
    """Store an inbound text once (a repeat of the same provider id changes nothing), thread it,
    and queue the automatic replies. Raises InboundRejected for what must be refused."""
    if inbound.recipient.strip().lstrip("+") not in short_codes() and channel == Channel.SMS:
        raise InboundRejected(404, "unknown recipient")
    existing = Message.objects.filter(
        provider=inbound.provider, provider_message_id=inbound.provider_message_id
    ).first()
    if existing is not None:
        return Received(existing, duplicate=True, new_contact=False)
    try:
        address = parse_address(inbound.sender)
    except AddressError as exc:
        raise InboundRejected(400, "sender is not an address") from exc
    if is_blocked(address.uri):
        raise InboundRejected(403, "sender is blocked")
    config = text_settings()

    scored = score_text(inbound.text)
    now = timezone.now()
    try:
        with transaction.atomic():
            caller = caller_for_address(address)
            window = now - dt.timedelta(minutes=1)
            recent = Message.objects.filter(
                conversation__caller=caller, direction=Direction.INBOUND, created_at__gte=window
            ).count()
            if recent >= config.flood_per_minute:
                raise InboundRejected(429, "too many messages from one sender")
            conversation = _open_conversation(caller, channel, now, config.idle_close_hours)
            new_contact = conversation is None
            if conversation is None:
                contact = contact_waiting_open(channel=channel, caller=caller, arrived_at=now)
                conversation = Conversation.objects.create(
                    channel=channel,
                    gateway=inbound.provider,
                    local_address=inbound.recipient[:64],
                    caller=caller,
                    contact=contact,
                    last_message_at=now,
                )
            message = Message.objects.create(
                conversation=conversation,
                seq=next_seq(conversation, touched_at=now),
                direction=Direction.INBOUND,
                text=inbound.text,
                provider=inbound.provider,
                provider_message_id=inbound.provider_message_id,
                status=DeliveryStatus.RECEIVED,
                created_at=now,
                parts=max(1, sms_parts(inbound.text).parts),
            )
            _queue_automatic_replies(conversation, new_contact=new_contact, config=config, now=now)
            inbound_stored(
                conversation, message, gateway=inbound.provider, scored=scored, new_contact=new_contact
            )
    except IntegrityError:
        # A concurrent copy of the same message (or of a first message) won the race.
        again = Message.objects.filter(
            provider=inbound.provider, provider_message_id=inbound.provider_message_id
        ).first()
        if again is not None:
            return Received(again, duplicate=True, new_contact=False)
        return text_receive(inbound, channel=channel)
    return Received(message, duplicate=False, new_contact=new_contact)


def inbound_stored(
    conversation: Conversation, message: Message, *, gateway: str, scored: Score, new_contact: bool = False
) -> None:
    """The end of storing a child's text (SMS or chat), inside its transaction: the risk triage,
    the audit row, and after commit the live pushes and routing. `new_contact`: this text opened
    the contact it belongs to."""

    triage, newly_high = triage_contact(conversation.contact, message.text, scored=scored)
    # Last: the audit chain's head stays locked until commit, serialising every writer.
    audit_record(
        f"gateway:{gateway}",
        action=AuditAction.TEXT_RECEIVE,
        record_type="contact",
        record_id=conversation.contact_id,
        detail={"message": str(message.pk)},
    )
    contact = conversation.contact
    # The queue changed only if this text put the contact in it or triage found something (its
    # risk or urgency may have moved it up). A text that changes neither leaves routing to the
    # scheduler's tick: routing the whole queue again for every message of every waiting chat
    # and SMS was a good part of the server's time under load (bench/mixed.py).
    queue_changed = new_contact or triage is not None
    contact_id, holder = contact.pk, contact.counsellor_id
    waiting = contact.status == Status.WAITING and queue_changed
    transaction.on_commit(
        lambda: contact_announce(contact_id, "message", waiting=waiting, holder=holder, high_risk=newly_high)
    )
    stored = {"contact_id": contact_id, "message_id": message.pk, "channel": conversation.channel}
    text = message.text
    transaction.on_commit(lambda: _tell_text_stored(text=text, **stored))


def _tell_text_stored(**stored: Any) -> None:
    """After commit: the apps above hear of the text (feedback's SMS keyword); one that fails is
    logged and never undoes what was stored."""
    for receiver, result in text_stored.send_robust(sender=Message, **stored):
        if isinstance(result, Exception):
            log.error("text_stored receiver %s failed: %r", getattr(receiver, "__name__", receiver), result)


def contact_announce(
    contact_id: object, reason: str, *, waiting: bool, holder: object = None, high_risk: bool = False
) -> None:
    """After commit: tell consoles (and the child's socket) what changed, and route the queue."""
    live.contact_changed(contact_id, reason=reason, holder=holder)  # type: ignore[arg-type]

    after_queue_change(contact_id, high_risk=high_risk, waiting=waiting)


def next_seq(conversation: Conversation, *, touched_at: dt.datetime | None = None) -> int:
    """The next message number in this thread (the row update also locks the thread); with
    `touched_at`, also the time of its last message, in the same write."""
    if connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and connection.features.can_return_columns_from_insert  # 3.35+
    ):
        # One statement instead of an update and a read: this runs for every message.
        meta = Conversation._meta
        params: list[Any] = []
        touched = ""
        if touched_at is not None:
            field = meta.get_field("last_message_at")
            touched = f", {connection.ops.quote_name(field.column)} = %s"
            params.append(field.get_db_prep_value(touched_at, connection))  # type: ignore[union-attr]
        params.append(meta.pk.get_db_prep_value(conversation.pk, connection))  # type: ignore[union-attr]
        quote = connection.ops.quote_name
        table, key = quote(meta.db_table), quote(meta.pk.column)  # type: ignore[union-attr]
        seq = quote(meta.get_field("last_seq").column)  # type: ignore[union-attr]
        # Identifiers come from the model and are quoted; the values are parameters.
        sql = f"UPDATE {table} SET {seq} = {seq} + 1{touched} WHERE {key} = %s RETURNING {seq}"  # noqa: S608  # nosec B608
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            raise Conversation.DoesNotExist
        return int(row[0])
    changes: dict[str, object] = {"last_seq": F("last_seq") + 1}
    if touched_at is not None:
        changes["last_message_at"] = touched_at
    Conversation.objects.filter(pk=conversation.pk).update(**changes)
    return int(Conversation.objects.values_list("last_seq", flat=True).get(pk=conversation.pk))


def _queue(
    conversation: Conversation, text: str, *, author: Staff | None, automatic: bool, now: dt.datetime
) -> Message:
    if conversation.channel == Channel.WEBCHAT:
        # A chat reply is stored first, then pushed to the child's socket; a child who is offline
        # gets it on resume. No gateway, no outbox.
        message = Message.objects.create(
            conversation=conversation,
            seq=next_seq(conversation),
            direction=Direction.OUTBOUND,
            text=text,
            provider="webchat",
            status=DeliveryStatus.SENT,
            author=author,
            is_automatic=automatic,
            created_at=now,
            sent_at=now,
        )
        payload = {"kind": "message", "seq": message.seq, "text": text, "from": "helpline"}
        group = live.chat_group(conversation.pk)
        transaction.on_commit(lambda: live.push(group, payload))
        return message
    message = Message.objects.create(
        conversation=conversation,
        seq=next_seq(conversation),
        direction=Direction.OUTBOUND,
        text=text,
        provider=conversation.gateway,
        status=DeliveryStatus.QUEUED,
        author=author,
        is_automatic=automatic,
        created_at=now,
        next_attempt_at=now,
        parts=max(1, sms_parts(text).parts),
    )
    transaction.on_commit(_kick_outbox)
    return message


def _kick_outbox() -> None:

    kick()


def _queue_automatic_replies(
    conversation: Conversation, *, new_contact: bool, config: TextSettings, now: dt.datetime
) -> None:
    closed_reply = hours.closed_reply(now, config)
    if closed_reply is not None:
        recent_auto = conversation.messages.filter(
            is_automatic=True, created_at__gte=now - dt.timedelta(hours=6)
        ).exists()
        if closed_reply and not recent_auto:
            _queue(conversation, closed_reply, author=None, automatic=True, now=now)
        return
    if new_contact:
        first = config.first_reply_km or config.first_reply_en
        if first:
            _queue(conversation, first, author=None, automatic=True, now=now)


def text_reply(
    actor: Staff,
    *,
    contact: Contact,
    text: str,
    conversation: Conversation | None = None,
    client_ip: str | None = None,
) -> Message:
    """A counsellor's reply, queued in the database and sent by the worker (a chat reply is pushed
    to the child's socket instead). `conversation`, when the caller has it, saves reading it again;
    no lock is needed here, next_seq's row update locks the thread."""
    text = storable(text.strip())
    if blank(text) or len(text) > MAX_REPLY:  # blank: zero-width characters alone send nothing
        raise ValueError("empty or too long")
    if conversation is None:
        conversation = Conversation.objects.get(contact=contact)
    elif conversation.contact_id != contact.pk:
        raise ValueError("conversation of another contact")
    with transaction.atomic():
        message = _queue(conversation, text, author=actor, automatic=False, now=timezone.now())
        audit_record(
            actor,
            action=AuditAction.TEXT_REPLY,
            record_type="contact",
            record_id=contact.pk,
            client_ip=client_ip,
            detail={"message": str(message.pk), "parts": message.parts},
        )
    contact_id, holder = contact.pk, contact.counsellor_id
    transaction.on_commit(lambda: live.contact_changed(contact_id, reason="reply", holder=holder))
    return message


def text_send_automatic(*, contact: Contact, text: str, reason: str) -> Message | None:
    """An automatic message to the child on the contact's thread (a survey link after it closed):
    queued through the outbox (a chat's pushed to the child's page). None when the contact has no
    conversation. `reason` names it in the audit row."""
    text = storable(text.strip())
    if blank(text) or len(text) > MAX_REPLY:  # blank: zero-width characters alone send nothing
        raise ValueError("empty or too long")
    conversation = Conversation.objects.filter(contact=contact).first()
    if conversation is None:
        return None
    with transaction.atomic():
        message = _queue(conversation, text, author=None, automatic=True, now=timezone.now())
        audit_record(
            "system",
            action=AuditAction.TEXT_REPLY,
            record_type="contact",
            record_id=contact.pk,
            detail={"message": str(message.pk), "parts": message.parts, "automatic": reason[:40]},
        )
    return message


def delivery_report(*, message_id: str, status: str, provider: str, provider_message_id: str = "") -> bool:
    """Record a gateway's delivery report against our message; False when it matches nothing."""
    if status not in DeliveryStatus.values or not is_identifier(provider_message_id):
        return False  # no message has a NUL in its id, and PostgreSQL refuses to look for one
    qs = Message.objects.filter(direction=Direction.OUTBOUND, provider=provider)
    if message_id:
        qs = qs.filter(pk=message_id)
    elif provider_message_id:
        qs = qs.filter(provider_message_id=provider_message_id)
    else:
        return False
    now = timezone.now()
    with transaction.atomic():
        message = qs.select_for_update(of=("self",)).select_related("conversation__contact").first()
        if message is None:
            return False
        if message.status == DeliveryStatus.DELIVERED:
            return True  # a late "sent" never downgrades a delivered message
        message.status = status
        if status == DeliveryStatus.DELIVERED:
            message.delivered_at = now
        message.save(update_fields=["status", "delivered_at"])
        contact_id, holder = message.conversation.contact_id, message.conversation.contact.counsellor_id
    live.contact_changed(contact_id, reason="delivery", holder=holder)
    return True
