"""Referrals API: list, read, draft, change and move referrals, each only as far as the caller may
see the referral's case (referrals_visible_to starts from cases_visible_to: a referral not visible
is a 404, as a missing one is). Every write goes through the referral services, which put it on
the case timeline and the audit trail."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError

from helpline.accounts.api_auth import ApiCaller, api_access
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, Scope
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.cases.models import ConfidentialityBreak
from helpline.cases.selectors import access_case, cases_visible_to
from helpline.common.api_schemas import refuse_odd_parameters, with_errors
from helpline.referrals import services
from helpline.referrals.api_types_referrals import (
    ReferralDetailOut,
    ReferralEventOut,
    ReferralIn,
    ReferralListFilters,
    ReferralOut,
    ReferralPage,
    ReferralPatch,
)
from helpline.referrals.lifecycle import ReferralConflict, ReferralError
from helpline.referrals.models import Partner, Referral, ReferralEvent
from helpline.referrals.selectors_referrals import (
    FilterError,
    ReferralFilters,
    access_referral,
    referral_events,
    referral_page,
)

router = Router(tags=["referrals"])

WRITE_NOTE = "Needs referrals:write and referrals:read (it answers with what it wrote)."


def _refused(exc: ReferralError) -> HttpError:
    """A conflict with the referral's state is a 409; any other refusal names its field (422)."""
    return HttpError(409 if isinstance(exc, ReferralConflict) else 422, f"{exc.field}: {exc.message}")


def _caller(request: HttpRequest) -> ApiCaller:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _staff(principal: ApiCaller) -> Staff:
    """A referral is made and moved by a person, whose name goes on the case's timeline."""
    if principal.staff is None:
        raise HttpError(403, "referrals are made and moved by staff, not by tokens")
    return principal.staff


def _referral(principal: ApiCaller, referral_id: UUID) -> Referral:
    try:
        return access_referral(principal.actor, referral_id)
    except Http404 as exc:
        raise HttpError(404, "Not Found") from exc


def _partner(partner_id: UUID) -> Partner:
    found = Partner.objects.filter(pk=partner_id).first()
    if found is None:
        raise HttpError(422, "partner: no such partner in the directory")
    return found


def _break(principal: ApiCaller, break_id: UUID | None) -> ConfidentialityBreak | None:
    """A break of a case the caller sees (the service then checks it is the referral's case)."""
    if break_id is None:
        return None
    found = ConfidentialityBreak.objects.filter(
        pk=break_id, case__in=cases_visible_to(principal.actor)
    ).first()
    if found is None:
        raise HttpError(422, "confidentiality_break: not a confidentiality break you may see")
    return found


# --- Answers ---------------------------------------------------------------------------------


def _actor_name(event: ReferralEvent) -> str:
    if event.actor is not None:
        return event.actor.username
    return "partner" if event.token_id is not None else "scheduler"


def referral_out(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.pk,
        "number": referral.number,
        "case": referral.case_id,
        "case_number": referral.case.number,
        "partner": referral.partner_id,
        "partner_name": referral.partner.name,
        "service": referral.service.code,
        "urgency": referral.urgency,
        "status": referral.status,
        "shared_fields": list(referral.shared_fields),
        "shared": {str(k): str(v) for k, v in referral.shared.items()},
        "request": referral.request,
        "consent": referral.consent,
        "consent_note": referral.consent_note,
        "confidentiality_break": referral.confidentiality_break_id,
        "created_by": referral.created_by.username,
        "created_at": referral.created_at,
        "sent_by": referral.sent_by.username if referral.sent_by else None,
        "sent_at": referral.sent_at,
        "acknowledge_by": referral.acknowledge_by,
        "acknowledged_at": referral.acknowledged_at,
        "accepted_at": referral.accepted_at,
        "declined_at": referral.declined_at,
        "decline_reason": referral.decline_reason,
        "delivered_at": referral.delivered_at,
        "closed_at": referral.closed_at,
        "close_reason": referral.close_reason,
        "expired_at": referral.expired_at,
        "overdue_alerted_at": referral.overdue_alerted_at,
    }


def referral_detail_out(principal: ApiCaller, referral_id: UUID) -> ReferralDetailOut:
    referral = _referral(principal, referral_id)  # afresh, after a write
    events = [
        ReferralEventOut(
            kind=e.kind,
            at=e.at,
            actor=_actor_name(e),
            old_status=e.old_status,
            new_status=e.new_status,
            note=e.note if e.kind != "link_sent" else "",
        )
        for e in referral_events(referral)
    ]
    return ReferralDetailOut(**referral_out(referral), events=events)


def _viewed(request: HttpRequest, principal: ApiCaller, referral: Referral) -> None:
    audit_record(
        principal.actor,
        action=AuditAction.REFERRAL_VIEW,
        record_type="referral",
        record_id=referral.pk,
        request=request,
        detail={"number": referral.number},
    )


# --- Reads -----------------------------------------------------------------------------------


@router.get(
    "/referrals", response=with_errors(ReferralPage), summary="Referrals of the cases visible to the caller"
)
@api_access(permission=Permission.CASES, scope=Scope.REFERRALS_READ)
def list_referrals(request: HttpRequest, filters: Query[ReferralListFilters]) -> ReferralPage:
    refuse_odd_parameters(request, ReferralListFilters)  # a misspelt filter must not list them all
    principal = _caller(request)
    given = filters.dict()
    chosen = ReferralFilters(
        status=getattr(given["status"], "value", given["status"]),
        case=given["case"],
        partner=given["partner"],
        overdue=given["overdue"],
    )
    try:
        page = referral_page(principal.actor, chosen, cursor=given["cursor"], limit=given["limit"])
    except FilterError as exc:
        raise HttpError(422, f"{exc.field}: {exc}") from exc
    audit_record(
        principal.actor,
        action=AuditAction.REFERRAL_LIST,
        record_type="referral",
        request=request,
        detail={k: str(v) for k, v in vars(chosen).items() if v not in (None, False)},
    )
    return ReferralPage(
        items=[ReferralOut(**referral_out(r)) for r in page.items], next_cursor=page.next_cursor
    )


@router.get("/referrals/{referral_id}", response=with_errors(ReferralDetailOut, 404), summary="One referral")
@api_access(permission=Permission.CASES, scope=Scope.REFERRALS_READ)
def get_referral(request: HttpRequest, referral_id: UUID) -> ReferralDetailOut:
    principal = _caller(request)
    referral = _referral(principal, referral_id)
    _viewed(request, principal, referral)
    return referral_detail_out(principal, referral.pk)


# --- Writes ----------------------------------------------------------------------------------


@router.post(
    "/referrals",
    response=with_errors({201: ReferralDetailOut}, 400, 409),
    summary="Draft a referral of a case to a partner",
    description=WRITE_NOTE + " Nothing reaches the partner until it is sent (PATCH status sent).",
)
@api_access(permission=Permission.CASES, scope=Scope.REFERRALS_WRITE, also=(Scope.REFERRALS_READ,))
def create_referral(request: HttpRequest, payload: ReferralIn) -> Status[ReferralDetailOut]:
    principal = _caller(request)
    staff = _staff(principal)
    try:
        case = access_case(staff, payload.case)
    except Http404 as exc:
        raise HttpError(422, "case: not a case you may see") from exc
    try:
        referral = services.referral_draft(
            staff,
            case=case,
            partner=_partner(payload.partner),
            service=payload.service,
            urgency=payload.urgency,
            request=payload.request,
            shared_fields=payload.shared_fields,
            consent=payload.consent,
            consent_note=payload.consent_note,
            confidentiality_break=_break(principal, payload.confidentiality_break),
            http_request=request,
        )
    except ReferralError as exc:
        raise _refused(exc) from exc
    return Status(201, referral_detail_out(principal, referral.pk))


DRAFT_KEYS = ("partner", "service", "urgency", "request", "shared_fields", "consent", "consent_note")


@router.patch(
    "/referrals/{referral_id}",
    response=with_errors(ReferralDetailOut, 400, 404, 409),
    summary="Change a draft, or move a referral as staff may (send, close, a partner's answer by phone)",
    description=WRITE_NOTE,
)
@api_access(permission=Permission.CASES, scope=Scope.REFERRALS_WRITE, also=(Scope.REFERRALS_READ,))
def patch_referral(request: HttpRequest, referral_id: UUID, payload: ReferralPatch) -> ReferralDetailOut:
    principal = _caller(request)
    referral = _referral(principal, referral_id)
    staff = _staff(principal)
    given = payload.dict(exclude_unset=True)
    status = given.pop("status", None)
    note = given.pop("note", "")
    edits = {k: v for k, v in given.items() if k in (*DRAFT_KEYS, "confidentiality_break")}
    try:
        with transaction.atomic():  # the draft's fields and the move change together or not at all
            if edits:
                services.referral_edit(
                    staff,
                    referral,
                    partner=_partner(edits["partner"]) if "partner" in edits else referral.partner,
                    service=str(edits.get("service", referral.service.code)),
                    urgency=str(
                        getattr(edits.get("urgency"), "value", edits.get("urgency") or referral.urgency)
                    ),
                    request=edits.get("request", referral.request),
                    shared_fields=edits.get("shared_fields", referral.shared_fields),
                    consent=str(
                        getattr(edits.get("consent"), "value", edits.get("consent") or referral.consent)
                    ),
                    consent_note=edits.get("consent_note", referral.consent_note),
                    confidentiality_break=(
                        _break(principal, edits["confidentiality_break"])
                        if "confidentiality_break" in edits
                        else referral.confidentiality_break
                    ),
                    http_request=request,
                )
            if status is not None:
                to = str(getattr(status, "value", status))
                services.referral_move_by_staff(staff, referral, to, note, request=request)
    except ReferralError as exc:
        raise _refused(exc) from exc
    return referral_detail_out(principal, referral.pk)
