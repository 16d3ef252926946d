"""Shapes of the statistics API: figures only, never a contact, a name or a text."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
import re
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator, model_validator

from helpline.common.bounds import check_date
from helpline.contacts.api_types import WindowDate

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    """Dates as YYYY-MM-DD text only (pydantic would also take a number as a Unix time)."""
    if isinstance(value, dt.date) or (isinstance(value, str) and ISO_DATE.match(value)):
        return value
    raise ValueError("use a date written YYYY-MM-DD")


class SummaryQuery(Schema):
    date_from: WindowDate = Field(..., alias="from", description="first local day")
    date_to: WindowDate = Field(..., alias="to", description="last local day (included)")
    publication: bool = Field(
        False,
        description="small counts suppressed, for publishing: whole months only (a 1st to a month's end)",
    )

    _dates = field_validator("date_from", "date_to", mode="before")(_iso_date)
    _in_window = field_validator("date_from", "date_to")(lambda v: check_date(v))

    @model_validator(mode="after")
    def _ordered(self) -> "SummaryQuery":
        if self.date_to < self.date_from:
            raise ValueError("'to' is before 'from'")
        return self


class ChiQuery(Schema):
    year: int = Field(..., ge=2000, le=2100)
    publication: bool = Field(False, description="small counts suppressed, for publishing")
    format: Literal["csv", "xlsx"] = Field("csv", description="CSV, or an XLSX workbook of the same rows")


class CallsOut(Schema):
    offered: int
    answered: int
    abandoned: int
    short_abandons: int
    average_wait_seconds: float | None
    service_level: float | None = Field(None, description="answered within 20 s, of those offered")


class ReferralsOut(Schema):
    total: int = Field(..., description="referrals sent in the period")
    by_service: dict[str, int]
    by_outcome: dict[str, int] = Field(..., description="by the referral's status now")
    median_days_to_answer: float | None
    median_days_to_delivery: float | None


class FiguresOut(Schema):
    date_from: dt.date
    date_to: dt.date
    contacts: int
    counselling: int = Field(..., description="counselling, information and referral contacts")
    non_counselling: int = Field(
        ..., description="silent, blank, hang-up, testing, prank, wrong number, abusive"
    )
    by_channel: dict[str, int]
    by_kind: dict[str, int]
    calls: CallsOut
    referrals: ReferralsOut


class SummaryOut(Schema):
    current: FiguresOut
    previous: FiguresOut


PUBLISHED = 'a count, or "<5" (1 to 4) or "x" (hidden so that no small count can be worked out)'


class PublishedCallsOut(Schema):
    offered: str = Field(..., description=PUBLISHED)
    answered: str = Field(..., description=PUBLISHED)
    abandoned: str = Field(..., description=PUBLISHED)
    short_abandons: str = Field(..., description=PUBLISHED)
    average_wait_seconds: float | None
    service_level: float | None


class PublishedReferralsOut(Schema):
    total: str = Field(..., description=PUBLISHED)
    by_service: dict[str, str]
    by_outcome: dict[str, str]
    median_days_to_answer: float | None
    median_days_to_delivery: float | None


class PublishedFiguresOut(Schema):
    date_from: dt.date
    date_to: dt.date
    contacts: str = Field(..., description=PUBLISHED)
    counselling: str = Field(..., description=PUBLISHED)
    non_counselling: str = Field(..., description=PUBLISHED)
    by_channel: dict[str, str]
    by_kind: dict[str, str]
    calls: PublishedCallsOut
    referrals: PublishedReferralsOut


class PublishedSummaryOut(Schema):
    """The same headline figures marked for publication: every count is text."""

    publication: bool = True
    current: PublishedFiguresOut
    previous: PublishedFiguresOut
