"""Contacts API: list, read, enter and classify contacts; a caller's history by address."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
import re
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.schema import DjangoGetter
from pydantic import StrictBool, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from helpline.accounts.api_auth import ApiCaller, api_access
from helpline.accounts.permissions import Permission, Scope
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.api_schemas import with_errors
from helpline.common.bounds import check_date, check_event_time
from helpline.common.text import storable
from helpline.contacts import services
from helpline.contacts.api_types import (
    CONTACT_RULES,
    PATCH_RULES,
    PRINTABLE,
    ActionCode,
    Address,
    Age,
    CallerTypeCode,
    Cursor,
    DisabilityCode,
    EventTime,
    GenderCode,
    IdempotencyKey,
    LivingSituationCode,
    Minutes,
    ProvinceCode,
    ReasonCode,
    RegionCode,
    RelationshipCode,
    Version,
    VulnerableGroupCode,
    WindowDate,
)
from helpline.contacts.forms import CODING_FIELDS, ClassificationForm, ContactEntryForm
from helpline.contacts.identity import AddressError, caller_lookup, parse_address
from helpline.contacts.models import DATA_KINDS, Channel, Contact, Direction, Kind, Language, Urgency
from helpline.contacts.models import Status as ContactStatus
from helpline.contacts.selectors import (
    ContactFilters,
    FilterError,
    access_contact,
    caller_history,
    contact_page,
)

router = Router(tags=["contacts"])


class ValidationFailed(HttpError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(422, "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class ContactOut(Schema):
    id: UUID
    channel: Channel
    direction: Direction
    status: ContactStatus
    kind: str
    arrived_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    wait_seconds: int | None
    talk_seconds: int | None
    counsellor: str | None
    caller_id: UUID | None
    caller_withheld: bool
    language: str
    caller_type: str | None
    relationship: str | None
    gender: str | None
    age: int | None
    age_over_25: bool
    province: str | None
    region: str | None
    living_situation: str | None
    disability: str | None
    vulnerable_groups: list[str]
    reasons: list[str]
    actions: list[str]
    urgency: str
    summary: str
    version: int


def contact_out(contact: Contact) -> ContactOut:
    data = services.contact_form_data(contact)
    return ContactOut(
        id=contact.pk,
        channel=Channel(contact.channel),
        direction=Direction(contact.direction),
        status=ContactStatus(contact.status),
        kind=contact.kind,
        arrived_at=contact.arrived_at,
        answered_at=contact.answered_at,
        ended_at=contact.ended_at,
        wait_seconds=contact.wait_seconds,
        talk_seconds=contact.talk_seconds,
        counsellor=contact.counsellor.username if contact.counsellor else None,
        caller_id=contact.caller_id,
        caller_withheld=contact.caller_withheld,
        language=contact.language,
        caller_type=data["caller_type"] or None,
        relationship=data["relationship"] or None,
        gender=data["gender"] or None,
        age=contact.age,
        age_over_25=contact.age_over_25,
        province=data["province"] or None,
        region=data["region"] or None,
        living_situation=data["living_situation"] or None,
        disability=data["disability"] or None,
        vulnerable_groups=data["vulnerable_groups"],
        reasons=data["reasons"],
        actions=data["actions"],
        urgency=contact.urgency,
        summary=contact.summary,
        version=contact.version,
    )


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    """Dates as YYYY-MM-DD text only (pydantic would also take a number as a Unix time)."""
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, str) and ISO_DATE.match(value):
        return value
    raise ValueError("use a date written YYYY-MM-DD")


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and ISO_DATE.match(value[:10]):
        return value
    raise ValueError("use a date and time written YYYY-MM-DDTHH:MM[:SS][+07:00]")


def _date_in_window(value: dt.date | None) -> dt.date | None:
    return None if value is None else check_date(value)


def _time_in_window(value: dt.datetime) -> dt.datetime:
    return check_event_time(value)


def _words(value: str | None) -> str | None:
    """Words are kept, a NUL or half an emoji in them repaired (as everywhere words come in)."""
    return storable(value) if isinstance(value, str) else value


class ListFilters(Schema):
    date_from: WindowDate | None = None
    date_to: WindowDate | None = None
    channel: Channel | None = None
    kind: Kind | None = None
    category: str | None = Field(
        None, max_length=64, pattern=PRINTABLE, description="a reason category or subcategory code"
    )
    counsellor: str | None = Field(None, max_length=64, pattern=PRINTABLE, description="a username")
    province: str | None = Field(None, max_length=64, pattern=PRINTABLE, description="a province code")
    urgency: Urgency | None = None
    status: ContactStatus | None = None
    address: Address | None = None
    text: str | None = Field(None, max_length=200, pattern=PRINTABLE, description="words in the summary")
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=200)

    _dates = field_validator("date_from", "date_to", mode="before")(_iso_date)
    _dates_in_window = field_validator("date_from", "date_to")(_date_in_window)


class Classification(Schema):
    """Numbers and yes/no as JSON numbers and booleans: "12" or false for an age is refused, as the
    schema says (lax parsing would take them)."""

    kind: Kind
    language: Language | None = None
    caller_type: CallerTypeCode | None = None
    relationship: RelationshipCode | None = None
    gender: GenderCode | None = None
    age: Age | None = None
    age_over_25: StrictBool = False
    province: ProvinceCode | None = None
    region: RegionCode | None = None
    living_situation: LivingSituationCode | None = None
    disability: DisabilityCode | None = None
    vulnerable_groups: list[VulnerableGroupCode] = Field(default_factory=list, max_length=20)
    reasons: list[ReasonCode] = Field(default_factory=list, max_length=20)
    actions: list[ActionCode] = Field(default_factory=list, max_length=20)
    urgency: Urgency | None = None
    summary: str = Field("", max_length=10_000)

    _summary = field_validator("summary")(_words)


class ContactIn(Classification):
    channel: Channel
    direction: Direction = Direction.INBOUND
    address: Address | None = None
    arrived_at: EventTime
    duration_minutes: Minutes | None = None
    idempotency_key: IdempotencyKey | None = None

    model_config = {"json_schema_extra": CONTACT_RULES}

    _arrived = field_validator("arrived_at", mode="before")(_iso_datetime)
    _arrived_in_window = field_validator("arrived_at")(_time_in_window)


def _not_null(value: Any) -> Any:
    """Left out is "no change"; null is no value for a field that always has one."""
    if value is None:
        raise ValueError("not null: leave it out to keep it, or send [], false or an empty string")
    return value


class ClassificationPatch(Schema):
    """Only the fields given change. Null clears a single value (gender, age, province ...); a field
    that always has a value (kind, language, the lists, age_over_25, summary) takes no null, and the
    schema says so."""

    kind: Kind | SkipJsonSchema[None] = None
    language: Language | SkipJsonSchema[None] = None
    caller_type: CallerTypeCode | None = None
    relationship: RelationshipCode | None = None
    gender: GenderCode | None = None
    age: Age | None = None
    age_over_25: StrictBool | SkipJsonSchema[None] = None
    province: ProvinceCode | None = None
    region: RegionCode | None = None
    living_situation: LivingSituationCode | None = None
    disability: DisabilityCode | None = None
    vulnerable_groups: list[VulnerableGroupCode] | SkipJsonSchema[None] = Field(None, max_length=20)
    reasons: list[ReasonCode] | SkipJsonSchema[None] = Field(None, max_length=20)
    actions: list[ActionCode] | SkipJsonSchema[None] = Field(None, max_length=20)
    urgency: Urgency | None = None
    summary: str | SkipJsonSchema[None] = Field(None, max_length=10_000)
    version: Version | SkipJsonSchema[None] = Field(
        None, description="the version you read; a mismatch gives 409"
    )
    reason: str = Field("", max_length=500)

    model_config = {"json_schema_extra": PATCH_RULES}

    _texts = field_validator("summary", "reason")(_words)
    _never_null = field_validator(
        "kind",
        "language",
        "age_over_25",
        "vulnerable_groups",
        "reasons",
        "actions",
        "summary",
        "version",
        mode="before",
    )(_not_null)

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        """A JSON object, not a list, a string or null (which would otherwise read as "no change")."""
        raw = data._obj if isinstance(data, DjangoGetter) else data  # how ninja hands a body over
        if not isinstance(raw, dict):
            raise ValueError("the body must be a JSON object")
        return data


def _form_data(values: dict[str, Any]) -> dict[str, Any]:
    """JSON values into form data: enums to strings, None to empty."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "on" if value else ""
        elif isinstance(value, dt.datetime):
            out[key] = value.isoformat()
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        else:
            out[key] = str(getattr(value, "value", value))
    return out


def _valid(form: ClassificationForm) -> dict[str, Any]:
    if not form.is_valid():
        raise ValidationFailed({k: [str(m) for m in v] for k, v in form.errors.items()})
    return dict(form.cleaned_data)


@router.get(
    "/contacts", response=with_errors(ContactPage), summary="Contacts visible to the caller, newest first"
)
@api_access(permission=Permission.CLIENT_DATA, scope=Scope.CONTACTS_READ)
def list_contacts(request: HttpRequest, filters: Query[ListFilters]) -> ContactPage:
    principal: ApiCaller = request.auth  # type: ignore[attr-defined]
    values: dict[str, Any] = {
        k: getattr(v, "value", v) for k, v in filters.dict().items() if v not in (None, "")
    }
    cursor, limit = values.pop("cursor", None), int(values.pop("limit", 50))
    try:
        page = contact_page(principal.actor, ContactFilters(**values), cursor=cursor, limit=limit, coded=True)
    except FilterError as exc:
        raise ValidationFailed({exc.field: [str(exc)]}) from exc
    audit_record(
        principal.actor,
        action=AuditAction.CONTACT_SEARCH,
        record_type="contact",
        request=request,
        detail={k: str(v) for k, v in values.items() if k != "address"},
    )
    return ContactPage(items=[contact_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.get("/contacts/{contact_id}", response=with_errors(ContactOut, 404), summary="One contact")
@api_access(permission=Permission.CLIENT_DATA, scope=Scope.CONTACTS_READ)
def get_contact(request: HttpRequest, contact_id: UUID) -> ContactOut:
    principal: ApiCaller = request.auth  # type: ignore[attr-defined]
    contact = access_contact(principal.actor, contact_id)
    audit_record(
        principal.actor,
        action=AuditAction.CONTACT_VIEW,
        record_type="contact",
        record_id=contact.pk,
        request=request,
    )
    return contact_out(contact)


@router.post(
    "/contacts", response=with_errors({201: ContactOut, 200: ContactOut}, 400), summary="Enter a contact"
)
@api_access(permission=Permission.CLIENT_DATA, scope=Scope.CONTACTS_WRITE)
def create_contact(request: HttpRequest, payload: ContactIn) -> Status[ContactOut]:
    """Walk-in, email or integration entry. A repeated idempotency_key returns the first (200)."""
    principal: ApiCaller = request.auth  # type: ignore[attr-defined]
    data = _valid(ContactEntryForm(_form_data(payload.dict())))
    contact, created = services.contact_enter(principal.actor, data=data, request=request)
    return Status(201 if created else 200, contact_out(contact))


@router.patch(
    "/contacts/{contact_id}",
    response=with_errors(ContactOut, 400, 404, 409),
    summary="Classify or correct a contact",
    description="Needs contacts:write and contacts:read (it answers with the contact).",
)
@api_access(permission=Permission.CLIENT_DATA, scope=Scope.CONTACTS_WRITE, also=(Scope.CONTACTS_READ,))
def patch_contact(request: HttpRequest, contact_id: UUID, payload: ClassificationPatch) -> ContactOut:
    principal: ApiCaller = request.auth  # type: ignore[attr-defined]
    contact = access_contact(principal.actor, contact_id, for_write=True)
    given = payload.dict(exclude_unset=True)
    version, reason = given.pop("version", None), given.pop("reason", "")
    if not given:  # nothing to change: no new version, no correction; the answer is a read
        return _read(request, principal, contact)
    merged = services.contact_form_data(contact) | dict(given.items())
    if not merged.get("kind"):
        raise ValidationFailed({"kind": ["required to classify a contact"]})
    _refuse_coding_it_cannot_carry(str(getattr(merged["kind"], "value", merged["kind"])), given)
    data = _valid(ClassificationForm(_form_data(merged)))
    try:
        updated = services.contact_correct(
            principal.actor, contact=contact, data=data, reason=reason, version=version, request=request
        )
    except services.ContactConflict as exc:
        raise HttpError(409, "the contact changed since you read it; read it again") from exc
    except services.ContactError as exc:
        raise ValidationFailed({exc.field: [str(exc)]}) from exc
    if updated.version == contact.version:  # the values it had: nothing was written
        return _read(request, principal, updated)
    return contact_out(updated)


def _refuse_coding_it_cannot_carry(kind: str, given: dict[str, Any]) -> None:
    """A silent call, a prank ... carries no coding: an age or a reason given for one is refused by
    name (the form would drop it without a word), unless the same request makes it a data kind."""
    if kind in DATA_KINDS:
        return
    refused = [name for name in CODING_FIELDS if given.get(name) not in (None, "", [], False)]
    if refused:
        message = f"does not apply to a {kind} contact (change its kind to classify it)"
        raise ValidationFailed({name: [message] for name in refused})


def _read(request: HttpRequest, principal: ApiCaller, contact: Contact) -> ContactOut:
    """The contact as it stands, audited as a read (as GET /contacts/{id} is)."""
    audit_record(
        principal.actor,
        action=AuditAction.CONTACT_VIEW,
        record_type="contact",
        record_id=contact.pk,
        request=request,
    )
    return contact_out(contact)


class PastContactOut(Schema):
    id: UUID
    arrived_at: dt.datetime
    channel: str
    kind: str
    status: str


class HistoryQuery(Schema):
    address: Address


class CallerHistoryOut(Schema):
    known: bool
    total: int
    counts_by_kind: dict[str, int]
    counts_this_week: dict[str, int]
    last_contacts: list[PastContactOut]
    open_case_ids: list[str]


@router.get("/callers/history", response=with_errors(CallerHistoryOut), summary="A caller's earlier contacts")
@api_access(permission=Permission.CLIENT_DATA, scope=Scope.CALLERS_READ)
def get_caller_history(request: HttpRequest, query: Query[HistoryQuery]) -> CallerHistoryOut:
    principal: ApiCaller = request.auth  # type: ignore[attr-defined]
    try:
        parsed = parse_address(query.address)
    except AddressError as exc:
        raise ValidationFailed({"address": [str(exc)]}) from exc
    # Counts, dates and kinds only, never content, and only of contacts this principal may open.
    caller = caller_lookup(parsed)
    audit_record(
        principal.actor,
        action=AuditAction.CALLER_HISTORY,
        record_type="caller",
        record_id=caller.pk if caller else "",
        request=request,
    )
    history = caller_history(principal.actor, caller)
    return CallerHistoryOut(
        known=caller is not None and history.total > 0,
        total=history.total,
        counts_by_kind=history.counts,
        counts_this_week=history.counts_this_week,
        last_contacts=[PastContactOut(**p.__dict__) for p in history.last],
        open_case_ids=history.open_case_ids,
    )
