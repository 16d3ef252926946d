"""The outbox: replies wait in the database and leave through their gateway, with retries,
backoff and a per-gateway rate limit. A message is claimed by a conditional update before it
is sent, so two workers never send it twice; one whose send was cut off (a crash between sending
and recording) is marked 'not known' for a counsellor to check, never re-sent blindly."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.channels.base import GatewayError, OutboundText
from helpline.channels.registry import gateway
from helpline.common import live
from helpline.contacts.identity import caller_address
from helpline.conversations.models import DeliveryStatus, Direction, Message

log = logging.getLogger("helpline.outbox")

MAX_ATTEMPTS = 6
STALE_SENDING = dt.timedelta(minutes=5)


def backoff(attempts: int) -> dt.timedelta:
    """5 s, 10 s, 20 s, ... capped at 10 minutes."""
    return dt.timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))


@dataclass
class DeliveryRun:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    next_due: dt.datetime | None = None
    last_send: dict[str, float] = field(default_factory=dict)


def _claim(message_id: UUID, now: dt.datetime) -> bool:
    return bool(
        Message.objects.filter(pk=message_id, status=DeliveryStatus.QUEUED, next_attempt_at__lte=now).update(
            status=DeliveryStatus.SENDING, claimed_at=now
        )
    )


def _pace(run: DeliveryRun, name: str, per_second: float) -> None:
    if per_second <= 0:
        return
    gap = 1.0 / per_second
    waited = time.monotonic() - run.last_send.get(name, 0.0)
    if waited < gap:
        time.sleep(gap - waited)
    run.last_send[name] = time.monotonic()


def _send_one(message: Message, run: DeliveryRun) -> None:
    conversation = message.conversation
    if conversation.caller is None:
        _finish(message, DeliveryStatus.FAILED, "no address to reply to")
        run.failed += 1
        return
    to = caller_address(conversation.caller).split(":", 1)[1]
    try:
        adapter = gateway(message.provider)
        _pace(run, adapter.name, adapter.per_second)
        provider_id = adapter.send(
            OutboundText(
                message_id=str(message.pk),
                to=to,
                sender=conversation.local_address or "1280",
                text=message.text,
            )
        )
    except GatewayError as exc:
        attempts = message.attempts + 1
        if exc.retryable and attempts < MAX_ATTEMPTS:
            due = timezone.now() + backoff(attempts)
            Message.objects.filter(pk=message.pk).update(
                status=DeliveryStatus.QUEUED, attempts=attempts, next_attempt_at=due, error=str(exc)[:300]
            )
            run.retried += 1
            run.next_due = min(run.next_due or due, due)
            log.info(
                "outbox: retry %s via %s in %s", str(message.pk)[:8], message.provider, backoff(attempts)
            )
        else:
            Message.objects.filter(pk=message.pk).update(attempts=attempts)
            _finish(message, DeliveryStatus.FAILED, str(exc)[:300])
            run.failed += 1
        return
    except KeyError:
        _finish(message, DeliveryStatus.FAILED, "no such gateway")
        run.failed += 1
        return
    # Only a message still being sent becomes "sent": a delivery report may already have come.
    Message.objects.filter(pk=message.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        attempts=message.attempts + 1,
        provider_message_id=provider_id or None,
        error="",
    )
    run.sent += 1
    live.contact_changed(conversation.contact_id, reason="sent", holder=conversation.contact.counsellor_id)


def _finish(message: Message, status: str, error: str) -> None:
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(status=status, error=error)
        audit_record(
            f"outbox:{message.provider}",
            action=AuditAction.TEXT_FAILED,
            record_type="contact",
            record_id=message.conversation.contact_id,
            detail={"message": str(message.pk)},
        )
    log.warning("outbox: message %s failed for good via %s", str(message.pk)[:8], message.provider)
    contact = message.conversation.contact
    live.contact_changed(contact.pk, reason="failed", holder=contact.counsellor_id)


def recover_stale() -> int:
    """Messages left 'sending' by a worker that died: we cannot know whether they left, so they
    are shown to the counsellor as 'not known' instead of being sent a second time."""
    cutoff = timezone.now() - STALE_SENDING
    return Message.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff).update(
        status=DeliveryStatus.UNKNOWN, error="the worker stopped while sending"
    )


def deliver_due(limit: int = 500) -> DeliveryRun:
    run = DeliveryRun()
    recover_stale()
    now = timezone.now()
    due = list(
        Message.objects.filter(
            direction=Direction.OUTBOUND, status=DeliveryStatus.QUEUED, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        if not _claim(pk, timezone.now()):
            continue  # another worker has it
        message = Message.objects.select_related("conversation__caller", "conversation__contact").get(pk=pk)
        _send_one(message, run)
    later = (
        Message.objects.filter(direction=Direction.OUTBOUND, status=DeliveryStatus.QUEUED)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if later is not None:
        run.next_due = min(run.next_due or later, later)
    return run
