"""Replies never wait behind a report: report builds go on their own queue, and the worker `serve`
starts for replies does not take them (helpline/common/queues.py). Run with django-tasks-db's own
worker loop, as `manage.py worker` runs it, on tasks queued the way the app queues them."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from helpline.common import queues
from helpline.common.management.commands.serve import worker_children
from helpline.common.models import WorkerBeat
from helpline.common.task_recovery import beat, worker_alive
from helpline.conversations.sending import sending_state
from helpline.conversations.tasks import deliver_outbox
from helpline.reports.tasks import build_document
from tests.workers import run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)


def serve_worker_queues(name: str) -> list[str]:
    [child] = [child for child in worker_children("python") if child.name == name]
    argv = list(child.argv)
    return argv[argv.index("--queue-name") + 1].split(",")


def status(task_id: str) -> str:
    return DBTaskResult.objects.get(pk=task_id).status


def test_the_replies_worker_sends_while_a_report_queued_earlier_still_waits() -> None:
    report = build_document.enqueue(str(uuid.uuid4()))  # queued first: a lone worker would take it first
    reply = deliver_outbox.enqueue()
    assert DBTaskResult.objects.get(pk=report.id).queue_name == queues.REPORTS

    run_until_idle(serve_worker_queues("worker"))
    assert status(reply.id) == TaskResultStatus.SUCCESSFUL
    assert status(report.id) == TaskResultStatus.READY

    run_until_idle(serve_worker_queues("report worker"))
    assert status(report.id) == TaskResultStatus.SUCCESSFUL


def test_a_worker_started_without_a_queue_name_runs_every_queue() -> None:
    report = build_document.enqueue(str(uuid.uuid4()))
    reply = deliver_outbox.enqueue()
    run_until_idle([queues.EVERY])
    assert {status(report.id), status(reply.id)} == {TaskResultStatus.SUCCESSFUL}


def test_the_sending_warning_asks_for_a_replies_worker_not_any_worker() -> None:
    now = timezone.now()
    beat("reports-only", now, queues.REPORTS)
    assert worker_alive(queues.REPORTS) and not worker_alive(queues.DEFAULT)
    assert not sending_state(now).worker_running
    beat("replies", now, queues.DEFAULT)
    assert sending_state(now).worker_running
    WorkerBeat.objects.all().delete()
    beat("lone", now)  # a worker started without --queue-name serves both
    assert worker_alive(queues.REPORTS) and worker_alive(queues.DEFAULT)
