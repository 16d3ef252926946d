"""Taking a job's lease: one conditional UPDATE, so two processes racing for the same tick cannot
both win (PostgreSQL re-checks the condition after waiting on the row lock; SQLite writes one at a
time)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from helpline.operations.models import JobLease

NEVER = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def lease_take(name: str, *, holder: str, seconds: float, now: dt.datetime) -> bool:
    """Whether `holder` may run job `name` now: it holds the lease already, or the lease ran out.
    Taking it also counts the run."""
    until = now + dt.timedelta(seconds=seconds)
    taken = (
        JobLease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(expires_at__lte=now))
        .update(holder=holder, expires_at=until, ran_at=now, runs=F("runs") + 1)
    )
    if taken:
        return True
    try:
        with transaction.atomic():
            JobLease.objects.create(name=name, holder=holder, expires_at=until, ran_at=now, runs=1)
    except IntegrityError:
        return False  # there is a row: someone else holds the lease
    return True


def lease_release(name: str, *, holder: str) -> None:
    """A scheduler that stops lets another take its jobs at once instead of after the lease."""
    JobLease.objects.filter(name=name, holder=holder).update(expires_at=NEVER)


def lease_mark_ran(name: str, *, holder: str, now: dt.datetime) -> None:
    """Without leases (SQLite: one scheduler) still note each run, for the scheduler's lag on /metrics."""
    if not JobLease.objects.filter(name=name).update(holder=holder, ran_at=now, runs=F("runs") + 1):
        JobLease.objects.get_or_create(
            name=name, defaults={"holder": holder, "expires_at": now, "ran_at": now}
        )
