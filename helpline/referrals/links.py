"""The partner's key to one referral: a link carrying a signed token id.

The signature stops guessing and tampering; the ReferralToken row decides the rest — it names the
one referral the link opens, when it stops working, and whether it was revoked. A partner never
has an account, so this id is also how the audit trail names whoever used the link."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from django.core import signing
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.referrals.lifecycle import ReferralConflict, links_revoke_all, settings_row
from helpline.referrals.models import (
    LINKS_END_AT,
    OPEN_STATUSES,
    LinkChannel,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralToken,
)

_SALT = "helpline.referrals.partner-link"


class Refusal(StrEnum):
    """Why a link opens nothing. The partner's page shows one plain sentence for each."""

    TAMPERED = "tampered"  # not a link this helpline made (or one altered)
    UNKNOWN = "unknown"  # signed, but no such token (e.g. a restored older database)
    EXPIRED = "expired"
    REVOKED = "revoked"


def sign(token: ReferralToken) -> str:
    return signing.Signer(salt=_SALT).sign(token.pk.hex)


def link_issue(
    referral: Referral, *, channel: str, sent_to: str, actor: Staff | None, request: HttpRequest | None = None
) -> tuple[ReferralToken, str]:
    """A new token for `referral` (the caller sends the link): its row, and the signed value the
    link carries. Only a referral waiting for the partner gets one."""
    if referral.status not in OPEN_STATUSES:
        raise ReferralConflict("status", "only a sent referral gets a partner link")
    if channel not in LinkChannel.values:
        raise ValueError(f"unknown link channel {channel!r}")
    now = timezone.now()
    with transaction.atomic():
        token = ReferralToken.objects.create(
            referral=referral,
            created_at=now,
            created_by=actor,
            expires_at=now + dt.timedelta(days=settings_row().link_valid_days),
            channel=channel,
            sent_to=sent_to[:254],
        )
        ReferralEvent.objects.create(
            referral=referral,
            kind=ReferralEventKind.LINK_SENT,
            at=now,
            actor=actor,
            token=token,
            note=channel,
        )
        audit_record(
            actor or "scheduler",
            action=AuditAction.REFERRAL_LINK_SEND,
            record_type="referral",
            record_id=referral.pk,
            request=request,
            detail={"number": referral.number, "token": str(token.pk), "channel": channel},
        )
    return token, sign(token)


def link_resolve(value: str, *, now: dt.datetime | None = None) -> ReferralToken | Refusal:
    """The token a link's value names, or why it opens nothing. Reads only."""
    try:
        raw = signing.Signer(salt=_SALT).unsign(value)
        token_id = uuid.UUID(hex=raw)
    except (signing.BadSignature, ValueError):
        return Refusal.TAMPERED
    token = ReferralToken.objects.select_related("referral").filter(pk=token_id).first()
    if token is None:
        return Refusal.UNKNOWN
    if token.revoked_at is not None or token.referral.status in LINKS_END_AT:
        return Refusal.REVOKED  # (a link of a referral closed before links were revoked at closing)
    if token.expires_at <= (now or timezone.now()):
        return Refusal.EXPIRED
    return token


def link_revoke(token: ReferralToken, actor: Staff, *, request: HttpRequest | None = None) -> bool:
    """Stop a link working at once. False if it was already revoked (or ran out)."""
    return bool(links_revoke_all(token.referral, actor, request=request, token=token))
