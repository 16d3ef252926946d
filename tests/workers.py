"""Run queued background tasks in the test, with django-tasks-db's own worker loop (as
`manage.py worker` runs it) until nothing the worker serves is ready."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Worker

from helpline.common import queues


def run_until_idle(queue_names: list[str], worker_id: str = "test-worker") -> None:
    Worker(
        queue_names=queue_names,
        interval=0,
        batch=True,  # returns once nothing it serves is ready
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


def run_replies_worker() -> None:
    """The default queue's worker: SMS and chat replies, partner-link emails."""
    run_until_idle([queues.DEFAULT], "replies-test")


def run_reports_worker() -> None:
    """The reports queue's worker: report builds."""
    run_until_idle([queues.REPORTS], "reports-test")
