"""Keyset pages, newest first, on (a time, the primary key): the first page costs the same at a
million rows, and a row added meanwhile neither repeats nor skips one. Contacts, cases and case
timelines page this way; their cursors are the same opaque text."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from django.db.models import Model, Q, QuerySet

from helpline.common.bounds import event_time_ok

M = TypeVar("M", bound=Model)


class BadCursor(ValueError):
    """A cursor this module did not write (it comes back from a browser or an integration)."""


@dataclass
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None
    limit: int


def encode_cursor(at: dt.datetime, pk: UUID) -> str:
    raw = json.dumps([at.isoformat(), str(pk)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, UUID] | None:
    """The cursor's place, or None for anything encode_cursor did not write."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        return None
    try:
        at, pk = dt.datetime.fromisoformat(value[0]), UUID(value[1])
    except ValueError:
        return None
    return (at, pk) if event_time_ok(at) else None


def keyset_page(qs: QuerySet[M], at_field: str, *, cursor: str | None, limit: int) -> Page[M]:
    """One page of `qs`, newest `at_field` first, after `cursor`; BadCursor for a foreign one."""
    if cursor:
        decoded = decode_cursor(cursor)
        if decoded is None:
            raise BadCursor(cursor)
        at, pk = decoded
        qs = qs.filter(Q(**{f"{at_field}__lt": at}) | Q(**{at_field: at, "pk__lt": pk}))
    items = list(qs.order_by(f"-{at_field}", "-pk")[: limit + 1])
    last = items[limit - 1] if len(items) > limit else None
    next_cursor = encode_cursor(getattr(last, at_field), last.pk) if last is not None else None
    return Page(items=items[:limit], next_cursor=next_cursor, limit=limit)
