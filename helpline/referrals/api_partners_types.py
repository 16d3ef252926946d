"""The partners API's request and answer shapes. Each says in its schema what the server accepts,
so the published schema and validation agree (formats of our own: helpline/contacts/api_types.py;
"phone" is a phone number as people write it, Cambodian without its country code). One rule JSON
Schema cannot state is said in the description: max_age is not below min_age."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema
from pydantic import BeforeValidator, StrictBool, StringConstraints, WithJsonSchema, field_validator
from pydantic.json_schema import SkipJsonSchema

from helpline.cases.api_types import Body
from helpline.common.text import storable
from helpline.contacts.api_types import CODE_MAX, PRINTABLE, Cursor, GenderCode, ProvinceCode
from helpline.referrals.directory import LIMITS, MAX_AGE, MAX_MONITORING_DAYS, MIN_MONITORING_DAYS
from helpline.referrals.models import Assessment, ConcernSeverity, ConcernSource, PartnerLanguage


def _whole_number(value: Any) -> Any:
    """A JSON integer (6, or 6.0): never "6", true or 6.5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a whole number is required")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("a whole number is required")
        return int(value)
    return value


def _words(value: str | None) -> str | None:
    return storable(value) if isinstance(value, str) else value


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("not null: leave it out to keep it")
    return value


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
PartnerAge = Annotated[int, Field(ge=0, le=MAX_AGE), BeforeValidator(_whole_number)]
EveryDays = Annotated[
    int, Field(ge=MIN_MONITORING_DAYS, le=MAX_MONITORING_DAYS), BeforeValidator(_whole_number)
]

# Some character that is neither a space nor a control character: a name is never blank.
_NAMED = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=LIMITS["name"], pattern=_NAMED),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": LIMITS["name"], "pattern": _NAMED}),
]
Phone = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40),
    WithJsonSchema(
        {
            "type": "string",
            "format": "phone",
            "minLength": 1,
            "maxLength": 40,
            "description": "A phone number: 023 555 123, +85512345678. Stored in E.164.",
        }
    ),
]
# What Django's email check takes, written so a generator keeps to it.
_EMAIL = (
    r"^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$"
)
Email = Annotated[
    str,
    StringConstraints(max_length=LIMITS["email"], pattern=_EMAIL),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": LIMITS["email"],
            "pattern": _EMAIL,
            "description": "An email address.",
        }
    ),
]


def _text(limit: int, description: str = "") -> Any:
    return Field("", max_length=limit, description=description)


# --- Requests ------------------------------------------------------------------------------


class PartnerListFilters(Schema):
    service: ServiceCode | None = None
    province: ProvinceCode | None = Field(None, description="partners there, and those of the whole country")
    age: int | None = Field(None, ge=0, le=MAX_AGE, description="the child's age: partners serving it")
    q: str | None = Field(
        None, max_length=200, pattern=PRINTABLE, description="words in Khmer or English, each of them found"
    )
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=200)


class PartnerIn(Body):
    """A new partner, not yet assessed: no referral goes to it until an assessment approves it.
    max_age is not below min_age."""

    name: Name
    name_km: str = _text(LIMITS["name_km"])
    description: str = _text(LIMITS["description"], "what they do")
    services: list[ServiceCode] = Field(..., min_length=1, max_length=30)
    provinces: list[ProvinceCode] = Field([], max_length=30, description="none: the whole country")
    districts: str = _text(LIMITS["districts"])
    genders: list[GenderCode] = Field([], max_length=10, description="none: everyone")
    min_age: PartnerAge | None = None
    max_age: PartnerAge | None = None
    languages: str = _text(LIMITS["languages"])
    language: PartnerLanguage = Field(
        PartnerLanguage.KHMER,
        description="the language it reads referrals in (its referral page opens in it)",
    )
    opening_hours: str = _text(LIMITS["opening_hours"])
    phone: Phone | None = None
    email: Email | None = None
    contact_person: str = _text(LIMITS["contact_person"])
    emergency: StrictBool = False
    monitoring_every_days: EveryDays = 180

    _texts = field_validator(
        "name", "name_km", "description", "districts", "languages", "opening_hours", "contact_person"
    )(_words)


class PartnerPatch(Body):
    """Only the fields given change. Null clears min_age, max_age, phone or email; the others take
    no null. The resulting max_age is not below min_age."""

    name: Name | SkipJsonSchema[None] = None
    name_km: str | SkipJsonSchema[None] = Field(None, max_length=LIMITS["name_km"])
    description: str | SkipJsonSchema[None] = Field(None, max_length=LIMITS["description"])
    services: Annotated[list[ServiceCode], Field(min_length=1, max_length=30)] | SkipJsonSchema[None] = None
    provinces: Annotated[list[ProvinceCode], Field(max_length=30)] | SkipJsonSchema[None] = None
    districts: str | SkipJsonSchema[None] = Field(None, max_length=LIMITS["districts"])
    genders: Annotated[list[GenderCode], Field(max_length=10)] | SkipJsonSchema[None] = None
    min_age: PartnerAge | None = None
    max_age: PartnerAge | None = None
    languages: str | SkipJsonSchema[None] = Field(None, max_length=LIMITS["languages"])
    language: PartnerLanguage | SkipJsonSchema[None] = None
    opening_hours: str | SkipJsonSchema[None] = Field(None, max_length=LIMITS["opening_hours"])
    phone: Phone | None = None
    email: Email | None = None
    contact_person: str | SkipJsonSchema[None] = Field(None, max_length=LIMITS["contact_person"])
    emergency: StrictBool | SkipJsonSchema[None] = None
    monitoring_every_days: EveryDays | SkipJsonSchema[None] = None

    _texts = field_validator(
        "name", "name_km", "description", "districts", "languages", "opening_hours", "contact_person"
    )(_words)
    _never_null = field_validator(
        "name",
        "name_km",
        "description",
        "services",
        "provinces",
        "districts",
        "genders",
        "languages",
        "language",
        "opening_hours",
        "contact_person",
        "emergency",
        "monitoring_every_days",
        mode="before",
    )(_not_null)


class ConcernIn(Body):
    source: ConcernSource
    severity: ConcernSeverity = Field(..., description="serious suspends referrals to the partner at once")
    description: str = Field(
        ..., min_length=1, max_length=8000, pattern=r"\S", description="what was reported"
    )
    referral: UUID | None = Field(None, description="the referral it is about, one sent to this partner")

    _texts = field_validator("description")(_words)


# --- Answers -------------------------------------------------------------------------------


class PartnerOut(Schema):
    id: UUID
    name: str
    name_km: str
    services: list[str]
    provinces: list[str] = Field(description="none: the whole country")
    genders: list[str] = Field(description="none: everyone")
    min_age: int | None
    max_age: int | None
    languages: str
    language: PartnerLanguage
    opening_hours: str
    phone: str
    email: str
    contact_person: str
    emergency: bool
    assessment: Assessment
    suspended: bool
    may_receive: bool = Field(description="whether a referral may go to it now")


class PartnerDetailOut(PartnerOut):
    description: str
    districts: str
    monitoring_every_days: int
    suspended_since: dt.datetime | None
    next_visit_due: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PartnerPage(Schema):
    items: list[PartnerOut]
    next_cursor: str | None


class ConcernOut(Schema):
    id: UUID
    partner: UUID
    source: ConcernSource
    severity: ConcernSeverity
    reported_at: dt.datetime
    suspended: bool = Field(description="whether referrals to the partner are suspended now")
