"""Reads of the partner directory for its pages, the picker and the API (the search itself is
selectors.partner_search). Partners are no client data: whoever may use the directory sees it
whole; the documents about a partner only those who keep the directory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.accounts.principals import Principal
from helpline.referrals.directory import may_keep_directory
from helpline.referrals.eligibility import partner_refusal
from helpline.referrals.models import (
    REFERRABLE_ASSESSMENTS,
    Assessment,
    MonitoringVisit,
    Partner,
    PartnerDocument,
    PartnerImport,
)
from helpline.referrals.selectors import partner_search

PICK_LIMIT = 30


def _may(principal: Principal, permission: Permission) -> bool:
    """Staff by their role; a token's scopes were checked where it came in."""
    return not isinstance(principal, Staff) or role_has(principal.role, permission)


def access_partner(principal: Principal, partner_id: UUID | str) -> Partner:
    """The partner, or the same 404 whether it is missing or the principal may not use the
    directory. A database error goes through as an error."""
    if not _may(principal, Permission.PARTNERS):
        raise Http404
    found = Partner.objects.filter(pk=partner_id).select_related("suspension").first()
    if found is None:
        raise Http404
    return found


def access_partner_document(principal: Principal, partner_id: UUID, document_id: UUID) -> PartnerDocument:
    """One of a partner's documents, only for those who keep the directory (an MOU, an assessment
    form); the same 404 for a document that is missing, of another partner or not theirs."""
    if not _may(principal, Permission.PARTNERS_MANAGE):
        raise Http404
    found = PartnerDocument.objects.filter(pk=document_id, partner_id=partner_id).first()
    if found is None:
        raise Http404
    return found


def access_partner_import(staff: Staff, import_id: UUID) -> PartnerImport:
    """An upload waiting for confirmation, only for the person who uploaded it."""
    found = PartnerImport.objects.filter(pk=import_id, uploaded_by=staff).first()
    if found is None or not may_keep_directory(staff):
        raise Http404
    return found


@dataclass(frozen=True)
class Badge:
    kind: str  # the badge's class: retired, suspended, unassessed, not_approved, emergency, overdue
    label: str


def partner_badges(partner: Partner, *, visit_overdue: bool = False) -> list[Badge]:
    """What a list shows beside a partner's name, most serious first."""
    badges = []
    if not partner.is_active:
        badges.append(Badge("retired", _("Retired: no longer in the directory")))
    if partner.suspension_id is not None:
        badges.append(Badge("suspended", _("Suspended")))
    if partner.assessment == Assessment.NOT_ASSESSED:
        badges.append(Badge("unassessed", _("Not yet assessed")))
    elif partner.assessment not in REFERRABLE_ASSESSMENTS:
        badges.append(Badge("not_approved", _("Not approved")))
    if partner.emergency:
        badges.append(Badge("emergency", _("Takes emergencies")))
    if visit_overdue:
        badges.append(Badge("overdue", _("Monitoring visit overdue")))
    return badges


@dataclass(frozen=True)
class PartnerChoice:
    """A partner as the referral picker offers it: chosen only when `selectable`, else `reason`."""

    partner: Partner
    selectable: bool
    reason: str
    badges: list[Badge]


def partner_choices(
    *, service: str = "", province: str = "", age: int | None = None, text: str = "", limit: int = PICK_LIMIT
) -> list[PartnerChoice]:
    """The partners a counsellor may pick from for a referral (the refer page's picker): those who
    may receive one first, then the others (suspended, not assessed, no email address) with why
    they cannot be chosen (eligibility.partner_refusal), so nobody wonders where a partner went."""
    found = list(
        partner_search(service=service, province=province, age=age, text=text).prefetch_related(
            "services", "provinces"
        )[:limit]
    )
    choices = []
    for partner in found:
        reason = partner_refusal(partner)
        choices.append(PartnerChoice(partner, not reason, reason, partner_badges(partner)))
    return sorted(choices, key=lambda c: not c.selectable)  # stable: the search's order within


VISITS_AHEAD_DAYS = 14


def visits_due(principal: Principal, *, ahead_days: int = VISITS_AHEAD_DAYS) -> list[MonitoringVisit]:
    """Monitoring visits not yet done that are overdue or fall due within `ahead_days`, soonest
    first, for those who keep the directory (others: none). The lasting list beside the
    scheduler's one-time live reminder, which reaches only an owner who is signed in."""
    if not _may(principal, Permission.PARTNERS_MANAGE):
        return []
    until = timezone.localdate() + dt.timedelta(days=ahead_days)
    return list(
        MonitoringVisit.objects.filter(done_on__isnull=True, due_on__lte=until, partner__is_active=True)
        .select_related("partner", "owner")
        .order_by("due_on")[:100]
    )


def overdue_visit_partners(partner_ids: list[UUID]) -> set[UUID]:
    """Which of these partners have a monitoring visit due before today and not done."""
    today = timezone.localdate()
    return set(
        MonitoringVisit.objects.filter(
            partner_id__in=partner_ids, done_on__isnull=True, due_on__lt=today
        ).values_list("partner_id", flat=True)
    )


def directory_page(
    *,
    service: str = "",
    province: str = "",
    age: int | None = None,
    text: str = "",
    with_retired: bool = True,
) -> QuerySet[Partner]:
    """The directory list: the search, retired partners after the others (marked so), with what
    its rows show loaded in a few queries."""
    return partner_search(
        service=service, province=province, age=age, text=text, with_retired=with_retired
    ).prefetch_related("services", "provinces")
