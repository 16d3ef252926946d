"""Feedback API: list, record and move on feedback and complaints, each only as far as
feedback_visible_to() lets the caller see (a complaint about a staff member is never shown to
them; a token sees what its creator sees). Writes go through the services, audited."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from uuid import UUID

from django.http import Http404, HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError

from helpline.accounts.api_auth import ApiCaller, api_access
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, Scope
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.api_schemas import refuse_odd_parameters, with_errors
from helpline.common.paging import BadCursor, keyset_page
from helpline.contacts.selectors import contacts_visible_to
from helpline.feedback import selectors, services
from helpline.feedback.api_types import FeedbackFilters, FeedbackIn, FeedbackOut, FeedbackPage, FeedbackPatch
from helpline.feedback.models import OPEN_STATES, Feedback, ReplyChannel, Source
from helpline.feedback.services import FeedbackError
from helpline.referrals.models import Partner

router = Router(tags=["feedback"])

WRITE_NOTE = "Needs feedback:write and feedback:read (it answers with what it wrote)."


def _caller(request: HttpRequest) -> ApiCaller:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _refused(exc: FeedbackError) -> HttpError:
    if exc.field == "actor":
        return HttpError(403, exc.message)
    return HttpError(409 if exc.conflict else 422, f"{exc.field}: {exc.message}")


def _item(principal: ApiCaller, feedback_id: UUID) -> Feedback:
    try:
        return selectors.access_feedback(principal.actor, feedback_id)
    except Http404 as exc:
        raise HttpError(404, "Not Found") from exc


def _colleague(username: str, field: str) -> Staff:
    """A staff member the body names; 404 as for any record the body names that is not there."""
    found = Staff.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise HttpError(404, f"{field}: no active staff member with this username")
    return found


def feedback_out(item: Feedback) -> FeedbackOut:
    return FeedbackOut(
        id=item.pk,
        kind=item.kind,
        source=item.source,  # type: ignore[arg-type]
        subject=item.subject,  # type: ignore[arg-type]
        subject_staff=item.subject_staff.username if item.subject_staff else None,
        subject_partner=item.subject_partner_id,
        severity=item.severity,  # type: ignore[arg-type]
        state=item.state,  # type: ignore[arg-type]
        owner=item.owner.username if item.owner else None,
        text=item.text,
        response=item.response,
        received_at=item.received_at,
        acknowledge_by=item.acknowledge_by,
        respond_by=item.respond_by,
        acknowledged_at=item.acknowledged_at,
        responded_at=item.responded_at,
        closed_at=item.closed_at,
        overdue=item.overdue_flagged_at is not None and item.state in OPEN_STATES,
        contact=item.contact_id,
    )


@router.get("/feedback", response=with_errors(FeedbackPage), summary="Feedback and complaints, newest first")
@api_access(permission=Permission.FEEDBACK, scope=Scope.FEEDBACK_READ)
def list_feedback(request: HttpRequest, filters: Query[FeedbackFilters]) -> FeedbackPage:
    refuse_odd_parameters(request, FeedbackFilters)
    principal = _caller(request)
    found = (
        selectors.feedback_overdue(principal.actor)
        if filters.overdue
        else selectors.feedback_visible_to(principal.actor)
    )
    for field in ("state", "kind", "subject"):
        value = getattr(filters, field)
        if value is not None:
            found = found.filter(**{field: value})
    found = found.select_related("owner", "subject_staff")
    try:
        page = keyset_page(found, "received_at", cursor=filters.cursor, limit=filters.limit)
    except BadCursor as exc:
        raise HttpError(422, "cursor: not a cursor this API gave") from exc
    audit_record(
        principal.actor,
        action=AuditAction.FEEDBACK_LIST,
        record_type="feedback",
        request=request,
        detail={k: str(v) for k, v in filters.dict().items() if v not in (None, "", False) and k != "cursor"},
    )
    return FeedbackPage(items=[feedback_out(i) for i in page.items], next_cursor=page.next_cursor)


@router.post(
    "/feedback",
    response=with_errors({201: FeedbackOut}, 400, 404),
    summary="Record feedback or a complaint",
    description=WRITE_NOTE + " A contact, partner or staff member the body names that the caller "
    "cannot see, or that is not there, is a 404.",
)
@api_access(permission=Permission.FEEDBACK, scope=Scope.FEEDBACK_WRITE, also=(Scope.FEEDBACK_READ,))
def create_feedback(request: HttpRequest, payload: FeedbackIn) -> Status[FeedbackOut]:
    principal = _caller(request)
    staff = principal.staff
    contact = None
    if payload.contact is not None:
        reader = staff if staff is not None else principal.actor
        contact = contacts_visible_to(reader).filter(pk=payload.contact).first()
        if contact is None:
            raise HttpError(404, "contact: not a contact you may see")
    subject_staff = _colleague(payload.subject_staff, "subject_staff") if payload.subject_staff else None
    partner = None
    if payload.subject_partner is not None:
        if staff is None:
            raise HttpError(403, "a complaint about a partner is a concern recorded by a person, not a token")
        partner = Partner.objects.filter(pk=payload.subject_partner).first()
        if partner is None:
            raise HttpError(404, "subject_partner: no such partner")
    try:
        item = services.feedback_receive(
            staff if staff is not None else f"token:{principal.name}"[:64],
            source=Source.CONTACT if contact else Source.STAFF if staff else Source.API,
            kind=payload.kind,
            text=payload.text,
            subject=payload.subject,
            subject_staff=subject_staff,
            subject_partner=partner,
            severity=payload.severity,
            contact=contact,
            reply_channel=ReplyChannel.EMAIL if payload.reply_email else ReplyChannel.NONE,
            reply_address=payload.reply_email or "",
            request=request,
        )
    except FeedbackError as exc:
        raise _refused(exc) from exc
    # The answer is what the caller sent and its due dates: nothing they did not know, so even an
    # item about themselves (never listed to them afterwards) is answered.
    return Status(201, feedback_out(item))


@router.patch(
    "/feedback/{feedback_id}",
    response=with_errors(FeedbackOut, 400, 404, 409),
    summary="Move an item on (acknowledge, investigate, respond, close) or triage it",
    description=WRITE_NOTE + " A complaint's course is changed by a person, never a token.",
)
@api_access(permission=Permission.FEEDBACK, scope=Scope.FEEDBACK_WRITE, also=(Scope.FEEDBACK_READ,))
def update_feedback(request: HttpRequest, feedback_id: UUID, payload: FeedbackPatch) -> FeedbackOut:
    principal = _caller(request)
    item = _item(principal, feedback_id)
    staff = principal.staff
    if staff is None:
        raise HttpError(403, "a complaint's course is changed by a person, not a token")
    try:
        if payload.severity is not None or payload.owner is not None:
            owner = _colleague(payload.owner, "owner") if payload.owner else "keep"
            item = services.feedback_update(
                staff, feedback=item, severity=payload.severity, owner=owner, request=request
            )
        if payload.state is not None:
            item = services.feedback_advance(
                staff,
                feedback=item,
                state=payload.state,
                note=payload.note,
                response=payload.response,
                request=request,
            )
    except FeedbackError as exc:
        raise _refused(exc) from exc
    return feedback_out(_item(principal, feedback_id))
