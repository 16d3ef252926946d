"""What happens after the queue changes: offer contacts, alert supervisors to high risk."""

from __future__ import annotations

import logging

from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common import live
from helpline.routing.queue import route

log = logging.getLogger("helpline.routing")

SUPERVISORS = live.SUPERVISORS_GROUP


def after_queue_change(contact_id: object, *, waiting: bool, high_risk: bool = False) -> None:
    """`waiting`: whether the contact now waits in the queue (its writer knows)."""

    if not waiting and not high_risk:
        return  # a message in a conversation someone already holds leaves the queue as it is
    if high_risk:
        audit_record(
            "routing", action=AuditAction.TRIAGE_HIGH_RISK, record_type="contact", record_id=contact_id
        )
        live.push(SUPERVISORS, {"reason": "high_risk", "contact": str(contact_id)})
    live.push(SUPERVISORS, {"reason": "queue"})
    try:
        route()
    except Exception:  # routing again on the next event or poll; never fail the message itself
        log.exception("routing failed")
