"""Run the periodic work the apps declare (offer expiry, chat sweeps, …) until stopped.

`manage.py serve` starts it as one of its children. Several may run against one PostgreSQL
database (one per machine, say): each tick of each job runs in one of them (see
helpline.operations.runner). `--once` runs every job one time and exits (for cron or a check).
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand

from helpline.operations.registry import periodic_jobs
from helpline.operations.runner import holder_name, run_periodic
from helpline.operations.scheduler import build_scheduler, release_all

log = logging.getLogger("helpline.operations")


class Command(BaseCommand):
    help = "Run the periodic jobs (offers, chat sweeps) until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = periodic_jobs()
        holder = holder_name()
        if options["once"]:
            for job in jobs:
                run_periodic(job, holder=holder)
            return
        scheduler = build_scheduler(jobs, holder=holder)
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            # Only a flag: the handler runs on the main thread wherever it is, possibly holding a
            # lock that stopping the scheduler would take.
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        scheduler.start()
        log.info("scheduler %s runs %s", holder, ", ".join(f"{j.name} every {j.seconds:g} s" for j in jobs))
        try:
            while not stopping:
                time.sleep(0.5)
        finally:
            scheduler.shutdown(wait=False)
            try:
                release_all(jobs, holder=holder)
            except Exception:  # the database is away: the leases simply run out
                log.warning("could not release the scheduler's leases", exc_info=True)
