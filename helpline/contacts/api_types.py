"""The contacts API's value types, each with a JSON schema that says what the server accepts, so
the published schema (/api/v1/openapi.json) and validation agree.

Where a rule cannot be written as plain JSON Schema, the schema names a format of our own and says
what it means: "address" (a phone number, or scheme:value), "code:<list>" (a code from that code
list, which administrators may extend), "cursor" (a page's next_cursor, handed back as it was),
"event-time" (an ISO 8601 time with its offset, from 2000-01-01 to a day from now) and "window-date"
(YYYY-MM-DD, 2000 to 2100; see helpline/common/bounds.py). tests/test_api_fuzz.py generates each."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema

from helpline.common.bounds import EARLIEST_DATE, LATEST_DATE
from helpline.contacts.models import Vocabulary

ADDRESS_MAX = 320
CODE_MAX = 64
# No control characters: the server refuses them in identifiers and codes.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

Address = Annotated[
    str,
    StringConstraints(min_length=1, max_length=ADDRESS_MAX),
    WithJsonSchema(
        {
            "type": "string",
            "format": "address",
            "minLength": 1,
            "maxLength": ADDRESS_MAX,
            "description": "A phone number (012 345 678, +85512345678 or tel:+85512345678), "
            "email:name@example.org, or webchat:<id>. Matched by keyed hash, never stored in clear.",
        }
    ),
]

Cursor = Annotated[
    str,
    StringConstraints(max_length=200),
    WithJsonSchema(
        {
            "type": "string",
            "format": "cursor",
            "maxLength": 200,
            "description": "The next_cursor of the page before, as it was given.",
        }
    ),
]

EventTime = Annotated[
    dt.datetime,
    WithJsonSchema(
        {
            "type": "string",
            "format": "event-time",
            "description": "ISO 8601 date and time with its offset (2026-11-20T10:30:00+07:00), "
            "from 2000-01-01 to a day from now.",
        }
    ),
]

WindowDate = Annotated[
    dt.date,
    WithJsonSchema(
        {
            "type": "string",
            "format": "window-date",
            "description": f"YYYY-MM-DD, from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}.",
        }
    ),
]


def _whole_number(value: Any) -> Any:
    """A JSON integer (6, or 6.0, which JSON Schema counts as one): never "6", true or 6.5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a whole number is required")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("a whole number is required")
        return int(value)
    return value


# The bounds come before the check, so the schema shows them as minimum and maximum.
Age = Annotated[int, Field(ge=0, le=25), BeforeValidator(_whole_number)]
Minutes = Annotated[int, Field(ge=0, le=24 * 60), BeforeValidator(_whole_number)]
Version = Annotated[int, Field(ge=1), BeforeValidator(_whole_number)]

IdempotencyKey = Annotated[
    str,
    StringConstraints(max_length=80, pattern=PRINTABLE),
    WithJsonSchema({"type": "string", "maxLength": 80, "pattern": PRINTABLE}),
]


def _code(vocabulary: Vocabulary) -> WithJsonSchema:
    """A code from one code list (the contact's coding); an unknown or retired code is a 422."""
    return WithJsonSchema(
        {
            "type": "string",
            "format": f"code:{vocabulary.value}",
            "maxLength": CODE_MAX,
            "description": f"A code from the {vocabulary.value} code list.",
        }
    )


_CODE = StringConstraints(max_length=CODE_MAX)
ReasonCode = Annotated[str, _CODE, _code(Vocabulary.REASON)]
CallerTypeCode = Annotated[str, _CODE, _code(Vocabulary.CALLER_TYPE)]
RelationshipCode = Annotated[str, _CODE, _code(Vocabulary.RELATIONSHIP)]
GenderCode = Annotated[str, _CODE, _code(Vocabulary.GENDER)]
ProvinceCode = Annotated[str, _CODE, _code(Vocabulary.PROVINCE)]
RegionCode = Annotated[str, _CODE, _code(Vocabulary.REGION)]
LivingSituationCode = Annotated[str, _CODE, _code(Vocabulary.LIVING_SITUATION)]
DisabilityCode = Annotated[str, _CODE, _code(Vocabulary.DISABILITY)]
VulnerableGroupCode = Annotated[str, _CODE, _code(Vocabulary.VULNERABLE_GROUP)]
ActionCode = Annotated[str, _CODE, _code(Vocabulary.ACTION)]


# Rules across fields of a new contact, for generators and readers of the schema: a counselling
# contact needs at least one reason; an age, or "over 25", not both.
CONTACT_RULES: dict[str, Any] = {
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": "counselling"}}, "required": ["kind"]},
            "then": {"properties": {"reasons": {"minItems": 1}}, "required": ["reasons"]},
        },
        {
            "not": {
                "properties": {"age": {"type": "integer"}, "age_over_25": {"const": True}},
                "required": ["age", "age_over_25"],
            }
        },
    ]
}

# The same rules for a change, over the fields it gives: reasons sent with a counselling kind are
# at least one; an age and "over 25" are not sent together. (What the contact already holds the
# schema cannot see: a change that leaves a counselling contact without a reason is still a 422.)
PATCH_RULES: dict[str, Any] = {
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": "counselling"}}, "required": ["kind", "reasons"]},
            "then": {"properties": {"reasons": {"minItems": 1}}},
        },
        CONTACT_RULES["allOf"][1],
    ]
}
