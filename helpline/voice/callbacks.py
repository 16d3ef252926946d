"""Calling a missed caller back. Calling a child back may put them at risk (a parent answers, the
phone is shared), and it shows the caller's number: so only those who may see numbers make
call-backs (Permission.CALL_BACK), each audited with its reason, and never before the caller's
safe-contact note has been read."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.contacts.models import Channel, Contact, Direction, Status
from helpline.contacts.services import caller_reveal, contact_start
from helpline.voice.models import Callback, VoiceCall
from helpline.voice.services import voice_settings


class CallbackRefused(Exception):
    """Why a call-back cannot be made: "role" (the number is not for this person), "policy"
    (call-backs are off and the caller did not ask), "withheld" (no number to call), "safety_note"
    (the caller's safe-contact note was not confirmed as read), "taken" (a colleague's call-back to
    this caller is open)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def callback_make(
    actor: Staff,
    *,
    missed: VoiceCall,
    reason: str,
    caller_asked: bool,
    safety_note_read: bool = False,
    request: HttpRequest | None = None,
) -> Contact:
    """An outbound contact linked to the missed one, when the helpline's policy allows call-backs
    or the caller asked for one. The number is shown afterwards by callback_reveal. Made again while
    it is open, the same call-back is returned (no second contact, no second audit row)."""
    if not role_has(actor.role, Permission.CALL_BACK):
        raise CallbackRefused("role")
    if not (voice_settings().callbacks_allowed or caller_asked):
        raise CallbackRefused("policy")
    caller = missed.contact.caller
    if caller is None:
        raise CallbackRefused("withheld")
    has_note = bool(caller.safety_note.strip())
    if has_note and not safety_note_read:
        raise CallbackRefused("safety_note")
    with transaction.atomic():
        VoiceCall.objects.select_for_update().filter(pk=missed.pk).first()  # one call-back at a time
        open_one = (
            Callback.objects.filter(missed=missed)
            .exclude(contact__status=Status.CLOSED)
            .select_related("contact")
        ).first()
        if open_one is not None:  # a double click or a resent form: the call-back already made
            if open_one.made_by_id != actor.pk:
                raise CallbackRefused("taken")
            return open_one.contact
        contact = contact_start(
            actor, channel=Channel.VOICE, direction=Direction.OUTBOUND, caller=caller, request=request
        )
        Callback.objects.create(
            missed=missed, contact=contact, made_by=actor, reason=reason[:200], made_at=timezone.now()
        )
        audit_record(
            actor,
            action=AuditAction.CALL_CALLBACK,
            record_type="contact",
            record_id=contact.pk,
            reason=reason,
            request=request,
            detail={
                "missed": str(missed.contact_id),
                "caller_asked": caller_asked,
                "safety_note_read": has_note,
            },
        )
    return contact


def callback_reveal(actor: Staff, *, callback: Callback, request: HttpRequest | None = None) -> str:
    """The number to dial for a call-back this person made, audited as every reveal is."""
    if not role_has(actor.role, Permission.CALL_BACK) or callback.made_by_id != actor.pk:
        raise CallbackRefused("role")
    caller = callback.contact.caller
    if caller is None:  # a call-back is only made to a caller on record
        raise CallbackRefused("withheld")
    return caller_reveal(actor, caller=caller, reason=f"call-back: {callback.reason}", request=request)
