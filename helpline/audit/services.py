"""audit_record(): the one way to write the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from helpline.accounts.models import ApiToken, Staff
from helpline.accounts.principals import Actor
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from helpline.audit.selectors import audit_chain_verify
from helpline.common.requests import client_address


def _actor_fields(actor: Actor | None) -> dict[str, Any]:
    if isinstance(actor, Staff):
        return {"actor": actor, "actor_label": actor.username, "role": actor.role}
    if isinstance(actor, ApiToken):
        return {"actor": None, "actor_label": f"token:{actor.name}", "role": "integration"}
    if isinstance(actor, str):  # a part of the system acting on its own, e.g. "gateway:kannel"
        return {"actor": None, "actor_label": actor[:120], "role": "system"}
    return {"actor": None, "actor_label": "anonymous", "role": ""}


def _plain(value: Any) -> Any:
    """A value as JSON keeps it: ids and times as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return (
            sorted(_plain(v) for v in value)
            if isinstance(value, set | frozenset)
            else [_plain(v) for v in value]
        )
    return str(value)


def audit_record(
    actor: Actor | None,
    *,
    action: AuditAction,
    record_type: str = "",
    record_id: object = "",
    reason: str = "",
    request: HttpRequest | None = None,
    client_ip: str | None = None,
    detail: dict[str, Any] | None = None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
) -> AuditEvent:
    """Append one event. Runs inside the caller's transaction (as a savepoint) when there is one,
    so the audit row commits or rolls back together with the change it describes. No savepoint of
    its own: if the append fails, the change it describes must not commit either. `client_ip`
    is for work that arrives without a request (a frame on a staff socket). `changes`: each changed
    field's old and new value, for those who read a record's history. Never a client's data (the
    trail cannot be erased with the record): staff, settings and routing changes only."""
    action = AuditAction(action)  # a free string is refused here, not stored as a new kind
    with transaction.atomic(savepoint=False):
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:  # only after a test flush: migrations create the row
            AuditChainHead.objects.get_or_create(pk=1)
            head = AuditChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=timezone.now(),
            record_type=record_type,
            record_id=str(record_id or ""),
            action=action,
            reason=reason,
            client_ip=client_address(request) or client_ip,
            detail=detail or {},
            changes={k: [_plain(a), _plain(b)] for k, (a, b) in changes.items()} if changes else None,
            prev_hash=head.last_hash,
            **_actor_fields(actor),
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(last_seq=event.seq, last_hash=event.hash)
    return event


class AuditChainBroken(RuntimeError):
    pass


def audit_checkpoint(actor: Actor, *, before: dt.datetime) -> AuditCheckpoint | None:
    """Remove the events older than `before` (the audit trail's retention ran out), keeping the
    rest verifiable: the last removed event's number and hash become a checkpoint the next event
    links to, and a chained `audit.checkpoint` event records them. Refused when the part to be
    removed does not verify: a broken chain is evidence and is kept."""
    with transaction.atomic():
        AuditChainHead.objects.select_for_update().filter(pk=1).first()  # writers wait
        last = AuditEvent.objects.filter(at__lt=before).order_by("-seq").first()
        if last is None:
            return None
        report = audit_chain_verify(upto=last.seq)
        if not report.intact:
            raise AuditChainBroken(f"event {report.broken_seq}: {report.problem}")
        removed = AuditEvent.objects.filter(seq__lte=last.seq).count()
        checkpoint = AuditCheckpoint.objects.create(
            seq=last.seq, hash=last.hash, at=timezone.now(), removed=removed
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE seq <= %s", [last.seq])  # noqa: S608  # nosec B608  # the model's own table name
        audit_record(
            actor,
            action=AuditAction.AUDIT_CHECKPOINT,
            record_type="audit",
            record_id=checkpoint.seq,
            detail={"seq": checkpoint.seq, "hash": checkpoint.hash, "removed": removed},
        )
    return checkpoint
