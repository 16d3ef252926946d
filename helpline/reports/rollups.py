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
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from helpline.contacts.models import Contact
from helpline.reports.facts import Fact, Key, contribution, fact_fields, facts_of
from helpline.reports.models import ContactFact, DailyRollup, RollupState

OVERLAP = dt.timedelta(minutes=10)
CHUNK = 2000


def _locked_state() -> RollupState:
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update().get(pk=1)


def _stored(ids: Iterable[UUID]) -> dict[UUID, Fact]:
    names = fact_fields()
    return {
        row["contact_id"]: Fact(**{n: row[n] for n in names})
        for row in ContactFact.objects.filter(contact_id__in=list(ids)).values("contact_id", *names)
    }


def _apply(delta: Counter[tuple[Key, str]]) -> None:
    """Add a delta to the rollup rows: update the row, or create it; drop rows that reach zero."""
    rows: dict[Key, list[int]] = {}
    for (key, measure), amount in delta.items():
        if amount:
            rows.setdefault(key, [0, 0])[0 if measure == "n" else 1] += amount
    for (day, channel, dimension, value), (n, w) in rows.items():
        if not n and not w:
            continue
        match = DailyRollup.objects.filter(day=day, channel=channel, dimension=dimension, value=value)
        if not match.update(contacts=F("contacts") + n, wait_seconds=F("wait_seconds") + w):
            DailyRollup.objects.create(
                day=day, channel=channel, dimension=dimension, value=value, contacts=n, wait_seconds=w
            )
        elif n < 0:
            match.filter(contacts=0).delete()


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
    _apply(delta)
    return len([i for i in ids if old.get(i) != new.get(i)])


def rollups_refresh(now: dt.datetime | None = None) -> int:
    """The scheduler's job: apply every contact changed since the last scan. Returns how many
    contacts' contributions changed. The first run ever rebuilds from raw rows."""
    with transaction.atomic():
        state = _locked_state()
        if state.watermark is None:
            return rollups_rebuild()
        started = now or timezone.now()
        since = state.watermark - OVERLAP
        ids = list(Contact.objects.filter(updated_at__gte=since).order_by("pk").values_list("pk", flat=True))
        changed = 0
        for start in range(0, len(ids), CHUNK):
            changed += _apply_contacts(ids[start : start + CHUNK])
        state.watermark = started
        state.save(update_fields=["watermark"])
    return changed


def rollups_rebuild() -> int:
    """Recompute the ledger and the rollups from raw contact rows. Returns how many contacts."""
    with transaction.atomic():
        state = _locked_state()
        started = timezone.now()
        DailyRollup.objects.all().delete()
        ContactFact.objects.all().delete()
        total: Counter[tuple[Key, str]] = Counter()
        batch: list[ContactFact] = []
        count = 0
        for contact_id, fact in facts_of(Contact.objects.all(), chunk=CHUNK):
            total.update(contribution(fact))
            batch.append(ContactFact(contact_id=contact_id, **asdict(fact)))
            count += 1
            if len(batch) >= CHUNK:
                ContactFact.objects.bulk_create(batch, batch_size=500)
                batch = []
        ContactFact.objects.bulk_create(batch, batch_size=500)
        rows: dict[Key, DailyRollup] = {}
        for ((day, channel, dimension, value), measure), amount in total.items():
            row = rows.get((day, channel, dimension, value))
            if row is None:
                row = rows[(day, channel, dimension, value)] = DailyRollup(
                    day=day, channel=channel, dimension=dimension, value=value
                )
            if measure == "n":
                row.contacts += amount
            else:
                row.wait_seconds += amount
        DailyRollup.objects.bulk_create(rows.values(), batch_size=1000)
        state.watermark = started
        state.save(update_fields=["watermark"])
    return count
