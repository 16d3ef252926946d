"""Rota API: the shifts of a period with who is on them and whether each is a gap. Staff names, no
client data: for those who may see the rota (Permission.ROTA; tokens with rota:read)."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from helpline.accounts.api_auth import ApiCaller, api_access
from helpline.accounts.permissions import Permission, Scope
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.api_schemas import refuse_odd_parameters, with_errors
from helpline.common.bounds import check_date
from helpline.contacts.api_types import WindowDate
from helpline.rota import selectors
from helpline.rota.selectors import ROTA_DAYS, is_gap

router = Router(tags=["rota"])
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    """A date written YYYY-MM-DD only (pydantic would also take a number as a Unix time)."""
    if value is None or isinstance(value, dt.date) or (isinstance(value, str) and ISO_DATE.match(value)):
        return value
    raise ValueError("use a date written YYYY-MM-DD")


class RotaQuery(Schema):
    date_from: WindowDate | None = Field(None, alias="from", description="first local day (today if absent)")
    days: int = Field(ROTA_DAYS, ge=1, le=31, description="how many days from it")

    _date = field_validator("date_from", mode="before")(_iso_date)
    _in_window = field_validator("date_from")(lambda v: check_date(v) if v is not None else v)


class ShiftOut(Schema):
    id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    role: str
    minimum: int
    staff: list[str] = Field(description="usernames of those on the shift")
    gap: bool = Field(description="fewer on the shift than its minimum")


class RotaOut(Schema):
    date_from: dt.date
    days: int
    gaps: int
    shifts: list[ShiftOut]


def _caller(request: HttpRequest) -> ApiCaller:
    return request.auth  # type: ignore[attr-defined,no-any-return]


@router.get("/rota/shifts", response=with_errors(RotaOut), summary="Shifts of a period, with their gaps")
@api_access(permission=Permission.ROTA, scope=Scope.ROTA_READ)
def rota_shifts(request: HttpRequest, query: Query[RotaQuery]) -> RotaOut:
    refuse_odd_parameters(request, RotaQuery)
    start = query.date_from or timezone.localdate()
    days = selectors.rota_days(start, query.days)
    shifts = [
        ShiftOut(
            id=str(s.pk),
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            role=s.role,
            minimum=s.minimum,
            staff=sorted(a.staff.username for a in s.assignments.all()),
            gap=is_gap(s),
        )
        for d in days
        for s in d.shifts
    ]
    audit_record(
        _caller(request).actor,
        action=AuditAction.ROTA_LIST,
        record_type="rota",
        request=request,
        detail={"from": start.isoformat(), "days": query.days},
    )
    return RotaOut(date_from=start, days=query.days, gaps=sum(1 for s in shifts if s.gap), shifts=shifts)
