"""Erasing referrals with their case (retention, an erasure request): the referrals app's writer.
The words go (what was asked, how consent was given, the partner's reasons, notes on the
referral's history) and the values frozen for the partner; status, dates and the partner stay,
so the referral figures still count it. A partner concern copied from a person's complaint loses
the person's words with the complaint (concerns_erase_words)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from helpline.accounts.principals import Actor
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.referrals.models import PartnerConcern, Referral, ReferralEvent


def referrals_erase_for_cases(actor: Actor, *, case_ids: Iterable[UUID], reason: str = "") -> int:
    ids = list(case_ids)
    with transaction.atomic():
        referrals = Referral.objects.filter(case_id__in=ids)
        erased = referrals.update(
            request="",
            consent_note="",
            decline_reason="",
            close_reason="",
            shared={},
            updated_at=timezone.now(),
        )
        ReferralEvent.objects.filter(referral__case_id__in=ids).exclude(note="").update(note="")
        if erased:
            audit_record(
                actor,
                action=AuditAction.CASE_ERASE,
                record_type="referral",
                reason=reason[:200],
                detail={"referrals": erased},
            )
    return erased


def concerns_erase_words(*, concern_ids: Iterable[UUID]) -> int:
    """Blank what these concerns say (each copied a complaint's words, which are being erased);
    the partner, source, severity and dates stay in its log. The caller audits the erasure."""
    return (
        PartnerConcern.objects.filter(pk__in=list(concern_ids)).exclude(description="").update(description="")
    )
