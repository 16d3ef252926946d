"""Handing a contact on: to a colleague, or back to the queue, by its holder or a supervisor, always
with a reason. Whether the colleague may take it now (presence, room) is routing's to decide, in the
same transaction (helpline.routing.transfer); this module writes the contact, the transfer and the
audit row, and tells the consoles concerned once it is committed."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common import live
from helpline.contacts.models import Channel, Contact, ContactTransfer, Status
from helpline.contacts.selectors import access_contact

MAX_REASON = 500
OPEN = (Status.WAITING, Status.ACTIVE)
# A child who writes waits for a counsellor in the queue; a caller waits on the phone, where a
# call is handed on (the PBX's transfer moves its record too), and a walk-in waits in the room.
REQUEUE_CHANNELS = frozenset({Channel.SMS, Channel.WEBCHAT})


class TransferRefused(Exception):
    """A transfer that cannot be made: `field` is the form field it concerns ("" for the whole
    request); `status` 409 when the contact itself forbids it (closed, no longer theirs)."""

    def __init__(self, message: str | Promise, *, field: str = "", status: int = 400) -> None:
        super().__init__(str(message))
        self.message, self.field, self.status = message, field, status


def transfers_any(staff: Staff) -> bool:
    """Supervisors reassign any contact; everyone else only the contacts they hold."""
    return staff.is_active and role_has(staff.role, Permission.ASSIGN)


def may_transfer(staff: Staff, contact: Contact) -> bool:
    """Whether this person may hand on a contact they may already see."""
    return transfers_any(staff) or contact.counsellor_id == staff.pk


def access_transferable(staff: Staff, contact_id: UUID | str) -> Contact:
    """The contact, if this person may hand it on; the same 404 whether it is missing or not theirs
    (a closed one is found, and refused by the transfer itself)."""
    contact = access_contact(staff, contact_id)
    if may_transfer(staff, contact):
        return contact
    raise Http404


def latest_transfers(contact_ids: list[UUID]) -> dict[UUID, ContactTransfer]:
    """The last transfer of each of these contacts that has one."""
    found: dict[UUID, ContactTransfer] = {}
    rows = ContactTransfer.objects.filter(contact_id__in=contact_ids).select_related("by").order_by("-at")
    for row in rows:
        found.setdefault(row.contact_id, row)
    return found


def refusable(contact: Contact, reason: str) -> str:
    """The reason, stripped; TransferRefused for a missing or long one or a contact no longer open."""
    reason = reason.strip()
    if not reason:
        raise TransferRefused(_("Say why you are transferring this contact."), field="reason")
    if len(reason) > MAX_REASON:
        raise TransferRefused(
            _("Write the reason in at most %(n)d characters.") % {"n": MAX_REASON}, field="reason"
        )
    if contact.status not in OPEN:
        raise TransferRefused(_("This contact is closed and cannot be transferred."), status=409)
    return reason


def contact_transfer(
    actor: Staff, *, contact: Contact, to: Staff | None, reason: str, request: HttpRequest | None = None
) -> ContactTransfer:
    """Hand `contact` to `to`, or back to the queue when `to` is None (it keeps its urgency and its
    place by arrival, and waits to be offered again). Its conversation and draft go with it."""
    reason = refusable(contact, reason)
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        if locked.status not in OPEN:
            raise TransferRefused(_("This contact is closed and cannot be transferred."), status=409)
        if not may_transfer(actor, locked):
            raise TransferRefused(_("This contact is no longer yours to transfer."), status=409)
        previous = locked.counsellor_id
        now = timezone.now()
        if to is None:
            if locked.channel not in REQUEUE_CHANNELS:
                raise TransferRefused(
                    _("Only an SMS or a chat goes back to the queue; hand a call on by phone."), field="to"
                )
            if previous is None:
                raise TransferRefused(_("This contact is already waiting in the queue."), field="to")
            locked.status, locked.counsellor = Status.WAITING, None
        else:
            if to.pk == previous:
                raise TransferRefused(_("They already hold this contact."), field="to")
            if locked.answered_at is None:  # a supervisor gives a waiting contact: answered now
                locked.answered_at = now
                locked.wait_seconds = max(0, int((now - locked.arrived_at).total_seconds()))
            locked.status, locked.counsellor = Status.ACTIVE, to
        locked.version += 1
        locked.save(
            update_fields=["status", "counsellor", "answered_at", "wait_seconds", "version", "updated_at"]
        )
        if to is not None:
            locked.handlers.add(to)
        transfer = ContactTransfer.objects.create(
            contact=locked, from_staff_id=previous, to_staff=to, by=actor, reason=reason, at=now
        )
        audit_record(
            actor,
            action=AuditAction.CONTACT_TRANSFER if to is not None else AuditAction.CONTACT_REQUEUE,
            record_type="contact",
            record_id=locked.pk,
            reason=reason,
            request=request,
            detail={"transfer": str(transfer.pk)},
            changes={"counsellor": (previous, to.pk if to is not None else None)},
        )
        contact_id, to_id = locked.pk, (to.pk if to is not None else None)
        transaction.on_commit(lambda: _announce(contact_id, previous=previous, to=to_id))
    contact.status, contact.counsellor, contact.version = locked.status, locked.counsellor, locked.version
    return transfer


def _announce(contact_id: UUID, *, previous: UUID | None, to: UUID | None) -> None:
    """Back in the queue: every console (and the child's chat, which waits again). Handed to a
    colleague: their console, the giver's and the supervisors'. The event says only that it moved:
    the receiving console fetches its list, where the reason is."""
    if to is None:
        live.contact_changed(contact_id, reason="requeued")
        return
    event = {"reason": "transferred", "contact": str(contact_id)}
    live.push(live.staff_group(to), event | {"to_you": True})
    if previous is not None:
        live.push(live.staff_group(previous), event)
    live.push(live.SUPERVISORS_GROUP, event)
