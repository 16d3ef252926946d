"""The one path every call event takes, whatever brought it (AMI, the HTTP endpoint, queue_log):
stored once under its key, applied to the call and its contact in order-tolerant steps.

Events are applied in batches (the AMI connector hands over whatever arrived since the last batch):
one transaction per batch, each call and contact read once and written once with only the fields
that changed, and the live pushes coalesced after the commit. A batch is all or nothing; when it fails
its events are applied one by one, so one bad event never costs the others."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connection, transaction

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction, call_action
from helpline.audit.services import audit_record
from helpline.channels.calls import LEG_KINDS, CallEvent
from helpline.common import live
from helpline.contacts.identity import AddressError, caller_for_address, is_withheld, parse_address
from helpline.contacts.intake import Batch, contacts_write_batch
from helpline.contacts.models import Channel, Contact, Direction, Status
from helpline.routing.queue import offers_withdraw
from helpline.voice.models import CallState, VoiceCall, VoiceEvent, VoiceSettings

log = logging.getLogger("helpline.voice")

FINAL = {CallState.COMPLETED, CallState.ABANDONED}
# The contact fields a call event may change: compared before and after, and only those written.
CONTACT_FIELDS = (
    "status",
    "arrived_at",
    "answered_at",
    "ended_at",
    "wait_seconds",
    "talk_seconds",
    "counsellor_id",
)
CALL_FIELDS = tuple(f.attname for f in VoiceCall._meta.concrete_fields if not f.primary_key)


class EventRejected(ValueError):
    pass


class DatabaseUnavailable(Exception):
    """The database could not be reached: nothing of the events was applied; try them again later."""


def _database_lost(exc: BaseException) -> bool:
    """A failure of the link to the database rather than of the events: worth trying again."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if not isinstance(exc, DatabaseError) or isinstance(exc, IntegrityError):
        return False
    try:  # SQLite reports a closed connection as a ProgrammingError: ask the connection itself
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return True
    return False


@dataclass
class Pushes:
    """Live pushes owed once the batch has committed: screen-pops, then one refresh per contact."""

    pops: list[tuple[UUID, UUID]] = field(default_factory=list)  # (staff pk, contact id)
    changed: dict[UUID, str] = field(default_factory=dict)  # contact id -> reason of its last event

    def send(self) -> None:
        for staff_id, contact_id in self.pops:
            # Screen-pop: the answering counsellor's console opens this contact.
            live.push(live.staff_group(str(staff_id)), {"reason": "screen_pop", "contact": str(contact_id)})
        for contact_id, reason in self.changed.items():
            live.contact_changed(contact_id, reason=reason)
        if self.changed:
            live.push(live.SUPERVISORS_GROUP, {"reason": "calls"})


def voice_settings() -> VoiceSettings:
    # Defaults until a supervisor saves the form (which stores pk 1): a page that reads them writes
    # nothing.
    return VoiceSettings.objects.filter(pk=1).first() or VoiceSettings(pk=1)


def voice_event(event: CallEvent) -> str:
    """Apply one event. Returns "applied", "duplicate" or "ignored" (and never raises on a
    well-formed event that arrives late, twice or out of order)."""
    if not event.valid:
        raise EventRejected("unknown event, bad call id or time")
    outcomes, pushes = voice_events([event])
    pushes.send()
    return outcomes[0]


def voice_events(events: Sequence[CallEvent]) -> tuple[list[str], Pushes]:
    """Apply events in their order in one transaction. Returns each event's outcome ("applied",
    "duplicate", "ignored", "rejected", or "failed" when applying it alone raised too) and the
    pushes to send once the caller is outside any transaction. Raises DatabaseUnavailable when the
    database cannot be reached: then no event is at fault, and the caller should try them again."""
    try:
        return _in_transaction(events)
    except IntegrityError:
        if len(events) == 1:
            # Another writer (the HTTP endpoint, a reconcile) stored this event or its call between
            # our read and our write: read again, and the event is a duplicate or applies to that call.
            try:
                return _in_transaction(events)
            except IntegrityError:
                if VoiceEvent.objects.filter(key__in=events[0].keys).exists():
                    return ["duplicate"], Pushes()
                log.exception("call event %s failed (call %s)", events[0].kind, events[0].call_id[:12])
                return ["failed"], Pushes()
    except Exception as exc:
        if _database_lost(exc):
            raise DatabaseUnavailable(str(exc)) from exc
        if len(events) == 1:
            raise
        log.warning("a batch of %d call events failed; applying them one by one", len(events))
    outcomes: list[str] = []
    pushes = Pushes()
    for event in events:
        try:
            (outcome,), more = voice_events([event])
        except DatabaseUnavailable:
            raise  # the events applied so far are stored under their keys: trying again skips them
        except Exception:
            log.exception("call event %s failed (call %s)", event.kind, event.call_id[:12])
            outcome, more = "failed", Pushes()
        outcomes.append(outcome)
        pushes.pops += more.pops
        for contact_id, reason in more.changed.items():
            pushes.changed.pop(contact_id, None)  # keep the order of the last change
            pushes.changed[contact_id] = reason
    return outcomes, pushes


def _in_transaction(events: Sequence[CallEvent]) -> tuple[list[str], Pushes]:
    with transaction.atomic():
        return _Batch(events).run()


def _snapshot(obj: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _changed(obj: Any, before: dict[str, Any]) -> list[str]:
    return [name for name, value in before.items() if getattr(obj, name) != value]


@dataclass
class _Work:
    """One call and its contact as this batch changes them."""

    call: VoiceCall
    contact: Contact
    new: bool  # not in the database yet: inserted at the end of the batch
    call_before: dict[str, Any]
    contact_before: dict[str, Any]


class _Batch:
    def __init__(self, events: Sequence[CallEvent]) -> None:
        self.events = events
        self.work: dict[str, _Work] = {}
        self.staff: dict[str, Staff] = {}
        self.handlers: set[tuple[UUID, UUID]] = set()  # (contact id, staff id)
        self.audits: list[tuple[str, AuditAction, UUID]] = []  # (actor, action, contact id)
        self.stored: list[VoiceEvent] = []
        self.unoffered: set[UUID] = set()  # stored contacts no longer waiting: nobody may be offered them
        self.pushes = Pushes()
        self._settings: VoiceSettings | None = None

    @property
    def settings(self) -> VoiceSettings:
        if self._settings is None:
            self._settings = voice_settings()
        return self._settings

    def run(self) -> tuple[list[str], Pushes]:
        outcomes = ["rejected" if not e.valid else "" for e in self.events]
        keys = {key for e in self.events if e.valid for key in e.keys}
        known = set(VoiceEvent.objects.filter(key__in=keys).values_list("key", flat=True)) if keys else set()
        fresh = []
        for n, event in enumerate(self.events):
            if outcomes[n]:
                continue
            if known.intersection(event.keys):
                outcomes[n] = "duplicate"
                continue
            known.add(event.key)
            fresh.append((n, event))
        if not fresh:
            return outcomes, self.pushes
        call_ids = {event.call_id for _n, event in fresh}
        for call in (
            VoiceCall.objects.select_for_update().select_related("contact").filter(call_id__in=call_ids)
        ):
            self.work[call.call_id] = _Work(
                call,
                call.contact,
                False,
                _snapshot(call, CALL_FIELDS),
                _snapshot(call.contact, CONTACT_FIELDS),
            )
        extensions = {e.agent for _n, e in fresh if e.agent and e.kind in {"connect", "transfer", "complete"}}
        if extensions:
            for staff in Staff.objects.filter(extension__in=extensions, is_active=True).order_by("username"):
                self.staff.setdefault(staff.extension, staff)  # as staff_for_extension's .first()
        for n, event in fresh:
            outcomes[n] = self.apply(event)
        self.write()
        return outcomes, self.pushes

    def apply(self, event: CallEvent) -> str:
        work = self.work.get(event.call_id)
        created = work is None
        if work is None:
            if event.kind == "hangup" or event.says_nothing:
                return "ignored"  # says nothing of a call we never saw join (or of no queue call at all)
            work = self.work[event.call_id] = _new_call(event)
        contact = work.contact
        before = _snapshot(contact, CONTACT_FIELDS)
        handlers = len(self.handlers)
        outcome, push_to = _apply(self, work, event)
        if event.kind in {"leave", "hangup"} and outcome == "ignored":
            return outcome  # nothing to keep: it changed nothing, and a later one may still matter
        if before["status"] == Status.WAITING and contact.status != Status.WAITING and not work.new:
            self.unoffered.add(contact.pk)
        self.stored.append(VoiceEvent(key=event.key, call=work.call, kind=event.kind, at=event.at))
        if outcome != "applied":
            return outcome
        if created or handlers != len(self.handlers) or _changed(contact, before):
            # A write of the client's record (created, answered, handed on, ended) is audited; a ring is not.
            self.audits.append((f"pbx:{event.source}", call_action(event.kind), contact.pk))
        if push_to is not None:
            self.pushes.pops.append((push_to, contact.pk))
        self.pushes.changed.pop(contact.pk, None)
        self.pushes.changed[contact.pk] = f"call_{event.kind}"
        return outcome

    def write(self) -> None:
        new = [w for w in self.work.values() if w.new]
        batch = Batch(created=[w.contact for w in new], handlers=set(self.handlers))
        batch.changed = [
            (w.contact, _changed(w.contact, w.contact_before)) for w in self.work.values() if not w.new
        ]
        contacts_write_batch(batch)  # first: the calls refer to their contacts
        if new:
            VoiceCall.objects.bulk_create([w.call for w in new])
        for w in self.work.values():
            fields = [] if w.new else _changed(w.call, w.call_before)
            if fields:
                w.call.save(update_fields=fields)
        VoiceEvent.objects.bulk_create(self.stored)
        if self.unoffered:  # answered or gone: withdraw any offer of the caller to a counsellor
            offers_withdraw(self.unoffered)
        for actor, action, contact_id in self.audits:
            audit_record(actor, action=action, record_type="contact", record_id=contact_id)


def _arrival(event: CallEvent) -> dt.datetime:
    """When the caller joined, as far as this event tells: the first event heard of a call may be its
    AgentConnect or AgentComplete (the connector started mid-call), which say how long the caller
    talked and waited; a call never arrives after it was answered."""
    seconds = event.hold or 0
    if event.kind == "complete":
        seconds += event.talk or 0
    return event.at - dt.timedelta(seconds=seconds) if event.kind in LEG_KINDS else event.at


def _new_call(event: CallEvent) -> _Work:
    caller = None
    if not is_withheld(event.caller):
        # An unreadable caller id is treated as withheld (no caller on record).
        with contextlib.suppress(AddressError):
            caller = caller_for_address(parse_address(event.caller))
    arrived = _arrival(event)
    contact = Contact(
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        status=Status.WAITING,
        arrived_at=arrived,
        caller=caller,
        caller_withheld=caller is None,
    )
    call = VoiceCall(
        call_id=event.call_id,
        contact=contact,
        queue=event.queue[:64],
        joined_at=arrived,
        source=event.source,
    )
    return _Work(call, contact, True, {}, {})


def _apply(batch: _Batch, work: _Work, event: CallEvent) -> tuple[str, UUID | None]:
    call, contact = work.call, work.contact
    push_to = None
    if event.kind in LEG_KINDS and call.state == CallState.ABANDONED:
        # An answer always wins over an end seen first: a leave or hang-up inferred wrongly, or events
        # replayed out of order. The call goes on with the agent, and its contact with the counsellor.
        _reopen(call, contact)
    if event.kind == "join":
        if event.at < call.joined_at:
            call.joined_at = contact.arrived_at = event.at
        call.queue = call.queue or event.queue[:64]
    elif event.kind in {"connect", "transfer"} and _handed_on_after(call, event):
        # Transferred to another queue member: the call goes on with them.
        call.ended_at = None
        call.hung_up_by = ""
        if contact.status != Status.CLOSED:  # a record the counsellor closed stays closed
            contact.ended_at = None
        push_to = _connect(batch, call, contact, event)
    elif call.state in FINAL and event.kind not in {"complete", "abandon"}:
        return "ignored", None  # a late ring, leave or hang-up after the call ended changes nothing
    elif event.kind == "ring" and call.state == CallState.QUEUED:
        call.state = CallState.RINGING
    elif event.kind == "noanswer" and call.state == CallState.RINGING:
        call.state = CallState.QUEUED
    elif event.kind in {"connect", "transfer"}:
        push_to = _connect(batch, call, contact, event)
    elif event.kind == "complete":
        push_to = _complete(batch, call, contact, event)
    elif event.kind in {"abandon", "hangup"}:
        # The caller hung up before an answer. Asterisk sends QueueCallerAbandon, then Hangup: the
        # Hangup ends the call when the abandon was missed, and after an exit key (which sets no
        # QUEUESTATUS) it is what ends the wait. Once answered, AgentComplete tells how the call ended.
        if call.answered_at is not None:
            return "ignored", None
        wait = event.hold if event.hold is not None else int((event.at - call.joined_at).total_seconds())
        _end_unanswered(call, contact, event, wait=wait, by="caller")
        call.short_abandon = call.wait_seconds is not None and (
            call.wait_seconds < batch.settings.short_abandon_seconds
        )
    elif event.kind == "leave":
        # Only a leave that says why ends a call (see LEAVE_REASONS); a connect after it reopens it.
        if call.answered_at is not None or event.says_nothing:
            return "ignored", None
        wait = event.hold if event.hold is not None else int((event.at - call.joined_at).total_seconds())
        _end_unanswered(call, contact, event, wait=wait, by=event.hung_up_by)
        call.short_abandon = False  # the caller did not hang up
    return "applied", push_to


def _reopen(call: VoiceCall, contact: Contact) -> None:
    call.state = CallState.QUEUED
    call.ended_at = None
    call.hung_up_by = ""
    call.abandon_position = None
    call.short_abandon = False
    if contact.status == Status.ABANDONED:
        contact.status = Status.WAITING
        contact.ended_at = None


def _handed_on_after(call: VoiceCall, event: CallEvent) -> bool:
    """The call ended on a transfer and this connect (to another member) came after it."""
    return (
        call.state == CallState.COMPLETED
        and call.hung_up_by == "transfer"
        and call.ended_at is not None
        and event.at >= call.ended_at
    )


def _end_unanswered(call: VoiceCall, contact: Contact, event: CallEvent, *, wait: int, by: str) -> None:
    call.state = CallState.ABANDONED
    call.ended_at = event.at
    call.wait_seconds = max(0, wait)
    call.abandon_position = event.position
    call.hung_up_by = by[:16]
    if contact.status == Status.WAITING:
        contact.status = Status.ABANDONED
    contact.ended_at = event.at
    contact.wait_seconds = call.wait_seconds


def _complete(batch: _Batch, call: VoiceCall, contact: Contact, event: CallEvent) -> UUID | None:
    """One agent's leg ended: by the caller, the agent, or a transfer (to another member, whose
    AgentConnect follows, or out of the queue, where nothing follows). Talk time adds up the legs;
    each leg's AgentComplete is stored once, so none is counted twice."""
    push_to = None
    if call.answered_at is None:  # the connect was missed: the complete event carries enough
        push_to = _connect(batch, call, contact, event)
    if event.hold is not None:
        call.hold_seconds = event.hold
    if event.talk is not None:
        call.talk_seconds = (call.talk_seconds or 0) + event.talk
    if call.ended_at is None or event.at >= call.ended_at:  # the last leg says how it ended
        call.ended_at = event.at
        if contact.status != Status.CLOSED or contact.ended_at is None:
            contact.ended_at = event.at
        call.hung_up_by = event.hung_up_by[:16]
    call.state = CallState.COMPLETED
    contact.talk_seconds = call.talk_seconds
    return push_to


def _connect(batch: _Batch, call: VoiceCall, contact: Contact, event: CallEvent) -> UUID | None:
    answered = event.at if call.answered_at is None else call.answered_at
    if event.kind == "complete" and event.talk is not None:
        answered = event.at - dt.timedelta(seconds=event.talk)
    call.state = CallState.CONNECTED
    call.answered_at = answered
    call.agent_extension = event.agent[:32]
    wait = event.hold if event.hold is not None else int((answered - call.joined_at).total_seconds())
    call.wait_seconds = max(0, wait)
    if call.hold_seconds is None and event.hold is not None:
        call.hold_seconds = event.hold
    staff = batch.staff.get(event.agent) if event.agent else None
    contact.answered_at = contact.answered_at or answered
    contact.wait_seconds = call.wait_seconds
    if staff is None:
        log.warning("call answered on an extension that belongs to nobody (call %s)", call.call_id[:12])
        if contact.status == Status.WAITING:
            contact.status = Status.ACTIVE  # answered: it must not stay in the waiting queue
        return None
    if contact.status in {Status.WAITING, Status.ACTIVE}:
        contact.status = Status.ACTIVE
        contact.counsellor = staff
    batch.handlers.add((contact.pk, staff.pk))
    return staff.pk
