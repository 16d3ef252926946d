"""The referrals API's request and answer shapes. Each says in its schema what the server accepts,
so the published schema (/api/v1/openapi.json) and validation agree (helpline/contacts/api_types.py
names the formats used here)."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints, WithJsonSchema, field_validator
from pydantic.json_schema import SkipJsonSchema

from helpline.cases.api_types import Body, _not_null, _words
from helpline.contacts.api_types import CODE_MAX, Cursor
from helpline.referrals.models import Consent, ReferralStatus, ReferralUrgency
from helpline.referrals.sharing import BY_KEY

ServiceCode = Annotated[
    str,
    StringConstraints(max_length=CODE_MAX),
    WithJsonSchema(
        {
            "type": "string",
            "format": "code:service",
            "maxLength": CODE_MAX,
            "description": "A code from the service code list.",
        }
    ),
]


def _shareable(value: str) -> str:
    if value not in BY_KEY:
        raise ValueError(f"not a field a referral can share: {value}")
    return value


SharedField = Annotated[
    str,
    AfterValidator(_shareable),
    WithJsonSchema({"type": "string", "enum": list(BY_KEY), "description": "A field of the case to share."}),
]

# Each field once is enough; a list repeating them is read once each.
SharedFields = Annotated[list[SharedField], Field(max_length=20)]

REQUEST = "what the partner is asked to do"


class ReferralListFilters(Schema):
    status: ReferralStatus | None = None
    case: UUID | None = None
    partner: UUID | None = None
    overdue: bool = Field(False, description="only sent referrals past their acknowledgement deadline")
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=200)


class ReferralIn(Body):
    """A draft: nothing reaches the partner until it is sent (PATCH status "sent")."""

    case: UUID = Field(description="a case you may see")
    partner: UUID
    service: ServiceCode
    urgency: ReferralUrgency = ReferralUrgency.ROUTINE
    request: str = Field(..., min_length=1, max_length=4000, description=REQUEST)
    shared_fields: SharedFields = Field(default_factory=list)
    consent: Consent
    consent_note: str = Field("", max_length=2000)
    confidentiality_break: UUID | None = Field(
        None, description="required without consent: a confidentiality break of the same case"
    )

    _texts = field_validator("request", "consent_note")(_words)


class ReferralPatch(Body):
    """A draft's fields change (only a draft's); `status` moves the referral as staff may: sent,
    closed (with `note` as the reason), or a partner's answer heard by phone (acknowledged,
    accepted, declined, delivered; `note` says how). Fields first, then the move, all or nothing."""

    partner: UUID | SkipJsonSchema[None] = None
    service: ServiceCode | SkipJsonSchema[None] = None
    urgency: ReferralUrgency | SkipJsonSchema[None] = None
    request: str | SkipJsonSchema[None] = Field(None, min_length=1, max_length=4000, description=REQUEST)
    shared_fields: SharedFields | SkipJsonSchema[None] = None
    consent: Consent | SkipJsonSchema[None] = None
    consent_note: str | SkipJsonSchema[None] = Field(None, max_length=2000)
    confidentiality_break: UUID | None = None
    status: ReferralStatus | SkipJsonSchema[None] = None
    note: str = Field("", max_length=4000, description="why it is closed or declined; how you heard")

    _texts = field_validator("request", "consent_note", "note")(_words)
    _never_null = field_validator(
        "partner",
        "service",
        "urgency",
        "request",
        "shared_fields",
        "consent",
        "consent_note",
        "status",
        mode="before",
    )(_not_null)


class ReferralEventOut(Schema):
    kind: str
    at: dt.datetime
    actor: str = Field(description='a username, "partner" or "scheduler"')
    old_status: str
    new_status: str
    note: str


class ReferralOut(Schema):
    id: UUID
    number: str
    case: UUID
    case_number: str
    partner: UUID
    partner_name: str
    service: str
    urgency: ReferralUrgency
    status: ReferralStatus
    shared_fields: list[str]
    shared: dict[str, str] = Field(
        description=(
            "what the partner sees of the case, frozen when sent: gender and province as codes of"
            " their code lists, risk as its code, the rest as text (a referral sent before codes"
            " were kept may hold a name)"
        )
    )
    request: str
    consent: Consent
    consent_note: str
    confidentiality_break: UUID | None
    created_by: str
    created_at: dt.datetime
    sent_by: str | None
    sent_at: dt.datetime | None
    acknowledge_by: dt.datetime | None
    acknowledged_at: dt.datetime | None
    accepted_at: dt.datetime | None
    declined_at: dt.datetime | None
    decline_reason: str
    delivered_at: dt.datetime | None
    closed_at: dt.datetime | None
    close_reason: str
    expired_at: dt.datetime | None
    overdue_alerted_at: dt.datetime | None


class ReferralDetailOut(ReferralOut):
    events: list[ReferralEventOut] = Field(description="the referral's history, oldest first")


class ReferralPage(Schema):
    items: list[ReferralOut]
    next_cursor: str | None
