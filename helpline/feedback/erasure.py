"""Erasing feedback: the feedback app's writer for retention and for a person's erasure request.

What the person wrote or was told goes: their words, the name they gave, what they said it was
about, the address to reply to and its hash, the response, the notes on the item's history and
the copy of their words in a partner's concerns log. What is counted stays: kind, source,
subject, severity, state and the times, so the quality figures and the reports do not move. An
item still being handled is never erased (it would lose what is being answered)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from helpline.accounts.principals import Actor
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.feedback.addresses import reply_address_hash
from helpline.feedback.models import OPEN_STATES, Feedback, FeedbackEvent, State
from helpline.referrals.erasure import concerns_erase_words


def feedback_finished() -> QuerySet[Feedback]:
    """Items no longer handled and not yet erased."""
    return Feedback.objects.filter(erased_at__isnull=True).exclude(state__in=OPEN_STATES)


def feedback_expired(*, finished_before: dt.datetime) -> QuerySet[Feedback]:
    """Finished items whose closing (or, for a response never closed, the response) is older than
    `finished_before`."""
    closed = feedback_finished().filter(state=State.CLOSED, closed_at__lt=finished_before)
    responded = feedback_finished().filter(state=State.RESPONDED, responded_at__lt=finished_before)
    return closed | responded


def feedback_of_contacts(contact_ids: Iterable[UUID]) -> QuerySet[Feedback]:
    """Feedback given during these contacts (or by SMS from them), erased or not."""
    return Feedback.objects.filter(contact_id__in=list(contact_ids))


def feedback_of_address(email: str) -> QuerySet[Feedback]:
    """Feedback whose reply address is this email address (any letter case), erased or not: an
    erased item has lost its address, so it is no longer found."""
    digest = reply_address_hash(email)
    return Feedback.objects.filter(reply_address_hash=digest) if digest else Feedback.objects.none()


def feedback_erase(actor: Actor, *, feedback_ids: Iterable[UUID], reason: str = "") -> int:
    """Blank what identifies the person on these items; returns how many were erased. Items still
    open are left as they are. One audit row with the count (`reason` is a category such as
    "retention" or "erasure request")."""
    ids = list(feedback_ids)
    if not ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        targets = feedback_finished().filter(pk__in=ids)
        erased = list(targets.values_list("pk", flat=True))
        if not erased:
            return 0
        Feedback.objects.filter(pk__in=erased).update(
            text="",
            name="",
            subject_words="",
            reply_address_encrypted="",
            reply_address_hash="",
            response="",
            reply_error="",
            risk_explanation={},
            erased_at=now,
            updated_at=now,
        )
        FeedbackEvent.objects.filter(feedback_id__in=erased).exclude(note="").update(note="")
        # A complaint about a partner was copied into its concerns log, words and all.
        concerns = Feedback.objects.filter(pk__in=erased, partner_concern__isnull=False)
        concerns_erase_words(concern_ids=concerns.values_list("partner_concern_id", flat=True))
        audit_record(
            actor,
            action=AuditAction.FEEDBACK_ERASE,
            record_type="feedback",
            reason=reason[:200],
            detail={"feedback": len(erased)},
        )
    return len(erased)
