"""The one path every call event takes, whatever brought it (AMI, the HTTP endpoint, queue_log):
stored once under its key, applied to the call and its contact in order-tolerant steps."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.services import audit_record
from helpline.contacts.identity import AddressError, caller_for_address, is_withheld, parse_address
from helpline.contacts.models import Channel, Contact, Direction, Status
from helpline.conversations import live
from helpline.voice.models import CallState, VoiceCall, VoiceEvent, VoiceSettings

log = logging.getLogger("helpline.voice")

KINDS = {"join", "ring", "noanswer", "connect", "complete", "abandon", "transfer"}
FINAL = {CallState.COMPLETED, CallState.ABANDONED}


@dataclass(frozen=True)
class CallEvent:
    call_id: str
    kind: str
    at: dt.datetime
    caller: str = ""
    queue: str = ""
    agent: str = ""  # the answering extension
    position: int | None = None
    hold: int | None = None
    talk: int | None = None
    hung_up_by: str = ""
    source: str = "ami"

    @property
    def key(self) -> str:
        # Ringing and no-answer may repeat for one agent: their time tells them apart.
        # Whole seconds: AMI Timestamps carry microseconds, queue_log only seconds.
        extra = f":{int(self.at.timestamp())}" if self.kind in {"ring", "noanswer"} else ""
        return f"{self.call_id}:{self.kind}:{self.agent}{extra}"[:200]


class EventRejected(ValueError):
    pass


def voice_settings() -> VoiceSettings:
    found, _created = VoiceSettings.objects.get_or_create(pk=1)
    return found


def staff_for_extension(extension: str) -> Staff | None:
    if not extension:
        return None
    return Staff.objects.filter(extension=extension, is_active=True).first()


def _new_call(event: CallEvent) -> VoiceCall:
    caller = None
    withheld = is_withheld(event.caller)
    if not withheld:
        try:
            caller = caller_for_address(parse_address(event.caller))
        except AddressError:
            withheld = True  # an unreadable caller id is treated as withheld
    contact = Contact.objects.create(
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        status=Status.WAITING,
        arrived_at=event.at,
        caller=caller,
        caller_withheld=caller is None,
    )
    return VoiceCall.objects.create(
        call_id=event.call_id,
        contact=contact,
        queue=event.queue[:64],
        joined_at=event.at,
        source=event.source,
    )


def voice_event(event: CallEvent) -> str:
    """Apply one event. Returns "applied", "duplicate" or "ignored" (and never raises on a
    well-formed event that arrives late, twice or out of order)."""
    if event.kind not in KINDS or not event.call_id or len(event.call_id) > 64:
        raise EventRejected("unknown event or call id")
    if VoiceEvent.objects.filter(key=event.key).exists():
        return "duplicate"
    try:
        with transaction.atomic():
            call = VoiceCall.objects.select_for_update().filter(call_id=event.call_id).first()
            if call is None:
                call = _new_call(event)
            VoiceEvent.objects.create(key=event.key, call=call, kind=event.kind, at=event.at)
            outcome, push_to = _apply(call, event)
    except IntegrityError:
        return "duplicate"
    if push_to is not None:
        # Screen-pop: the answering counsellor's console opens this contact.
        live.push(live.staff_group(str(push_to)), {"reason": "screen_pop", "contact": str(call.contact_id)})
    live.contact_changed(call.contact_id, reason=f"call_{event.kind}")
    live.push("supervisors", {"reason": "calls"})
    return outcome


def _apply(call: VoiceCall, event: CallEvent) -> tuple[str, object | None]:
    contact = Contact.objects.select_for_update().get(pk=call.contact_id)
    push_to = None
    if event.kind == "join":
        if event.at < call.joined_at:
            call.joined_at = contact.arrived_at = event.at
        call.queue = call.queue or event.queue[:64]
    elif call.state in FINAL and event.kind not in {"complete", "abandon"}:
        return "ignored", None  # a late ring after the call ended changes nothing
    elif event.kind == "ring" and call.state == CallState.QUEUED:
        call.state = CallState.RINGING
    elif event.kind == "noanswer" and call.state == CallState.RINGING:
        call.state = CallState.QUEUED
    elif event.kind in {"connect", "transfer"}:
        push_to = _connect(call, contact, event)
    elif event.kind == "complete" and event.hung_up_by == "transfer":
        pass  # the first agent handed the call on: the next agent's connect follows
    elif event.kind == "complete":
        if call.answered_at is None:  # the connect was missed: the complete event carries enough
            push_to = _connect(call, contact, event)
        call.state = CallState.COMPLETED
        call.ended_at = event.at
        call.hold_seconds = event.hold if event.hold is not None else call.hold_seconds
        call.talk_seconds = event.talk
        call.hung_up_by = event.hung_up_by[:16]
        contact.ended_at = event.at
        contact.talk_seconds = event.talk
    elif event.kind == "abandon":
        if call.state == CallState.COMPLETED:
            return "ignored", None
        wait = event.hold if event.hold is not None else int((event.at - call.joined_at).total_seconds())
        call.state = CallState.ABANDONED
        call.ended_at = event.at
        call.wait_seconds = max(0, wait)
        call.abandon_position = event.position
        call.short_abandon = call.wait_seconds < voice_settings().short_abandon_seconds
        call.hung_up_by = "caller"
        if contact.status == Status.WAITING:
            contact.status = Status.ABANDONED
        contact.ended_at = event.at
        contact.wait_seconds = call.wait_seconds
    call.save()
    contact.save()
    audit_record(
        f"pbx:{event.source}", action=f"call.{event.kind}", record_type="contact", record_id=contact.pk
    )
    return "applied", push_to


def _connect(call: VoiceCall, contact: Contact, event: CallEvent) -> object | None:
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
    staff = staff_for_extension(event.agent)
    contact.answered_at = contact.answered_at or answered
    contact.wait_seconds = call.wait_seconds
    if staff is None:
        log.warning("call answered on an extension that belongs to nobody (call %s)", call.call_id[:12])
        if contact.status == Status.WAITING:
            contact.status = Status.ACTIVE  # answered: it must not stay in the waiting queue
        contact.save()
        return None
    if contact.status in {Status.WAITING, Status.ACTIVE}:
        contact.status = Status.ACTIVE
        contact.counsellor = staff
    contact.save()
    contact.handlers.add(staff)
    return staff.pk


def callback_make(actor: Staff, *, missed: VoiceCall, reason: str, caller_asked: bool) -> Contact:
    """A counsellor calls a missed caller back, when the helpline's policy allows it or the caller
    asked for it. The call-back is an outbound contact linked to the missed one."""
    from helpline.voice.models import Callback

    if not (voice_settings().callbacks_allowed or caller_asked):
        raise PermissionError("call-backs are off unless the caller asked")
    if missed.contact.caller_id is None:
        raise ValueError("the number was withheld")
    now = timezone.now()
    with transaction.atomic():
        contact = Contact.objects.create(
            channel=Channel.VOICE,
            direction=Direction.OUTBOUND,
            status=Status.ACTIVE,
            arrived_at=now,
            answered_at=now,
            caller=missed.contact.caller,
            counsellor=actor,
            created_by=actor,
        )
        contact.handlers.add(actor)
        Callback.objects.create(
            missed=missed, contact=contact, made_by=actor, reason=reason[:200], made_at=now
        )
        audit_record(
            actor,
            action="call.callback",
            record_type="contact",
            record_id=contact.pk,
            reason=reason,
            detail={"missed": str(missed.contact_id), "caller_asked": caller_asked},
        )
    return contact
