"""Keeping the daily rollups equal to the contacts, incrementally.

Why the scheduler and not a hook in the contact's own transaction: a contact is written in a
dozen places (the counsellor's form, one-click closes, corrections, the queue's take, transfer,
abandon and triage updates, voice's batches, bulk seeding), several of them as bare UPDATEs. A
hook would have to be threaded through each, and one forgotten path would drift the figures
silently. Every path does bump `updated_at` (tests/test_reports_rollups.py holds it), so one job
that reads contacts changed since a watermark catches them all, including paths added later, and
keeps the contacts' transactions as short as they are. The cost is a lag of one tick (a minute)
on the dashboard.

How it stays exact: for each changed contact the job computes its fact (facts.py), compares it
with the one in the ledger (ContactFact) and, when they differ, takes the old contribution away
and adds the new one. Applying a contact twice is therefore harmless, so each scan starts
OVERLAP before the previous one began: a transaction that stamped `updated_at` earlier but
committed after the last scan is still seen. The state row is locked throughout, so the job and
a rebuild never interleave.

Erasure: the retention work blanks what identifies a child (summary, caller link) and keeps the
coded fields, so an erased contact counts as before; a contact deleted outright is taken away by
the next rebuild (`manage.py reports_rebuild`), which recomputes everything from raw rows.

Both levels, daily and monthly, per channel and over all channels, change in the same step from
the same delta, so each stays equal to the raw aggregate by day and by month.

The first run (no watermark: a new database, or a migration that changed what is counted) rebuilds
a few local months per tick, each in its own short transaction, oldest first, until the time
budget of the tick is spent: a big database never holds the scheduler or (on SQLite) every writer
for the whole rebuild, and the dashboard fills in month by month. When the last month is done the
watermark is set to when the rebuild began, so what changed meanwhile is applied at the next tick.
`manage.py reports_rebuild` does all of it at once (at deploy, before the scheduler starts).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from helpline.contacts.models import Contact
from helpline.reports.facts import (
    Fact,
    Key,
    across_channels,
    contribution,
    fact_fields,
    facts_of,
    local_zone,
)
from helpline.reports.models import (
    ContactFact,
    DailyAllRollup,
    DailyRollup,
    MonthlyAllRollup,
    MonthlyRollup,
    RollupState,
)
from helpline.reports.rebuild import consistent_snapshot, moment, next_month, rebuild_range

OVERLAP = dt.timedelta(minutes=10)
CHUNK = 2000
# The gradual first run: months per transaction, and how long one tick may keep going.
REBUILD_MONTHS = 1
REBUILD_BUDGET_SECONDS = 5.0


def _locked_state() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def _stored(ids: Iterable[UUID]) -> dict[UUID, Fact]:
    names = fact_fields()
    return {
        row["contact_id"]: Fact(**{n: row[n] for n in names})
        for row in ContactFact.objects.filter(contact_id__in=list(ids)).values("contact_id", *names)
    }


def _apply_rows(model: type[Model], names: tuple[str, ...], rows: dict[Any, list[int]]) -> None:
    """Add each row's (contacts, wait) to the row of `model` whose columns `names` hold its key."""
    manager: Any = model._default_manager
    for values, (n, w) in rows.items():
        if not n and not w:
            continue
        key = dict(zip(names, values, strict=True))
        match = manager.filter(**key)
        if not match.update(contacts=F("contacts") + n, wait_seconds=F("wait_seconds") + w):
            manager.create(**key, contacts=n, wait_seconds=w)
        elif n < 0:
            match.filter(contacts=0).delete()


def apply_delta(delta: Counter[tuple[Key, str]]) -> None:
    """Add a delta to the daily and the monthly rows, per channel and over all channels: update
    the row, or create it; drop rows that reach zero."""
    days: dict[Key, list[int]] = {}
    months: dict[Key, list[int]] = {}
    all_days: dict[tuple[Any, ...], list[int]] = {}
    all_months: dict[tuple[Any, ...], list[int]] = {}
    for (key, measure), amount in delta.items():
        if not amount:
            continue
        day, channel, dimension, value = key
        at = 0 if measure == "n" else 1
        days.setdefault(key, [0, 0])[at] += amount
        months.setdefault((day.replace(day=1), channel, dimension, value), [0, 0])[at] += amount
        for all_day, all_dimension, all_value in across_channels(key):
            all_days.setdefault((all_day, all_dimension, all_value), [0, 0])[at] += amount
            all_months.setdefault((all_day.replace(day=1), all_dimension, all_value), [0, 0])[at] += amount
    _apply_rows(DailyRollup, ("day", "channel", "dimension", "value"), days)
    _apply_rows(MonthlyRollup, ("month", "channel", "dimension", "value"), months)
    _apply_rows(DailyAllRollup, ("day", "dimension", "value"), all_days)
    _apply_rows(MonthlyAllRollup, ("month", "dimension", "value"), all_months)


def _apply_contacts(ids: list[UUID]) -> int:
    """Bring the rollups up to date for these contacts; returns how many changed."""
    old = _stored(ids)
    new = dict(facts_of(Contact.objects.filter(pk__in=ids)))
    delta: Counter[tuple[Key, str]] = Counter()
    changed: list[ContactFact] = []
    for contact_id in ids:
        before, after = old.get(contact_id), new.get(contact_id)
        if before == after:
            continue
        if before is not None:
            delta.subtract(contribution(before))
        if after is not None:
            delta.update(contribution(after))
            changed.append(ContactFact(contact_id=contact_id, **asdict(after)))
        else:
            ContactFact.objects.filter(contact_id=contact_id).delete()
    if changed:
        ContactFact.objects.filter(contact_id__in=[c.contact_id for c in changed]).delete()
        ContactFact.objects.bulk_create(changed, batch_size=500)
    apply_delta(delta)
    return len([i for i in ids if old.get(i) != new.get(i)])


def rollups_refresh(now: dt.datetime | None = None) -> int:
    """The scheduler's job: apply every contact changed since the last scan. Returns how many
    contacts' contributions changed (or, while the first run rebuilds, how many it counted)."""
    with transaction.atomic():
        state = _locked_state()
        if state.watermark is not None:
            started = now or timezone.now()
            since = state.watermark - OVERLAP
            ids = list(
                Contact.objects.filter(updated_at__gte=since).order_by("pk").values_list("pk", flat=True)
            )
            changed = 0
            for start in range(0, len(ids), CHUNK):
                changed += _apply_contacts(ids[start : start + CHUNK])
            state.watermark = started
            state.save(update_fields=["watermark"])
            return changed
    return rollups_rebuild_gradually(REBUILD_BUDGET_SECONDS)


def _take_away_moved(lo: dt.date | None, hi: dt.date | None) -> None:
    """Ledger rows of contacts now in lo..hi but counted outside it (their arrival moved after
    their range was rebuilt): take their contribution away so the range counts them afresh."""
    contacts = Contact.objects.all()
    inside = Q()
    if lo is not None:
        contacts = contacts.filter(arrived_at__gte=moment(lo))
        inside &= Q(day__gte=lo)
    if hi is not None:
        contacts = contacts.filter(arrived_at__lt=moment(hi))
        inside &= Q(day__lt=hi)
    moved = ContactFact.objects.filter(contact_id__in=contacts.values("pk")).exclude(inside)
    delta: Counter[tuple[Key, str]] = Counter()
    names = fact_fields()
    for row in moved.values(*names):
        delta.subtract(contribution(Fact(**row)))
    if delta:
        apply_delta(delta)
        moved.delete()


def _clear() -> None:
    for model in (DailyRollup, MonthlyRollup, DailyAllRollup, MonthlyAllRollup, ContactFact):
        model._default_manager.all().delete()


def _rebuild_step(months: int) -> tuple[int, bool]:
    """One transaction of the gradual rebuild: (contacts counted, whether it is finished)."""
    with transaction.atomic():
        consistent_snapshot()
        state = _locked_state()
        if state.watermark is not None:
            return 0, True
        if state.rebuild_started is None:
            first = Contact.objects.order_by("arrived_at").values_list("arrived_at", flat=True).first()
            _clear()
            state.rebuild_started = timezone.now()
            state.rebuild_from = first.astimezone(local_zone()).date().replace(day=1) if first else None
        lo = state.rebuild_from
        count = 0
        if lo is not None:
            hi: dt.date | None = next_month(lo, months)
            if hi is not None and not Contact.objects.filter(arrived_at__gte=moment(hi)).exists():
                hi = None  # the last step takes everything after lo, arrivals of today included
            _take_away_moved(lo, hi)
            count = rebuild_range(lo, hi)
            state.rebuild_from = hi
        finished = state.rebuild_from is None
        if finished:
            state.watermark, state.rebuild_started = state.rebuild_started, None
        state.save(update_fields=["watermark", "rebuild_started", "rebuild_from"])
        return count, finished


def rollups_rebuild_gradually(budget_seconds: float, months: int = REBUILD_MONTHS) -> int:
    """Rebuild month by month until done or `budget_seconds` have passed; returns contacts counted."""
    deadline = time.monotonic() + budget_seconds
    total = 0
    while True:
        count, finished = _rebuild_step(months)
        total += count
        if finished or time.monotonic() >= deadline:
            return total


def rollups_rebuild() -> int:
    """Recompute the ledger and the rollups from raw contact rows at once, set-based. Returns how
    many contacts."""
    with transaction.atomic():
        consistent_snapshot()
        state = _locked_state()
        started = timezone.now()
        _clear()
        count = rebuild_range(None, None)
        state.watermark, state.rebuild_started, state.rebuild_from = started, None, None
        state.save(update_fields=["watermark", "rebuild_started", "rebuild_from"])
    return count
