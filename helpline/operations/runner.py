"""Running one tick of a periodic job: on PostgreSQL only the process holding the job's lease runs
it; on SQLite the single server's scheduler runs it (SQLite serves one machine, one `serve`)."""

from __future__ import annotations

import logging
import os
import socket
import uuid

from django.db import connection
from django.utils import timezone

from helpline.common.outage import database_unavailable
from helpline.common.periodic import Periodic
from helpline.operations.leases import lease_mark_ran, lease_take

log = logging.getLogger("helpline.operations")

# A holder that stops renewing is replaced after this many of its job's intervals (at least
# MIN_LEASE_SECONDS): long enough that a slow tick does not hand the job over, short enough that a
# dead process's offers still run out on time.
LEASE_INTERVALS = 3
MIN_LEASE_SECONDS = 10.0


def holder_name() -> str:
    """This process, told apart from every other (a restarted process on the same pid included)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_seconds(job: Periodic) -> float:
    return max(job.seconds * LEASE_INTERVALS, MIN_LEASE_SECONDS)


def uses_leases() -> bool:
    return connection.vendor == "postgresql"


def run_periodic(job: Periodic, *, holder: str) -> bool:
    """One tick of `job`; whether this process ran it. A failure is logged and the next tick tries
    again: the scheduler itself never stops for one (a database outage included)."""
    try:
        if uses_leases() and not lease_take(
            job.name, holder=holder, seconds=lease_seconds(job), now=timezone.now()
        ):
            return False
        if not uses_leases():
            lease_mark_ran(job.name, holder=holder, now=timezone.now())
        job.function()
        return True
    except Exception as exc:
        if database_unavailable(exc):
            log.warning("database unavailable; %s runs again on its next tick", job.name)
        else:
            log.exception("periodic job %s failed", job.name)
        return False
