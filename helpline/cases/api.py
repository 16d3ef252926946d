"""Cases API: list, read, open and work on cases, each only as far as cases_visible_to() lets the
caller see (the same gate as the pages: a case not visible is a 404, as a missing one is). Every
write goes through the cases services, which put it on the timeline and the audit trail."""
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
from helpline.cases import breaks, followups, selectors, services, supervision
from helpline.cases.api_types import (
    BreakIn,
    BreakOut,
    CaseDetailOut,
    CaseIn,
    CaseListFilters,
    CaseOut,
    CasePage,
    CasePatch,
    CloseIn,
    EventOut,
    FollowUpIn,
    FollowUpOut,
    GoalOut,
    LinkIn,
    NoteIn,
    NoteOut,
    TimelineOut,
    TimelineQuery,
)
from helpline.cases.models import Case, CaseNote, ConfidentialityBreak, FollowUp
from helpline.cases.services import CaseConflict, CaseError
from helpline.common.api_schemas import refuse_odd_parameters, with_errors
from helpline.contacts.models import Term
from helpline.contacts.selectors import contacts_visible_to

router = Router(tags=["cases"])

# Writes answer with what they wrote, found among the cases the caller sees: cases:read too.
WRITE_NOTE = "Needs cases:write and cases:read (it answers with what it wrote)."


def _refused(exc: CaseError) -> HttpError:
    """A conflict with the case's state is a 409; any other refusal names its field (422)."""
    return HttpError(409 if isinstance(exc, CaseConflict) else 422, f"{exc.field}: {exc.message}")


def _caller(request: HttpRequest) -> ApiCaller:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _staff(principal: ApiCaller) -> Staff:
    """The staff member acting: a case is worked on by a person, whose name goes on its timeline."""
    if principal.staff is None:
        raise HttpError(403, "cases are opened and worked on by staff, not by tokens")
    return principal.staff


def _case(principal: ApiCaller, case_id: UUID) -> Case:
    try:
        return selectors.access_case(principal.actor, case_id)
    except Http404 as exc:
        raise HttpError(404, "Not Found") from exc


def _colleague(username: str, field: str) -> Staff:
    found = Staff.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise HttpError(422, f"{field}: no active staff member with this username")
    return found


def _term(vocabulary: str, code: str | None, field: str) -> Term | None:
    if code is None:
        return None
    found = Term.objects.filter(vocabulary=vocabulary, code=code, is_active=True).first()
    if found is None:
        raise HttpError(422, f"{field}: not a code from the {vocabulary} code list")
    return found


def _viewed(request: HttpRequest, principal: ApiCaller, case: Case, **detail: str) -> None:
    audit_record(
        principal.actor,
        action=AuditAction.CASE_VIEW,
        record_type="case",
        record_id=case.pk,
        request=request,
        detail={"number": case.number, **detail},
    )


# --- Answers ---------------------------------------------------------------------------------


def case_out(case: Case) -> CaseOut:
    return CaseOut(**_case_fields(case))


def _case_fields(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "risk": case.risk,
        "nickname": case.nickname,
        "age": case.age,
        "gender": case.gender.code if case.gender else None,
        "province": case.province.code if case.province else None,
        "assignee": case.assignee.username if case.assignee else None,
        "opened_at": case.opened_at,
        "last_touch_at": case.last_touch_at,
        "closed_at": case.closed_at,
    }


def note_out(note: CaseNote) -> NoteOut:
    return NoteOut(
        id=note.pk,
        author=note.author.username,
        written_at=note.written_at,
        revision=note.revision,
        text=note.text,
    )


def follow_up_out(follow_up: FollowUp) -> FollowUpOut:
    return FollowUpOut(
        id=follow_up.pk,
        kind=follow_up.kind,
        due_at=follow_up.due_at,
        owner=follow_up.owner.username,
        instructions=follow_up.instructions,
        status=follow_up.status,
    )


def break_out(brk: ConfidentialityBreak) -> BreakOut:
    return BreakOut(
        id=brk.pk,
        reason=brk.reason,
        recipient_kind=brk.recipient_kind,
        recipient=brk.recipient,
        disclosed_at=brk.disclosed_at,
        client_told_first=brk.client_told_first,
        sign_off=brk.sign_off,
    )


def case_detail_out(principal: ApiCaller, case: Case) -> CaseDetailOut:
    case = selectors.access_case(principal.actor, case.pk)  # afresh, after a write
    return CaseDetailOut(
        **_case_fields(case),
        closure_reason=case.closure_reason,
        contacts=[c.pk for c, may_open in selectors.case_contacts(principal.actor, case) if may_open],
        goals=[GoalOut(id=g.pk, text=g.text, status=g.status, due_on=g.due_on) for g in case.goals.all()],
        follow_ups=[follow_up_out(f) for f in selectors.open_follow_ups(case)],
        notes=[note_out(n) for n in case.notes.select_related("author")],
        breaks=[break_out(b) for b in case.breaks.all()],
    )


# --- Reads -----------------------------------------------------------------------------------


@router.get("/cases", response=with_errors(CasePage), summary="Cases visible to the caller, newest first")
@api_access(permission=Permission.CASES, scope=Scope.CASES_READ)
def list_cases(request: HttpRequest, filters: Query[CaseListFilters]) -> CasePage:
    refuse_odd_parameters(request, CaseListFilters)  # a misspelt filter must not list them all
    principal = _caller(request)
    values: dict[str, Any] = {
        k: getattr(v, "value", v) for k, v in filters.dict().items() if v not in (None, "", False)
    }
    cursor, limit = values.pop("cursor", None), int(values.pop("limit", 50))
    try:
        page = selectors.case_page(
            principal.actor, selectors.CaseFilters(**values), cursor=cursor, limit=limit
        )
    except selectors.FilterError as exc:
        raise HttpError(422, f"{exc.field}: {exc}") from exc
    audit_record(
        principal.actor,
        action=AuditAction.CASE_LIST,
        record_type="case",
        request=request,
        detail=selectors.filters_for_audit(values),
    )
    return CasePage(items=[case_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.get("/cases/{case_id}", response=with_errors(CaseDetailOut, 404), summary="One case")
@api_access(permission=Permission.CASES, scope=Scope.CASES_READ)
def get_case(request: HttpRequest, case_id: UUID) -> CaseDetailOut:
    principal = _caller(request)
    case = _case(principal, case_id)
    _viewed(request, principal, case)
    return case_detail_out(principal, case)


@router.get(
    "/cases/{case_id}/timeline",
    response=with_errors(TimelineOut, 404),
    summary="A case's timeline, newest first",
)
@api_access(permission=Permission.CASES, scope=Scope.CASES_READ)
def get_timeline(request: HttpRequest, case_id: UUID, query: Query[TimelineQuery]) -> TimelineOut:
    principal = _caller(request)
    case = _case(principal, case_id)
    try:
        page = selectors.case_timeline_page(case, cursor=query.cursor, limit=query.limit)
    except selectors.FilterError as exc:
        raise HttpError(422, f"{exc.field}: {exc}") from exc
    _viewed(request, principal, case, part="timeline")
    items = [
        EventOut(id=e.pk, kind=e.kind, at=e.at, actor=e.actor_label, summary=e.line, detail=e.detail)
        for e in page.items
    ]
    return TimelineOut(items=items, next_cursor=page.next_cursor)


# --- Writes ----------------------------------------------------------------------------------


@router.post(
    "/cases",
    response=with_errors({201: CaseDetailOut}, 400),
    summary="Open a case from one contact or several",
    description=WRITE_NOTE,
)
@api_access(permission=Permission.CASES, scope=Scope.CASES_WRITE, also=(Scope.CASES_READ,))
def create_case(request: HttpRequest, payload: CaseIn) -> Status[CaseDetailOut]:
    principal = _caller(request)
    staff = _staff(principal)
    ids = set(payload.contacts)
    contacts = list(contacts_visible_to(staff).filter(pk__in=ids))
    if len(contacts) != len(ids):
        raise HttpError(422, "contacts: not every contact is one you may see")
    try:
        case = services.case_open(
            staff, contacts=contacts, nickname=payload.nickname, risk=payload.risk, request=request
        )
    except CaseError as exc:
        raise _refused(exc) from exc
    return Status(201, case_detail_out(principal, case))


@router.patch(
    "/cases/{case_id}",
    response=with_errors(CaseDetailOut, 400, 404, 409),
    summary="Change a case's profile, risk or assignee",
    description=WRITE_NOTE,
)
@api_access(permission=Permission.CASES, scope=Scope.CASES_WRITE, also=(Scope.CASES_READ,))
def patch_case(request: HttpRequest, case_id: UUID, payload: CasePatch) -> CaseDetailOut:
    principal = _caller(request)
    case = _case(principal, case_id)
    staff = _staff(principal)
    given = payload.dict(exclude_unset=True)
    reason = given.pop("reason", "")
    assignee = _colleague(given.pop("assignee"), "assignee") if "assignee" in given else None
    gender = _term("gender", given["gender"], "gender") if "gender" in given else case.gender
    province = _term("province", given["province"], "province") if "province" in given else case.province
    try:
        with transaction.atomic():  # the profile and the assignment change together or not at all
            if given:
                services.case_update_profile(
                    staff,
                    case=case,
                    nickname=given.get("nickname", case.nickname),
                    age=given.get("age", case.age),
                    gender=gender,
                    province=province,
                    risk=str(getattr(given.get("risk"), "value", given.get("risk") or case.risk)),
                    request=request,
                )
            if assignee is not None:
                services.case_assign(staff, case=case, assignee=assignee, reason=reason, request=request)
    except CaseError as exc:
        raise _refused(exc) from exc
    return case_detail_out(principal, case)


@router.post(
    "/cases/{case_id}/contacts",
    response=with_errors({201: CaseDetailOut, 200: CaseDetailOut}, 400, 404, 409),
    summary="Link a contact to a case (200 when it was linked already)",
    description=WRITE_NOTE,
)
@api_access(permission=Permission.CASES, scope=Scope.CASES_WRITE, also=(Scope.CASES_READ,))
def link_contact(request: HttpRequest, case_id: UUID, payload: LinkIn) -> Status[CaseDetailOut]:
    principal = _caller(request)
    contact = contacts_visible_to(principal.actor).filter(pk=payload.contact).first()
    if contact is None:
        _case(principal, case_id)  # a case not visible is a 404 before anything is said of the contact
        raise HttpError(422, "contact: This contact is not one you may see.")
    try:
        case = selectors.access_case_for_link(principal.actor, case_id, contact)
    except Http404 as exc:
        raise HttpError(404, "Not Found") from exc
    staff = _staff(principal)
    try:
        linked = services.case_link_contact(staff, case=case, contact=contact, request=request)
    except CaseError as exc:
        raise _refused(exc) from exc
    return Status(201 if linked else 200, case_detail_out(principal, case))


@router.post(
    "/cases/{case_id}/notes",
    response=with_errors({201: NoteOut}, 400, 404),
    summary="Add a note to a case",
    description=WRITE_NOTE,
)
@api_access(permission=Permission.CASES, scope=Scope.CASES_WRITE, also=(Scope.CASES_READ,))
def add_note(request: HttpRequest, case_id: UUID, payload: NoteIn) -> Status[NoteOut]:
    principal = _caller(request)
    case = _case(principal, case_id)
    try:
        note = services.note_add(_staff(principal), case=case, text=payload.text, request=request)
    except CaseError as exc:
        raise _refused(exc) from exc
    return Status(201, note_out(note))


@router.post(
    "/cases/{case_id}/followups",
    response=with_errors({201: FollowUpOut}, 400, 404, 409),
    summary="Schedule a follow-up, with safe-contact instructions",
    description=WRITE_NOTE,
)
@api_access(permission=Permission.CASES, scope=Scope.CASES_WRITE, also=(Scope.CASES_READ,))
def schedule_follow_up(request: HttpRequest, case_id: UUID, payload: FollowUpIn) -> Status[FollowUpOut]:
    principal = _caller(request)
    case = _case(principal, case_id)
    staff = _staff(principal)
    owner = _colleague(payload.owner, "owner") if payload.owner else staff
    try:
        follow_up = followups.follow_up_schedule(
            staff,
            case=case,
            kind=payload.kind,
            due_at=payload.due_at,
            owner=owner,
            instructions=payload.instructions,
            request=request,
        )
    except CaseError as exc:
        raise _refused(exc) from exc
    return Status(201, follow_up_out(follow_up))


@router.post(
    "/cases/{case_id}/confidentiality-breaks",
    response=with_errors({201: BreakOut}, 400, 404, 409),
    summary="Record a confidentiality break (it awaits a supervisor's sign-off)",
    description=WRITE_NOTE,
)
@api_access(permission=Permission.CASES, scope=Scope.CASES_WRITE, also=(Scope.CASES_READ,))
def record_break(request: HttpRequest, case_id: UUID, payload: BreakIn) -> Status[BreakOut]:
    principal = _caller(request)
    case = _case(principal, case_id)
    staff = _staff(principal)
    facts = breaks.BreakFacts(
        reason=payload.reason,
        disclosed=payload.disclosed,
        recipient_kind=payload.recipient_kind,
        recipient=payload.recipient,
        disclosed_at=payload.disclosed_at,
        client_told_first=payload.client_told_first,
        not_told_why=payload.not_told_why,
        decided_by=_colleague(payload.decided_by, "decided_by") if payload.decided_by else staff,
    )
    try:
        brk = breaks.break_record(staff, case=case, facts=facts, request=request)
    except CaseError as exc:
        raise _refused(exc) from exc
    return Status(201, break_out(brk))


@router.post(
    "/cases/{case_id}/close",
    response=with_errors(CaseOut, 400, 404, 409),
    summary="Ask a supervisor to close the case",
    description=WRITE_NOTE + " The case waits for approval (status pending_closure).",
)
@api_access(permission=Permission.CASES, scope=Scope.CASES_WRITE, also=(Scope.CASES_READ,))
def request_closure(request: HttpRequest, case_id: UUID, payload: CloseIn) -> CaseOut:
    principal = _caller(request)
    case = _case(principal, case_id)
    try:
        supervision.closure_request(_staff(principal), case=case, reason=payload.reason, request=request)
    except CaseError as exc:
        raise _refused(exc) from exc
    return case_out(selectors.access_case(principal.actor, case.pk))
