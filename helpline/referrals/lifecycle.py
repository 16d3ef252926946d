"""A referral's status machine: the one function that moves a referral from one status to the next,
whoever moves it — the counsellor on the case page, the partner through its link, the scheduler.

Each move writes the referral, a ReferralEvent, the step on the case timeline and an audit row in
one transaction, and refuses a jump the lifecycle does not allow (sent → delivered). When the
service is delivered, a follow-up with the child is put on the case, carrying the safe-contact
instructions the case already holds."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import ApiToken, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases.followups import follow_up_schedule
from helpline.cases.models import FollowUp, FollowUpKind
from helpline.cases.selectors import cases_visible_to
from helpline.cases.services import CaseError, case_record_referral, works_on_cases
from helpline.common.text import clean_text
from helpline.referrals import timeline
from helpline.referrals.models import (
    LINKS_END_AT,
    PARTNER_MOVES,
    TRANSITIONS,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralSettings,
    ReferralStatus,
    ReferralToken,
)

MAX_NOTE = 4000

# The timestamp each status sets on the referral.
_STAMPS: dict[str, str] = {
    ReferralStatus.SENT: "sent_at",
    ReferralStatus.ACKNOWLEDGED: "acknowledged_at",
    ReferralStatus.ACCEPTED: "accepted_at",
    ReferralStatus.DECLINED: "declined_at",
    ReferralStatus.DELIVERED: "delivered_at",
    ReferralStatus.CLOSED: "closed_at",
    ReferralStatus.EXPIRED: "expired_at",
}


class ReferralError(ValueError):
    """A request that cannot be carried out (a 400); names the field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ReferralConflict(ReferralError):
    """The referral is not in the state the request assumed (a 409)."""


def clean_note(value: str, field: str = "note", *, required: bool = False, limit: int = MAX_NOTE) -> str:
    return clean_text(value, field, error=ReferralError, required=required, limit=limit)


def token_actor(token: ReferralToken) -> str:
    """How a partner acting through its link is named in the audit trail: by the link's id."""
    return f"partner-link:{token.pk}"


def link_partners(token_ids: list[str]) -> dict[str, str]:
    """The partner of each link named in the audit trail (token_actor), by the link's id; an id
    that is no link's is left out."""
    ids = []
    for value in token_ids:
        try:
            ids.append(UUID(value))
        except ValueError:
            continue
    found = ReferralToken.objects.filter(pk__in=ids).select_related("referral__partner")
    return {str(token.pk): token.referral.partner.label for token in found}


def lock(referral: Referral) -> Referral:
    """The referral row afresh, locked until the transaction ends."""
    return Referral.objects.select_for_update().select_related("case", "partner").get(pk=referral.pk)


def settings_row() -> ReferralSettings:
    row = ReferralSettings.objects.filter(pk=1).first()
    return row if row is not None else ReferralSettings(pk=1)


def referral_move(
    referral: Referral,
    to: str,
    *,
    actor: Staff | None = None,
    token: ReferralToken | None = None,
    note: str = "",
    request: HttpRequest | None = None,
    at: dt.datetime | None = None,
) -> Referral:
    """Move `referral` to `to`. Exactly one of `actor` (staff) and `token` (the partner) acts, or
    neither (the scheduler). A partner may only acknowledge, accept, decline and mark delivered; a
    decline needs its reason (`note`), and so does a close. Returns the referral as it now stands."""
    if to not in ReferralStatus.values:
        raise ReferralError("status", _("Not a referral status."))
    if actor is not None and token is not None:
        raise ValueError("a referral is moved by staff or by the partner, not both")
    if token is not None and to not in PARTNER_MOVES:
        raise ReferralConflict("status", _("A partner cannot make this change."))
    text = clean_note(note, required=to in {ReferralStatus.DECLINED, ReferralStatus.CLOSED})
    with transaction.atomic():
        referral = lock(referral)
        if to not in TRANSITIONS.get(referral.status, frozenset()):
            raise ReferralConflict(
                "status",
                _("A referral that is %(now)s cannot become %(to)s.")
                % {"now": ReferralStatus(referral.status).label, "to": ReferralStatus(to).label},
            )
        now = at or timezone.now()
        old = referral.status
        referral.status = to
        setattr(referral, _STAMPS[to], now)
        fields = ["status", _STAMPS[to], "updated_at"]
        if to == ReferralStatus.DECLINED:
            referral.decline_reason = text
            fields.append("decline_reason")
        elif to == ReferralStatus.CLOSED:
            referral.close_reason = text
            fields.append("close_reason")
        referral.save(update_fields=fields)
        ReferralEvent.objects.create(
            referral=referral,
            kind=ReferralEventKind.STATUS,
            at=now,
            actor=actor,
            token=token,
            old_status=old,
            new_status=to,
            note=text,
        )
        by = "partner" if token is not None else ""
        case_record_referral(
            referral.case,
            actor,
            line=timeline.STATUS,
            referral=referral.number,
            partner=referral.partner.name,
            partner_km=referral.partner.name_km,
            status=to,
            by=by,
            at=now,
        )
        audit_record(
            actor if actor is not None else (token_actor(token) if token is not None else "scheduler"),
            action=AuditAction.REFERRAL_PORTAL_ACT if token is not None else AuditAction.REFERRAL_STATUS,
            record_type="referral",
            record_id=referral.pk,
            request=request,
            detail={"number": referral.number, "from": old, "to": to},
        )
        if to in LINKS_END_AT:  # nothing more is asked of the partner: its links open nothing
            links_revoke_all(referral, actor, request=request, at=now)
        if to == ReferralStatus.DELIVERED:
            _follow_up_with_child(referral, now, by="partner" if token is not None else "")
    return referral


def links_revoke_all(
    referral: Referral,
    actor: Staff | ApiToken | None,
    *,
    request: HttpRequest | None = None,
    token: ReferralToken | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Revoke `token` (a link of `referral`), or every link of `referral` still working: each gets
    its history step and audit row. `actor` None: the scheduler (a referral that expired); an API
    token is named in the audit row, its rows name no staff member. How many were revoked: 0 when
    there was nothing to revoke."""
    staff = actor if isinstance(actor, Staff) else None
    now = at or timezone.now()
    revoked = 0
    with transaction.atomic():
        usable = ReferralToken.objects.select_for_update().filter(
            referral_id=referral.pk, revoked_at__isnull=True, expires_at__gt=now
        )
        if token is not None:
            usable = usable.filter(pk=token.pk)
        for held in usable:
            held.revoked_at, held.revoked_by = now, staff
            held.save(update_fields=["revoked_at", "revoked_by"])
            ReferralEvent.objects.create(
                referral_id=referral.pk, kind=ReferralEventKind.LINK_REVOKED, at=now, actor=staff, token=held
            )
            audit_record(
                actor if actor is not None else "scheduler",
                action=AuditAction.REFERRAL_LINK_REVOKE,
                record_type="referral",
                record_id=referral.pk,
                request=request,
                detail={"token": str(held.pk)},
            )
            revoked += 1
    return revoked


def safe_contact_instructions(referral: Referral) -> str:
    """The case's newest safe-contact instructions (they live on its follow-ups)."""
    latest = (
        FollowUp.objects.filter(case_id=referral.case_id)
        .exclude(instructions="")
        .order_by("-created_at")
        .values_list("instructions", flat=True)
        .first()
    )
    return latest or ""


def referral_owners(referral: Referral) -> list[Staff]:
    """Who answers for a referral, in order: the case's counsellor, whoever sent it, whoever
    drafted it (each once)."""
    found = [referral.case.assignee, referral.sent_by, referral.created_by]
    return list({s.pk: s for s in found if s is not None}.values())


def referral_takers(referral: Referral) -> list[Staff]:
    """The owners (referral_owners, in order) who can take work on the case now: active, in a
    role that works on cases, and able to open this case."""
    return [
        s
        for s in referral_owners(referral)
        if works_on_cases(s) and cases_visible_to(s).filter(pk=referral.case_id).exists()
    ]


def first_taker(referral: Referral) -> Staff | None:
    """The first owner who can take work on the case: who a follow-up about the referral goes to."""
    takers = referral_takers(referral)
    return takers[0] if takers else None


def _follow_up_with_child(referral: Referral, now: dt.datetime, *, by: str = "") -> FollowUp | None:
    """After delivery the helpline checks with the child that the help arrived. The owner is the
    first of the referral's owners who can take the case (first_taker). A case on its way to
    closing takes no follow-up, and one none of them can open is left to the case's supervisors:
    the partner's answer is kept either way."""
    case = referral.case
    owner = first_taker(referral)
    if owner is None or not case.takes_new_work:
        return None
    days = settings_row().follow_up_after_delivery_days
    try:
        return follow_up_schedule(
            None,
            case=case,
            kind=FollowUpKind.CALL_BACK,
            due_at=max(now, timezone.now()) + dt.timedelta(days=days),
            owner=owner,
            instructions=safe_contact_instructions(referral),
            by=by,
        )
    except CaseError:
        return None
