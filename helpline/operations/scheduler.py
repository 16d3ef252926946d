"""The scheduler process: APScheduler runs each declared job on its interval, each in a pool thread
with its own database connection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from django.db import close_old_connections
from django.utils import timezone

from helpline.common.periodic import Periodic
from helpline.operations.leases import lease_release
from helpline.operations.runner import run_periodic, uses_leases


def _tick(job: Periodic, holder: str) -> None:
    # A pool thread lives as long as the scheduler: drop a connection that broke or grew old before
    # and after each run, as Django does around each request.
    close_old_connections()
    try:
        run_periodic(job, holder=holder)
    finally:
        close_old_connections()


def build_scheduler(jobs: Sequence[Periodic], *, holder: str) -> BackgroundScheduler:
    """Every job at once, then on its interval. A tick still running when the next is due is not
    run twice (max_instances=1), and ticks missed while the process was stalled run once."""
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=max(1, len(jobs)))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=dt.UTC,
    )
    start = timezone.now()
    for job in jobs:
        scheduler.add_job(
            _tick,
            IntervalTrigger(seconds=job.seconds, timezone=dt.UTC),
            args=(job, holder),
            id=job.name,
            name=job.name,
            next_run_time=start,
        )
    return scheduler


def release_all(jobs: Sequence[Periodic], *, holder: str) -> None:
    if uses_leases():
        for job in jobs:
            lease_release(job.name, holder=holder)
