"""Shapes of the feedback API."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema
from pydantic import BeforeValidator, StringConstraints, WithJsonSchema

from helpline.cases.api_types import Body
from helpline.common.text import storable
from helpline.contacts.api_types import PRINTABLE, Cursor
from helpline.feedback.models import FeedbackKind, Severity, Source, State, Subject

Words = Annotated[str, BeforeValidator(lambda v: storable(v) if isinstance(v, str) else v)]
Username = Annotated[str, StringConstraints(min_length=1, max_length=150, pattern=PRINTABLE)]


class FeedbackFilters(Schema):
    state: State | None = None
    kind: FeedbackKind | None = None
    subject: Subject | None = None
    overdue: bool = Field(False, description="only items the scheduler flagged overdue, still open")
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=200)


class FeedbackIn(Body):
    """Feedback or a complaint as heard. A staff member may be named by username; a partner by id
    (a complaint about a partner also lands in its concerns log, recorded by the person)."""

    kind: FeedbackKind
    text: Annotated[
        Words,
        StringConstraints(min_length=1, max_length=4000, pattern=r"\S"),
        WithJsonSchema(
            {
                "type": "string",
                "minLength": 1,
                "maxLength": 4000,
                "pattern": r"\S",
                "description": "not only spaces",
            }
        ),
    ]
    subject: Subject = Subject.HELPLINE
    subject_staff: Username | None = None
    subject_partner: UUID | None = None
    severity: Severity = Severity.MEDIUM
    contact: UUID | None = Field(None, description="the contact it was heard on, one the caller may see")
    reply_email: Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\s@]+@[^\s@]+$")] | None = None


class FeedbackPatch(Body):
    """A step on the item's course (state, with the response when it is `responded`) or triage."""

    state: State | None = None
    note: Annotated[Words, StringConstraints(max_length=4000)] = ""
    response: Annotated[Words, StringConstraints(max_length=1000)] = ""
    severity: Severity | None = None
    owner: Username | None = None


class FeedbackOut(Schema):
    id: UUID
    kind: str
    source: Source
    subject: Subject
    subject_staff: str | None
    subject_partner: UUID | None
    severity: Severity
    state: State
    owner: str | None
    text: str
    response: str
    received_at: dt.datetime
    acknowledge_by: dt.datetime
    respond_by: dt.datetime
    acknowledged_at: dt.datetime | None
    responded_at: dt.datetime | None
    closed_at: dt.datetime | None
    overdue: bool
    contact: UUID | None


class FeedbackPage(Schema):
    items: list[FeedbackOut]
    next_cursor: str | None
