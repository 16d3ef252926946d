"""Tasks cut off with their worker (kill -9, a power cut, the machine lost) stay 'running' in
django-tasks' table for ever: nobody finishes them and nothing runs them again. Each worker beats
(helpline/common/management/commands/worker.py); the scheduler gives a task whose worker stopped
beating one more run if its task says it is safe to run again, and marks it failed otherwise, or
when it was cut off twice. "Safe to run again" is the task's own promise: the outbox claims each
message before sending it and never sends one twice, so a second run sends only what the first did
not reach."""

from __future__ import annotations

import datetime as dt
import logging
from importlib import import_module

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from helpline.common.models import WorkerBeat
from helpline.common.queues import serves

log = logging.getLogger("helpline.worker")

BEAT_SECONDS = 5.0
# A worker unheard of for this long is gone (six missed beats: a busy database is not a death).
LOST_AFTER = dt.timedelta(seconds=30)
# A task is run at most this many times in all: the first run and one more after a crash.
MAX_RUNS = 2
# Finished task rows are kept this long and then deleted (every outbox delivery and report build
# leaves one; nothing reads them after): a week for those that succeeded, a month for the failed
# ones, which /metrics counts by type and an IT volunteer may want to read.
KEEP_SUCCEEDED = dt.timedelta(days=7)
KEEP_FAILED = dt.timedelta(days=30)
PRUNE_BATCH = 5000  # rows a delete at most, so a long backlog never holds one long lock

_RERUNNABLE: set[str] = set()

# A task given up (marked failed here), sent inside the same transaction with sender=its task path
# and args, kwargs: the app that queued it marks its own record failed too, or a page showing that
# record's progress (a report being built) would wait for ever. Receivers compare the path (a
# Signal matches a sender by id(), never an equal string). The task's module is imported first
# (may_run_again), so a receiver written beside the task is connected in any process that recovers.
task_given_up = Signal()


def rerunnable(task_path: str) -> None:
    """Declare that the task at `task_path` may run again after its worker died mid-run."""
    _RERUNNABLE.add(task_path)


def may_run_again(task_path: str) -> bool:
    """Whether the task declared itself safe to run again; its module (ours only) is imported first,
    since the process asking (the scheduler) may never have loaded it."""
    module = task_path.rpartition(".")[0]
    if module.startswith("helpline."):
        try:
            import_module(module)
        except ImportError:
            return False
    return task_path in _RERUNNABLE


def beat(worker_id: str, started_at: dt.datetime, queues: str = "*") -> None:
    defaults = {"seen_at": timezone.now(), "started_at": started_at, "queues": queues}
    WorkerBeat.objects.update_or_create(worker_id=worker_id, defaults=defaults)


def beat_stop(worker_id: str) -> None:
    WorkerBeat.objects.filter(worker_id=worker_id).delete()


def worker_alive(queue: str, now: dt.datetime | None = None) -> bool:
    """Whether a worker that takes tasks of `queue` beat within LOST_AFTER."""
    now = now or timezone.now()
    beating = WorkerBeat.objects.filter(seen_at__gte=now - LOST_AFTER).values_list("queues", flat=True)
    return any(serves(names, queue) for names in beating)


def recover_orphaned_tasks() -> dict[str, int]:
    """Tasks running on a worker that stopped beating: run again once, or failed. Each change is a
    conditional update on the row still 'running' for the same workers, so two schedulers (or a
    worker finishing late) never recover one task twice."""
    now = timezone.now()
    alive = set(WorkerBeat.objects.filter(seen_at__gte=now - LOST_AFTER).values_list("worker_id", flat=True))
    rerun = failed = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=now - LOST_AFTER)
    for result in running.only("id", "task_path", "worker_ids", "args_kwargs"):
        workers = list(result.worker_ids or [])
        if workers and workers[-1] in alive:
            continue
        same = DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING, worker_ids=workers)
        with transaction.atomic():
            if may_run_again(result.task_path) and len(workers) < MAX_RUNS:
                rerun += same.update(status=TaskResultStatus.READY, run_after=now, started_at=None)
            else:
                given_up = same.update(
                    status=TaskResultStatus.FAILED,
                    finished_at=now,
                    exception_class_path="helpline.common.task_recovery.WorkerLost",
                    traceback="The worker stopped while running this task.",
                )
                if given_up:
                    called = result.args_kwargs or {}
                    task_given_up.send(
                        sender=result.task_path, args=called.get("args", []), kwargs=called.get("kwargs", {})
                    )
                failed += given_up
    WorkerBeat.objects.filter(seen_at__lt=now - 10 * LOST_AFTER).delete()
    if rerun or failed:
        log.warning("tasks cut off by a stopped worker: %d run again, %d marked failed", rerun, failed)
    return {"rerun": rerun, "failed": failed}


def finished_tasks_prune() -> int:
    """Delete finished task rows older than KEEP_SUCCEEDED / KEEP_FAILED, in batches; the number
    deleted. Rows waiting or running are never touched."""
    now = timezone.now()
    deleted = 0
    kept_for = ((TaskResultStatus.SUCCESSFUL, KEEP_SUCCEEDED), (TaskResultStatus.FAILED, KEEP_FAILED))
    for status, keep in kept_for:
        old = DBTaskResult.objects.filter(status=status, finished_at__lt=now - keep).order_by()
        while batch := list(old.values_list("pk", flat=True)[:PRUNE_BATCH]):
            deleted += DBTaskResult.objects.filter(pk__in=batch).delete()[0]
    return deleted
