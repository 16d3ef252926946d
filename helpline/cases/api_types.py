"""The cases API's request and answer shapes. Each says in its schema what the server accepts, so
the published schema (/api/v1/openapi.json) and validation agree (see helpline/contacts/api_types.py
for the formats named here)."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
import re
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import StrictBool, StringConstraints, WithJsonSchema, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from helpline.cases.models import BreakReason, CaseStatus, FollowUpKind, Recipient, Risk
from helpline.common.bounds import check_date, check_event_time
from helpline.common.text import storable
from helpline.contacts.api_types import (
    PRINTABLE,
    Age,
    Cursor,
    EventTime,
    GenderCode,
    ProvinceCode,
    WindowDate,
)

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Username = Annotated[
    str,
    StringConstraints(min_length=1, max_length=150, pattern=PRINTABLE),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 150, "pattern": PRINTABLE}),
]

DueTime = Annotated[
    dt.datetime,
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 date and time with its offset (2026-11-20T17:00:00+07:00), "
            "from now to one year ahead.",
        }
    ),
]


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


def _with_offset(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("give the time with its offset, e.g. +07:00")
    return value


def _words(value: str | None) -> str | None:
    """Words are kept, a NUL or half an emoji in them repaired (as everywhere words come in)."""
    return storable(value) if isinstance(value, str) else value


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("not null: leave it out to keep it")
    return value


def _an_object(data: Any) -> Any:
    """A JSON object, not a list, a string or null."""
    raw = data._obj if isinstance(data, DjangoGetter) else data  # how ninja hands a body over
    if not isinstance(raw, dict):
        raise ValueError("the body must be a JSON object")
    return data


class Body(Schema):
    @model_validator(mode="before")
    @classmethod
    def _object(cls, data: Any) -> Any:
        return _an_object(data)


# --- Requests ------------------------------------------------------------------------------


class CaseListFilters(Schema):
    status: CaseStatus | None = None
    risk: Risk | None = None
    assignee: Username | None = Field(None, description="a username")
    overdue: bool = Field(False, description="only cases with a follow-up past its due time")
    province: ProvinceCode | None = None
    opened_from: WindowDate | None = None
    opened_to: WindowDate | None = None
    number: str | None = Field(
        None, max_length=16, pattern=PRINTABLE, description="C-2026-00042, or its end (42)"
    )
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=200)

    _dates = field_validator("opened_from", "opened_to", mode="before")(_iso_date)
    _in_window = field_validator("opened_from", "opened_to")(lambda v: None if v is None else check_date(v))


class TimelineQuery(Schema):
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=200)


class CaseIn(Body):
    contacts: list[UUID] = Field(..., min_length=1, max_length=20, description="contacts you may see")
    nickname: str = Field("", max_length=80)
    risk: Risk = Risk.LOW

    _texts = field_validator("nickname")(_words)


class CasePatch(Body):
    """Only the fields given change. Null clears age, gender or province; nickname, risk and
    assignee take no null. A new assignee needs a reason."""

    nickname: str | SkipJsonSchema[None] = Field(None, max_length=80)
    age: Age | None = None
    gender: GenderCode | None = None
    province: ProvinceCode | None = None
    risk: Risk | SkipJsonSchema[None] = None
    assignee: Username | SkipJsonSchema[None] = Field(None, description="a username")
    reason: str = Field("", max_length=500, description="why the case changes hands")

    _texts = field_validator("nickname", "reason")(_words)
    _never_null = field_validator("nickname", "risk", "assignee", mode="before")(_not_null)


class LinkIn(Body):
    contact: UUID


class NoteIn(Body):
    text: str = Field(..., min_length=1, max_length=20_000)

    _texts = field_validator("text")(_words)


class FollowUpIn(Body):
    kind: FollowUpKind
    due_at: DueTime
    owner: Username | None = Field(None, description="a username; you when left out")
    instructions: str = Field("", max_length=2000, description="safe-contact instructions")

    _due = field_validator("due_at", mode="before")(_iso_datetime)
    _offset = field_validator("due_at")(_with_offset)
    _texts = field_validator("instructions")(_words)


class BreakIn(Body):
    reason: BreakReason
    disclosed: str = Field(..., min_length=1, max_length=4000, description="what was disclosed")
    recipient_kind: Recipient
    recipient: str = Field(..., min_length=1, max_length=200, description="who exactly was told")
    disclosed_at: EventTime
    client_told_first: StrictBool
    not_told_why: str = Field("", max_length=2000, description="required when the client was not told")
    decided_by: Username | None = Field(None, description="a username; you when left out")

    _at = field_validator("disclosed_at", mode="before")(_iso_datetime)
    _at_in_window = field_validator("disclosed_at")(check_event_time)
    _texts = field_validator("disclosed", "recipient", "not_told_why")(_words)


class CloseIn(Body):
    reason: str = Field("", max_length=2000, description="required while follow-ups are open")

    _texts = field_validator("reason")(_words)


# --- Answers -------------------------------------------------------------------------------


class CaseOut(Schema):
    id: UUID
    number: str
    status: CaseStatus
    risk: Risk
    nickname: str
    age: int | None
    gender: str | None
    province: str | None
    assignee: str | None
    opened_at: dt.datetime
    last_touch_at: dt.datetime
    closed_at: dt.datetime | None


class GoalOut(Schema):
    id: UUID
    text: str
    status: str
    due_on: dt.date | None


class FollowUpOut(Schema):
    id: UUID
    kind: str
    due_at: dt.datetime
    owner: str
    instructions: str
    status: str


class NoteOut(Schema):
    id: UUID
    author: str
    written_at: dt.datetime
    revision: int
    text: str


class BreakOut(Schema):
    id: UUID
    reason: str
    recipient_kind: str
    recipient: str
    disclosed_at: dt.datetime
    client_told_first: bool
    sign_off: str


class CaseDetailOut(CaseOut):
    closure_reason: str
    contacts: list[UUID] = Field(description="the case's contacts you may open")
    goals: list[GoalOut]
    follow_ups: list[FollowUpOut] = Field(description="open follow-ups, soonest first")
    notes: list[NoteOut] = Field(description="the newest text of each note, newest first")
    breaks: list[BreakOut]


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class EventOut(Schema):
    id: UUID
    kind: str
    at: dt.datetime
    actor: str
    summary: str
    detail: dict[str, str]


class TimelineOut(Schema):
    items: list[EventOut]
    next_cursor: str | None
