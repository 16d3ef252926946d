"""Reads of referrals for staff: one referral, a case's referrals, the paged list the API gives.
Every one starts from selectors.referrals_visible_to, so none shows a referral whose case the
case page would refuse."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from helpline.accounts.principals import Principal
from helpline.cases.models import Case
from helpline.common.paging import BadCursor, Page, keyset_page
from helpline.referrals import sharing
from helpline.referrals.models import Referral, ReferralEvent, ReferralStatus, overdue_q
from helpline.referrals.selectors import referrals_visible_to

MAX_PAGE_SIZE = 200


class FilterError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def access_referral(principal: Principal, referral_id: UUID | str) -> Referral:
    """The referral, or the same 404 whether it is missing or its case is not for this
    principal. A database error is not caught: an outage is a 503, never "not found"."""
    try:
        return (
            referrals_visible_to(principal)
            .select_related(
                "case",
                "partner",
                "service",
                "created_by",
                "sent_by",
                "confidentiality_break",
                "case__assignee",
            )
            .get(pk=referral_id)
        )
    except (Referral.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def case_referrals(principal: Principal, case: Case) -> list[Referral]:
    """The case's referrals, newest first (the case page's section)."""
    return list(
        referrals_visible_to(principal)
        .filter(case=case)
        .select_related("partner", "service")
        .order_by("-created_at", "-id")
    )


def referral_events(referral: Referral) -> list[ReferralEvent]:
    return list(referral.events.select_related("actor").order_by("at", "id"))


def shown_to_partner(referral: Referral) -> list[tuple[str, str]]:
    """What the partner sees of the case: the values frozen when the draft was last saved, which
    are what sending sends (a draft saved before drafts froze them: as they stand now)."""
    if referral.status == ReferralStatus.DRAFT and set(referral.shared) != set(referral.shared_fields):
        return sharing.shown(sharing.snapshot(referral.case, referral.shared_fields))
    return sharing.shown(referral.shared)


def is_overdue(referral: Referral) -> bool:
    return referral.is_overdue


@dataclass(frozen=True)
class ReferralFilters:
    status: str | None = None
    case: UUID | None = None
    partner: UUID | None = None
    overdue: bool = False


def referral_search(principal: Principal, filters: ReferralFilters) -> QuerySet[Referral]:
    qs = referrals_visible_to(principal)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.case:
        qs = qs.filter(case_id=filters.case)
    if filters.partner:
        qs = qs.filter(partner_id=filters.partner)
    if filters.overdue:
        qs = qs.filter(overdue_q(timezone.now()))
    return qs


def referral_page(
    principal: Principal, filters: ReferralFilters, *, cursor: str | None = None, limit: int = 50
) -> Page[Referral]:
    """Newest first, keyset-paginated."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = referral_search(principal, filters).select_related(
        "case", "partner", "service", "created_by", "sent_by"
    )
    try:
        return keyset_page(qs, "created_at", cursor=cursor, limit=limit)
    except BadCursor as exc:
        raise FilterError("cursor", "not a cursor from this list") from exc
