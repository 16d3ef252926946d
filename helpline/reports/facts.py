"""What one contact counts for: its fact (coded fields only) and the rollup keys that fact adds.

Everything the rollups hold goes through `contribution()`, so the scheduler's increments, the
rebuild from raw rows and the property test agree by construction; the figures test checks the
result against counts made independently."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from helpline.contacts.models import Channel, Contact, Direction, Status

# A caller who hangs up within this many seconds of waiting most likely dialled by mistake.
SHORT_ABANDON_SECONDS = 10
# Upper bounds (seconds) of the waiting-time buckets; the last bucket is open.
WAIT_BUCKETS = (10, 20, 30, 60, 120)
# CHI age bands; a child's age is 0..25, or "over 25", or not known.
AGE_BANDS = ("0-6", "7-12", "13-15", "16-17", "18-25", "over_25", "unknown")
CALL_MEASURES = ("offered", "answered", "abandoned", "short_abandon")
# Dimensions whose values partition the contacts (each contact has exactly one value).
SINGLE_DIMENSIONS = (
    "direction", "status", "kind", "urgency", "gender", "age_band", "province", "region",
    "caller_type", "hour",
)  # fmt: skip
# Dimensions a contact may have several values of (or none: value "").
MULTI_DIMENSIONS = ("category", "subcategory", "chi_category", "chi_subcategory", "action")
DIMENSIONS = ("total", *SINGLE_DIMENSIONS, *MULTI_DIMENSIONS, "calls", "wait_bucket")

Key = tuple[dt.date, str, str, str]  # (day, channel, dimension, value)
AllKey = tuple[dt.date, str, str]  # (day, dimension, value): every channel together
CALLS_CHANNEL = Channel.VOICE.value


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def age_band(age: int | None, over_25: bool) -> str:
    if over_25:
        return "over_25"
    if age is None:
        return "unknown"
    for top, band in ((6, "0-6"), (12, "7-12"), (15, "13-15"), (17, "16-17")):
        if age <= top:
            return band
    return "18-25"


def wait_bucket(seconds: int) -> str:
    low = 0
    for top in WAIT_BUCKETS:
        if seconds < top:
            return f"{low}-{top}"
        low = top
    return f"{low}+"


@dataclass(frozen=True)
class Fact:
    day: dt.date
    hour: int
    channel: str
    direction: str
    status: str
    kind: str
    urgency: str
    gender: str
    age_band: str
    province: str
    region: str
    caller_type: str
    answered: bool
    wait_seconds: int | None
    short_abandon: bool
    reasons: str
    actions: str

    def reason_parts(self) -> list[tuple[str, str, str, str]]:
        parts = [r.split("|") for r in self.reasons.split(";") if r]
        return [(p[0], p[1], p[2], p[3]) for p in parts]


def fact_fields() -> list[str]:
    return list(Fact.__dataclass_fields__)


def contribution(fact: Fact) -> Counter[tuple[Key, str]]:
    """The rollup keys one contact adds: (key, "n") counts one contact, (key, "w") its wait."""
    out: Counter[tuple[Key, str]] = Counter()

    def add(dimension: str, value: str, wait: int = 0) -> None:
        key = (fact.day, fact.channel, dimension, value)
        out[(key, "n")] += 1
        if wait:
            out[(key, "w")] += wait

    add("total", "")
    for name in SINGLE_DIMENSIONS:
        add(name, f"{fact.hour:02d}" if name == "hour" else getattr(fact, name))
    reasons = fact.reason_parts()
    for index, dimension in enumerate(("subcategory", "category", "chi_subcategory", "chi_category")):
        values = {r[index] for r in reasons} or {""}
        for value in sorted(values):
            add(dimension, value)
    for action in sorted(set(fact.actions.split(";")) if fact.actions else {""}):
        add("action", action)
    # Calls offered, answered and abandoned are phone calls: an SMS or a chat is not "offered" and
    # has no service level (its waiting time is in its own channel's figures, not here).
    if fact.direction == Direction.INBOUND and fact.channel == CALLS_CHANNEL:
        add("calls", "offered")
        if fact.answered:
            wait = fact.wait_seconds or 0
            add("calls", "answered", wait)
            add("wait_bucket", wait_bucket(wait))
        if fact.status == Status.ABANDONED:
            add("calls", "abandoned")
            if fact.short_abandon:
                add("calls", "short_abandon")
    return out


def across_channels(key: Key) -> list[AllKey]:
    """The all-channel keys a per-channel key adds to: its own without the channel, and for the
    total the contacts of its channel as the dimension "channel" (the dashboard's breakdown)."""
    day, channel, dimension, value = key
    keys = [(day, dimension, value)]
    if dimension == "total":
        keys.append((day, "channel", channel))
    return keys


_VALUES = [
    "pk", "arrived_at", "answered_at", "ended_at", "channel", "direction", "status", "kind", "urgency",
    "age", "age_over_25", "wait_seconds", "gender__code", "province__code", "region__code",
    "caller_type__code",
]  # fmt: skip


def _reasons_of(ids: list[UUID]) -> dict[UUID, str]:
    through = Contact.reasons.through
    rows = through.objects.filter(contact_id__in=ids).values_list(
        "contact_id", "term__code", "term__parent__code", "term__chi_code"
    )
    found: dict[UUID, list[str]] = defaultdict(list)
    for contact_id, code, parent, chi in rows:
        # The CHI category of a subcategory is the category part of its own CHI code: a local
        # subcategory may count under another category than its local parent (taxonomy_data).
        found[contact_id].append(f"{code}|{parent or code}|{chi}|{chi.split('.')[0]}")
    return {k: ";".join(sorted(v)) for k, v in found.items()}


def _actions_of(ids: list[UUID]) -> dict[UUID, str]:
    through = Contact.actions.through
    found: dict[UUID, list[str]] = defaultdict(list)
    for contact_id, code in through.objects.filter(contact_id__in=ids).values_list(
        "contact_id", "term__code"
    ):
        found[contact_id].append(code)
    return {k: ";".join(sorted(v)) for k, v in found.items()}


def _fact(row: dict[str, Any], reasons: str, actions: str) -> Fact:
    local = row["arrived_at"].astimezone(local_zone())
    abandoned = row["status"] == Status.ABANDONED
    left = row["ended_at"]
    return Fact(
        day=local.date(),
        hour=local.hour,
        channel=row["channel"],
        direction=row["direction"],
        status=row["status"],
        kind=row["kind"],
        urgency=row["urgency"],
        gender=row["gender__code"] or "",
        age_band=age_band(row["age"], row["age_over_25"]),
        province=row["province__code"] or "",
        region=row["region__code"] or "",
        caller_type=row["caller_type__code"] or "",
        answered=row["answered_at"] is not None,
        wait_seconds=row["wait_seconds"] if row["answered_at"] is not None else None,
        short_abandon=bool(
            abandoned
            and left is not None
            and (left - row["arrived_at"]).total_seconds() < SHORT_ABANDON_SECONDS
        ),
        reasons=reasons,
        actions=actions,
    )


def facts_of(contacts: QuerySet[Contact], chunk: int = 2000) -> Iterator[tuple[UUID, Fact]]:
    """Facts of the given contacts, read a page at a time by id (a few queries per page, never per
    contact; no cursor stays open while the caller writes)."""
    rows = contacts.order_by("pk").values(*_VALUES)
    last: UUID | None = None
    while True:
        page = list((rows.filter(pk__gt=last) if last is not None else rows)[:chunk])
        if not page:
            return
        yield from _facts_of_batch(page)
        last = page[-1]["pk"]


def _facts_of_batch(batch: list[dict[str, Any]]) -> Iterable[tuple[UUID, Fact]]:
    ids = [row["pk"] for row in batch]
    reasons, actions = _reasons_of(ids), _actions_of(ids)
    return [(row["pk"], _fact(row, reasons.get(row["pk"], ""), actions.get(row["pk"], ""))) for row in batch]
