"""What happens through a partner's link, and the staff's hold on those links.

The partner has no account: whatever it does is done by its token (ReferralToken), which names one
referral, so nothing here takes a referral id from the partner. Each act re-reads the token under
a lock, so a link revoked a moment earlier acts no more. A refused link leaves an audit row that
names why, never the value that was presented, and counts against the address that sent it."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases.services import case_record_referral
from helpline.common.requests import client_address
from helpline.referrals import timeline
from helpline.referrals.delivery import send_partner_link
from helpline.referrals.lifecycle import (
    ReferralConflict,
    ReferralError,
    clean_note,
    links_revoke_all,
    lock,
    referral_move,
    token_actor,
)
from helpline.referrals.links import Refusal
from helpline.referrals.models import (
    LINKS_END_AT,
    OPEN_STATUSES,
    PARTNER_MOVES,
    TRANSITIONS,
    Partner,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    ReferralToken,
)

NOTE = "note"  # the partner's one act besides its moves (PARTNER_MOVES)
REFUSAL_WINDOW_SECONDS = 15 * 60


class LinkGone(Exception):
    """The token was revoked or ran out between opening the page and acting on it."""


class PartnerSuspended(Exception):
    """The partner is suspended after a serious concern: its links show and do nothing until a
    supervisor lifts the suspension (then they work again, as long as the referral waits)."""


def partner_suspended(token: ReferralToken) -> bool:
    return Partner.objects.filter(referrals__pk=token.referral_id, suspension__isnull=False).exists()


def partner_moves(referral: Referral) -> list[str]:
    """The statuses the partner may move `referral` to now, in the lifecycle's order."""
    allowed = TRANSITIONS.get(referral.status, frozenset()) & PARTNER_MOVES
    return [s for s in ReferralStatus.values if s in allowed]


def _hold(token: ReferralToken, now: dt.datetime) -> ReferralToken:
    """The token row locked for this transaction, still usable, its use recorded."""
    held = (
        ReferralToken.objects.select_for_update()
        .filter(pk=token.pk, revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if held is None:
        raise LinkGone
    if partner_suspended(held):
        raise PartnerSuspended
    ReferralToken.objects.filter(pk=held.pk).update(last_used_at=now)
    return held


def portal_view(token: ReferralToken, *, request: HttpRequest | None = None) -> None:
    """The read audit of the partner's page: the one row a look writes (no last use: only acts
    count as use)."""
    audit_record(
        token_actor(token),
        action=AuditAction.REFERRAL_PORTAL_VIEW,
        record_type="referral",
        record_id=token.referral_id,
        request=request,
        detail={"token": str(token.pk)},
    )


def portal_act(
    token: ReferralToken, to: str, *, note: str = "", request: HttpRequest | None = None
) -> Referral:
    """The partner moves its referral (acknowledge, accept, decline with a reason, delivered).
    The lifecycle refuses a move it does not allow; nothing is written then."""
    with transaction.atomic():
        held = _hold(token, timezone.now())
        return referral_move(held.referral, to, token=held, note=note, request=request)


NOTE_REPEAT = dt.timedelta(minutes=10)


def portal_note(token: ReferralToken, *, note: str, request: HttpRequest | None = None) -> ReferralEvent:
    """A note from the partner to the helpline: on the referral, on the case timeline (where the
    counsellor reads it) and in the audit trail, which names that a note came, not what it says."""
    text = clean_note(note, required=True)
    now = timezone.now()
    with transaction.atomic():
        held = _hold(token, now)
        referral = (
            Referral.objects.select_for_update().select_related("case", "partner").get(pk=held.referral_id)
        )
        if referral.status in LINKS_END_AT:
            raise ReferralConflict(
                "status",
                _("This referral is %(now)s: the child helpline takes no more notes on it.")
                % {"now": ReferralStatus(referral.status).label},
            )
        # The same words from the same link a moment ago: a double click or a resend after the
        # page reloaded, not a second note (checked under the referral's lock, so two at once
        # make one). The partner's page thanks them either way.
        repeated = (
            ReferralEvent.objects.filter(
                referral=referral,
                kind=ReferralEventKind.NOTE,
                token=held,
                note=text,
                at__gte=now - NOTE_REPEAT,
            )
            .order_by("-at")
            .first()
        )
        if repeated is not None:
            return repeated
        event = ReferralEvent.objects.create(
            referral=referral, kind=ReferralEventKind.NOTE, at=now, token=held, note=text
        )
        case_record_referral(
            referral.case,
            None,
            line=timeline.PARTNER_NOTE,
            referral=referral.number,
            partner=referral.partner.name,
            partner_km=referral.partner.name_km,
            note=text,
            status=referral.status,
            by="partner",
        )
        audit_record(
            token_actor(held),
            action=AuditAction.REFERRAL_PORTAL_ACT,
            record_type="referral",
            record_id=referral.pk,
            request=request,
            detail={"number": referral.number, "token": str(held.pk), "did": NOTE},
        )
    return event


# --- Refused links and the guessing limit -----------------------------------------------------


def _refusals_key(address: str) -> str:
    return f"partner-link-refusals:{int(time.time()) // REFUSAL_WINDOW_SECONDS}:{address}"


def link_guessing_blocked(request: HttpRequest) -> bool:
    """Whether this address was refused too many links in the current window. Reads only."""
    address = client_address(request) or "unknown"
    count = cache.get(_refusals_key(address), 0)
    return int(count) >= settings.PARTNER_LINK_REFUSALS_PER_ADDRESS


def link_refused(refusal: Refusal, *, request: HttpRequest | None) -> None:
    """Audit a link that opened nothing and count it against the sender's address. The value
    presented is not kept: a near-miss of a real link must not end up in the trail."""
    audit_record(
        None,
        action=AuditAction.REFERRAL_LINK_REFUSED,
        record_type="referral",
        request=request,
        detail={"reason": str(refusal)},
    )
    key = _refusals_key(client_address(request) or "unknown")
    if cache.add(key, 1, timeout=REFUSAL_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr: this one starts the next window's count
        cache.add(key, 1, timeout=REFUSAL_WINDOW_SECONDS)


def link_limited(*, request: HttpRequest | None) -> None:
    """Audit a link refused because its address was refused too many (the 429); not counted."""
    audit_record(
        None,
        action=AuditAction.REFERRAL_LINK_REFUSED,
        record_type="referral",
        request=request,
        detail={"reason": "limited"},
    )


def link_paused(token: ReferralToken, *, request: HttpRequest | None) -> None:
    """Audit a link refused because its partner is suspended."""
    audit_record(
        token_actor(token),
        action=AuditAction.REFERRAL_LINK_REFUSED,
        record_type="referral",
        record_id=token.referral_id,
        request=request,
        detail={"reason": "partner_suspended", "token": str(token.pk)},
    )


def act_refused(
    token: ReferralToken, did: str, error: ReferralError, *, status: int, request: HttpRequest | None
) -> None:
    """Audit an act the partner tried that was refused (nothing else was written): which act and
    which field, never the note it carried."""
    audit_record(
        token_actor(token),
        action=AuditAction.REFERRAL_LINK_REFUSED,
        record_type="referral",
        record_id=token.referral_id,
        request=request,
        detail={
            "reason": "act_refused",
            "token": str(token.pk),
            "did": did[:32],
            "field": error.field,
            "status": status,
        },
    )


# --- The staff's side: revoke a link, send a new one ------------------------------------------


def links_revoke(
    referral: Referral,
    actor: Staff,
    *,
    request: HttpRequest | None = None,
    token: ReferralToken | None = None,
) -> int:
    """Revoke `token` (a link of `referral`), or every link of `referral` still working. Returns
    how many were revoked: 0 when there was nothing to revoke."""
    return links_revoke_all(referral, actor, request=request, token=token)


def link_send_again(
    referral: Referral, actor: Staff, *, request: HttpRequest | None = None
) -> list[ReferralToken]:
    """A new link for a referral still waiting on the partner, sent as the first was; the older
    links stop working in the same transaction, so one link at a time opens the referral. Checked
    on the referral locked, with its partner afresh: a close a moment earlier gets no new link."""
    with transaction.atomic():
        referral = lock(referral)
        if referral.status not in OPEN_STATUSES:
            raise ReferralConflict(
                "status",
                _("A referral that is %(now)s gets no new link.")
                % {"now": ReferralStatus(referral.status).label},
            )
        if referral.partner.suspension_id is not None:
            raise ReferralConflict(
                "partner",
                _("This partner is suspended after a serious concern: no new link until it is lifted."),
            )
        links_revoke(referral, actor, request=request)
        return send_partner_link(referral, actor=actor, request=request)
