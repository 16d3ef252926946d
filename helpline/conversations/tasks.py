"""Background work for text channels, run by the django-tasks database worker."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from helpline.common.task_recovery import rerunnable
from helpline.conversations.outbox import deliver_due

TASK_PATH = "helpline.conversations.tasks.deliver_outbox"
# Safe to run again after a crash: each message is claimed before it is sent, and one whose send was
# cut off is shown as 'not known', never sent a second time (outbox.recover_stale).
rerunnable(TASK_PATH)


def _already_scheduled(before: dt.datetime) -> bool:
    """A ready run already waits (now, or before `before`): one is enough."""
    return DBTaskResult.objects.filter(
        Q(run_after__lte=before) | Q(run_after=get_date_max()),
        task_path=TASK_PATH,
        status=TaskResultStatus.READY,
    ).exists()


@task()
def deliver_outbox() -> dict[str, int]:
    """Send what is due; if something waits for a retry, come back when it is due (once)."""
    run = deliver_due()
    if run.next_due is not None:
        due = max(run.next_due, timezone.now())
        if not _already_scheduled(due):
            deliver_outbox.using(run_after=due).enqueue()
    return {"sent": run.sent, "retried": run.retried, "failed": run.failed}


def kick() -> None:
    """Ask the worker to send now, unless a run is already waiting to start."""
    if not _already_scheduled(timezone.now()):
        deliver_outbox.enqueue()
