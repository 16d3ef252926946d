"""audit_record(): the one way to write the audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from helpline.audit.models import AuditChainHead, AuditEvent
from helpline.common.requests import client_address

if TYPE_CHECKING:
    from helpline.accounts.models import ApiToken, Staff


def _actor_fields(actor: Any) -> dict[str, Any]:
    from helpline.accounts.models import ApiToken, Staff

    if isinstance(actor, Staff):
        return {"actor": actor, "actor_label": actor.username, "role": actor.role}
    if isinstance(actor, ApiToken):
        return {"actor": None, "actor_label": f"token:{actor.name}", "role": "integration"}
    if isinstance(actor, str):  # a part of the system acting on its own, e.g. "gateway:kannel"
        return {"actor": None, "actor_label": actor[:120], "role": "system"}
    return {"actor": None, "actor_label": "anonymous", "role": ""}


def audit_record(
    actor: Staff | ApiToken | str | None,
    *,
    action: str,
    record_type: str = "",
    record_id: object = "",
    reason: str = "",
    request: HttpRequest | None = None,
    client_ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Runs inside the caller's transaction (as a savepoint) when there is one,
    so the audit row commits or rolls back together with the change it describes. No savepoint of
    its own: if the append fails, the change it describes must not commit either. `client_ip`
    is for work that arrives without a request (a frame on a staff socket)."""
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
            prev_hash=head.last_hash,
            **_actor_fields(actor),
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(last_seq=event.seq, last_hash=event.hash)
    return event
