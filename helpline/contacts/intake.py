"""How contacts enter and move through the queue, for the channels and routing above: the only writes
of a contact outside a counsellor's recording (services.py). Each is the caller's transaction's part;
live pushes are the caller's (it knows what changed for whom). Every write stamps `updated_at`: the
statistics follow changed contacts by it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.contacts.models import URGENCY_RANK, Caller, Contact, Status, Urgency
from helpline.contacts.signals import handlers_written


class AssignRefused(ValueError):
    """The contact cannot go to that person: no longer waiting, or they may not take contacts now."""


def contact_waiting_open(
    *, channel: str, caller: Caller, arrived_at: dt.datetime, language: str = "km", age: int | None = None
) -> Contact:
    """A child's first message or chat: a contact waiting in the queue."""
    return Contact.objects.create(
        channel=channel,
        status=Status.WAITING,
        caller=caller,
        arrived_at=arrived_at,
        language=language if language in ("km", "en") else "km",
        age=age,
    )


def contact_abandon(*, contact_id: UUID, at: dt.datetime) -> bool:
    """The child left before anyone answered: counted as abandoned. False when it was answered."""
    return bool(
        Contact.objects.filter(pk=contact_id, status=Status.WAITING).update(
            status=Status.ABANDONED, ended_at=at, updated_at=timezone.now()
        )
    )


def contact_urgency_raise(*, contact: Contact, urgency: str) -> bool:
    """Triage raises a contact's urgency, never lowers it (a counsellor's own choice stands)."""
    if URGENCY_RANK.get(urgency, 0) <= URGENCY_RANK.get(contact.urgency, 0):
        return False
    Contact.objects.filter(pk=contact.pk).update(urgency=urgency, updated_at=timezone.now())
    contact.urgency = Urgency(urgency)
    return True


def contact_assign(
    *, contact_id: UUID, to: Staff, now: dt.datetime | None = None
) -> tuple[Contact, UUID | None]:
    """Give a waiting contact to a counsellor (one someone holds is handed on with a reason:
    contacts.transfer). Returns the contact and the counsellor who held it before. Run inside the
    caller's transaction."""
    locked = Contact.objects.select_for_update().get(pk=contact_id)
    if locked.status != Status.WAITING or locked.counsellor_id is not None:
        raise AssignRefused("only a waiting contact is assigned")
    previous = locked.counsellor_id
    now = now or timezone.now()
    if locked.status == Status.WAITING:
        locked.answered_at = now
        locked.wait_seconds = max(0, int((now - locked.arrived_at).total_seconds()))
    locked.status = Status.ACTIVE
    locked.counsellor = to
    locked.version += 1
    locked.save()
    locked.handlers.add(to)
    return locked, previous


@dataclass
class Batch:
    """Contacts a batch of call events made or changed, written at once (voice's batches)."""

    created: list[Contact] = field(default_factory=list)
    changed: list[tuple[Contact, Sequence[str]]] = field(default_factory=list)  # (contact, fields)
    handlers: set[tuple[UUID, UUID]] = field(default_factory=set)  # (contact id, staff id)


def contacts_write_batch(batch: Batch) -> None:
    if batch.created:
        Contact.objects.bulk_create(batch.created)  # ids are made in Python: their calls know them
    for contact, fields in batch.changed:
        if fields:
            contact.save(update_fields=[*fields, "updated_at"])
    if batch.handlers:
        through = Contact.handlers.through
        through.objects.bulk_create(
            [through(contact_id=c, staff_id=s) for c, s in batch.handlers], ignore_conflicts=True
        )
        handlers_written.send(sender=Contact, contact_ids={c for c, _ in batch.handlers})
