"""Reading the audit trail and checking its chain."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from helpline.audit.models import GENESIS_HASH, AuditChainHead, AuditCheckpoint, AuditEvent


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    count: int
    broken_seq: int | None = None
    problem: str = ""


def audit_chain_verify(batch: int = 2000, *, upto: int | None = None) -> ChainReport:
    """Walk the chain in order; report the first link whose hash or predecessor does not match.
    It starts at the latest checkpoint (AuditCheckpoint) when the oldest events were removed, and
    then the checkpoint must be recorded, with the same number and hash, by an event in the chain.
    `upto`: stop after this event (the end-of-chain checks are then skipped)."""
    checkpoint = AuditCheckpoint.objects.order_by("-seq").first()
    expected_prev = checkpoint.hash if checkpoint else GENESIS_HASH
    expected_seq = checkpoint.seq + 1 if checkpoint else 1
    marked = False
    count = 0
    last_seq = expected_seq - 1
    while True:
        page = AuditEvent.objects.filter(seq__gte=expected_seq)
        if upto is not None:
            page = page.filter(seq__lte=upto)
        rows = list(page.order_by("seq")[:batch])
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return ChainReport(False, count, expected_seq, f"event {expected_seq} is missing")
            if event.prev_hash != expected_prev:
                return ChainReport(False, count, event.seq, "does not link to the event before it")
            if event.compute_hash() != event.hash:
                return ChainReport(False, count, event.seq, "its contents do not match its hash")
            if checkpoint and event.action == "audit.checkpoint":
                marked = marked or (
                    event.detail.get("seq") == checkpoint.seq and event.detail.get("hash") == checkpoint.hash
                )
            expected_prev = event.hash
            expected_seq += 1
            last_seq = event.seq
            count += 1
    if upto is not None:
        return ChainReport(True, count)
    if checkpoint and not marked:
        return ChainReport(
            False, count, checkpoint.seq + 1, "the checkpoint is not the one the chain recorded"
        )
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != last_seq or head.last_hash != expected_prev):
        return ChainReport(False, count, last_seq + 1, "events at the end of the chain are missing")
    return ChainReport(True, count)


def audit_events_filtered(
    *,
    actor: str = "",
    action: str = "",
    record_type: str = "",
    record_id: str = "",
    date_from: object = None,
    date_to: object = None,
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if actor:
        qs = qs.filter(actor_label__iexact=actor)
    if action:
        qs = qs.filter(action__startswith=action)
    if record_type:
        qs = qs.filter(record_type=record_type)
    if record_id:
        qs = qs.filter(record_id=record_id)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs.order_by("-seq")
