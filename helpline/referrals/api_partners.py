"""Partners API: the directory (search, read), adding and changing partners, and recording a
concern. Partners are no client data: whoever may use the directory sees it whole (a token with
partners:read). Writes go through the directory's services, which audit them; a concern is
recorded by a person (a serious one suspends referrals), so a token is refused there."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.errors import HttpError

from helpline.accounts.api_auth import ApiCaller, api_access
from helpline.accounts.permissions import Permission, Scope
from helpline.common.api_schemas import refuse_odd_parameters, with_errors
from helpline.common.paging import BadCursor, keyset_page
from helpline.contacts.models import Term, Vocabulary
from helpline.referrals import directory, partnership
from helpline.referrals.api_partners_types import (
    ConcernIn,
    ConcernOut,
    PartnerDetailOut,
    PartnerIn,
    PartnerListFilters,
    PartnerOut,
    PartnerPage,
    PartnerPatch,
)
from helpline.referrals.directory import TERM_LISTS, PartnerConflict, PartnerError, PartnerFacts
from helpline.referrals.eligibility import partner_refusal
from helpline.referrals.models import ConcernSeverity, ConcernSource, Partner
from helpline.referrals.selectors import partner_search, referrals_visible_to
from helpline.referrals.selectors_partners import access_partner

router = Router(tags=["partners"])

WRITE_NOTE = "Needs partners:write and partners:read (it answers with what it wrote)."
_LISTS = TERM_LISTS


def _caller(request: HttpRequest) -> ApiCaller:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _refused(exc: PartnerError) -> HttpError:
    """A conflict with the directory's state is a 409; any other refusal names its field (422)."""
    return HttpError(409 if isinstance(exc, PartnerConflict) else 422, f"{exc.field}: {exc.message}")


def _partner(principal: ApiCaller, partner_id: UUID) -> Partner:
    try:
        return access_partner(principal.actor, partner_id)
    except Http404 as exc:
        raise HttpError(404, "Not Found") from exc


def _terms(field: str, codes: list[str]) -> list[Term]:
    vocabulary = _LISTS[field]
    wanted = set(codes)
    found = list(Term.objects.filter(vocabulary=vocabulary, code__in=wanted, is_active=True))
    if len(found) != len(wanted):
        raise HttpError(422, f"{field}: not a code from the {vocabulary} code list")
    return found


# --- Answers ---------------------------------------------------------------------------------


def _fields(partner: Partner) -> dict[str, Any]:
    return {
        "id": partner.pk,
        "name": partner.name,
        "name_km": partner.name_km,
        "services": [t.code for t in partner.services.all()],
        "provinces": [t.code for t in partner.provinces.all()],
        "genders": [t.code for t in partner.genders.all()],
        "min_age": partner.min_age,
        "max_age": partner.max_age,
        "languages": partner.languages,
        "language": partner.language,
        "opening_hours": partner.opening_hours,
        "phone": partner.phone,
        "email": partner.email,
        "contact_person": partner.contact_person,
        "emergency": partner.emergency,
        "assessment": partner.assessment,
        "suspended": partner.suspension_id is not None,
        "may_receive": not partner_refusal(partner),
    }


def partner_detail_out(principal: ApiCaller, partner_id: UUID) -> PartnerDetailOut:
    partner = _partner(principal, partner_id)  # afresh, after a write
    visit = partner.visits.filter(done_on__isnull=True).order_by("due_on").first()
    return PartnerDetailOut(
        **_fields(partner),
        description=partner.description,
        districts=partner.districts,
        monitoring_every_days=partner.monitoring_every_days,
        suspended_since=partner.suspension.started_at if partner.suspension else None,
        next_visit_due=visit.due_on if visit else None,
        created_at=partner.created_at,
        updated_at=partner.updated_at,
    )


# --- Reads -----------------------------------------------------------------------------------


@router.get("/partners", response=with_errors(PartnerPage), summary="The partner directory, newest first")
@api_access(permission=Permission.PARTNERS, scope=Scope.PARTNERS_READ)
def list_partners(request: HttpRequest, filters: Query[PartnerListFilters]) -> PartnerPage:
    """Partners giving `service` in `province` (or in the whole country) to a child of `age`, whose
    names, services or places hold every word of `q`; suspended and unassessed ones included
    (may_receive says whether a referral may go to them)."""
    refuse_odd_parameters(request, PartnerListFilters)
    for field, code in (("service", filters.service), ("province", filters.province)):
        vocabulary = Vocabulary.SERVICE if field == "service" else Vocabulary.PROVINCE
        if code and not Term.objects.filter(vocabulary=vocabulary, code=code).exists():
            raise HttpError(422, f"{field}: not a code from the {vocabulary} code list")
    found = partner_search(
        service=filters.service or "",
        province=filters.province or "",
        age=filters.age,
        text=filters.q or "",
    ).prefetch_related("services", "provinces", "genders")
    try:
        page = keyset_page(found, "created_at", cursor=filters.cursor, limit=filters.limit)
    except BadCursor as exc:
        raise HttpError(422, "cursor: not a cursor this API gave") from exc
    return PartnerPage(items=[PartnerOut(**_fields(p)) for p in page.items], next_cursor=page.next_cursor)


@router.get("/partners/{partner_id}", response=with_errors(PartnerDetailOut, 404), summary="One partner")
@api_access(permission=Permission.PARTNERS, scope=Scope.PARTNERS_READ)
def get_partner(request: HttpRequest, partner_id: UUID) -> PartnerDetailOut:
    return partner_detail_out(_caller(request), partner_id)


# --- Writes ----------------------------------------------------------------------------------


@router.post(
    "/partners",
    response=with_errors({201: PartnerDetailOut}, 400, 409),
    summary="Add a partner (not yet assessed)",
    description=WRITE_NOTE + " A name already in the directory is a 409.",
)
@api_access(permission=Permission.PARTNERS_MANAGE, scope=Scope.PARTNERS_WRITE, also=(Scope.PARTNERS_READ,))
def create_partner(request: HttpRequest, payload: PartnerIn) -> Status[PartnerDetailOut]:
    principal = _caller(request)
    given = payload.dict()
    lists: dict[str, Any] = {name: _terms(name, given.pop(name)) for name in _LISTS}
    given["phone"], given["email"] = given["phone"] or "", given["email"] or ""
    try:
        partner = directory.partner_create(
            principal.actor, facts=PartnerFacts(**given, **lists), request=request
        )
    except PartnerError as exc:
        raise _refused(exc) from exc
    return Status(201, partner_detail_out(principal, partner.pk))


@router.patch(
    "/partners/{partner_id}",
    response=with_errors(PartnerDetailOut, 400, 404, 409),
    summary="Change what the directory says of a partner",
    description=WRITE_NOTE + " A change that leaves everything as it was writes nothing.",
)
@api_access(permission=Permission.PARTNERS_MANAGE, scope=Scope.PARTNERS_WRITE, also=(Scope.PARTNERS_READ,))
def patch_partner(request: HttpRequest, partner_id: UUID, payload: PartnerPatch) -> PartnerDetailOut:
    principal = _caller(request)
    partner = _partner(principal, partner_id)
    given = payload.dict(exclude_unset=True)
    if given:
        changes: dict[str, Any] = {}
        for name, value in given.items():
            if name in _LISTS:
                value = _terms(name, value)
            elif name in {"phone", "email"}:
                value = value or ""
            changes[name] = value
        try:  # applied to the partner as it is when locked: a concurrent PATCH is not undone
            directory.partner_update(principal.actor, partner=partner, changes=changes, request=request)
        except PartnerError as exc:
            raise _refused(exc) from exc
    return partner_detail_out(principal, partner.pk)


@router.post(
    "/partners/{partner_id}/concerns",
    response=with_errors({201: ConcernOut}, 400, 404),
    summary="Record a concern about a partner (a serious one suspends referrals at once)",
    description=WRITE_NOTE + " Recorded by a person: an integration token is refused (403).",
)
@api_access(permission=Permission.PARTNERS, scope=Scope.PARTNERS_WRITE, also=(Scope.PARTNERS_READ,))
def add_concern(request: HttpRequest, partner_id: UUID, payload: ConcernIn) -> Status[ConcernOut]:
    principal = _caller(request)
    partner = _partner(principal, partner_id)
    if principal.staff is None:
        raise HttpError(403, "a concern is recorded by a staff member, not by a token")
    referral = None
    if payload.referral is not None:
        referral = referrals_visible_to(principal.staff).filter(pk=payload.referral, partner=partner).first()
        if referral is None:
            raise HttpError(422, "referral: not a referral sent to this partner")
    try:
        concern = partnership.concern_record(
            principal.staff,
            partner=partner,
            source=payload.source,
            severity=payload.severity,
            description=payload.description,
            referral=referral,
            request=request,
        )
    except PartnerError as exc:
        raise _refused(exc) from exc
    partner.refresh_from_db()
    return Status(
        201,
        ConcernOut(
            id=concern.pk,
            partner=partner.pk,
            source=ConcernSource(concern.source),
            severity=ConcernSeverity(concern.severity),
            reported_at=timezone.localtime(concern.reported_at),
            suspended=partner.suspension_id is not None,
        ),
    )
