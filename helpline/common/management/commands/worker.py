"""The background worker (django-tasks' database worker) that rides out a database outage.

django-tasks-db's `db_worker` exits on the first error from the database; `serve` would start it
again, but only after its back-off. This one waits for the database instead (away, or on SQLite
locked by another process's writer for longer than the busy timeout), trying again every
RETRY_FIRST..RETRY_MAX seconds, and goes on with the tasks within seconds of its return. Its
options are db_worker's, less --reload and --batch (a worker for `serve` and production).

While it runs it beats (helpline/common/task_recovery.py), so that a task it was running when it
was killed is recovered by the scheduler instead of staying 'running' for ever.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from helpline.common.outage import database_unavailable
from helpline.common.queues import EVERY
from helpline.common.task_recovery import BEAT_SECONDS, beat, beat_stop

log = logging.getLogger("helpline.worker")

RETRY_FIRST, RETRY_MAX = 0.5, 5.0
# A run that lasted this long reached the database: the next outage starts again at RETRY_FIRST.
SETTLED_SECONDS = 30.0


class SteadyWorker(Worker):
    def beat_forever(self, stop: threading.Event) -> None:
        started_at = timezone.now()
        while not stop.is_set():
            try:
                beat(self.worker_id, started_at, ",".join(self.queue_names))
            except Exception as exc:  # an outage: the next beat tries again
                log.debug("worker beat not recorded: %s", exc)
            finally:
                connections.close_all()  # this thread's own connections only
            stop.wait(BEAT_SECONDS)

    def run(self) -> None:
        stop = threading.Event()
        beating = threading.Thread(target=self.beat_forever, args=(stop,), name="worker-beat", daemon=True)
        beating.start()
        try:
            self.run_steadily()
        finally:
            stop.set()
            beating.join(timeout=BEAT_SECONDS)
            try:
                beat_stop(self.worker_id)
            except Exception as exc:
                log.debug("worker beat not removed: %s", exc)

    def run_steadily(self) -> None:
        delay = RETRY_FIRST
        while self.running:
            started = time.monotonic()
            try:
                super().run()
                return
            except Exception as exc:
                if not database_unavailable(exc):
                    raise
                if time.monotonic() - started >= SETTLED_SECONDS:
                    delay = RETRY_FIRST
                log.warning("database unavailable; the worker tries again in %.1f s (%s)", delay, exc)
                close_old_connections()  # the broken connection goes back to the pool, which drops it
                time.sleep(delay)  # SIGTERM here ends the worker at once (db_worker's handler)
                delay = min(delay * 2, RETRY_MAX)


class Command(DbWorkerCommand):
    help = "Run the background worker; it waits out a database outage instead of exiting."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        # Started without --queue-name, a worker serves every queue, so a deployment that runs one
        # worker loses no task; `serve` and the units run one per queue (helpline/common/queues.py).
        parser.set_defaults(queue_name=EVERY)

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        worker = SteadyWorker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=False,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=[q for q in options["exclude_queues"].split(",") if q],
        )
        worker.configure_signals()
        worker.run()
