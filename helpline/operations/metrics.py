"""The figures a Prometheus server scrapes from /metrics, read from the database at each scrape.

Counts and ages only: no id, no text, no address. Each figure is read where every process sees it
(the database), so any application process answers for the whole installation; only the error
tally is per process (each process is scraped on its own, as Prometheus does with every target).
Written with prometheus_client's custom-collector interface on a registry of its own, so nothing
else a library registers globally leaks out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Case, Count, F, Min, Q, When
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from helpline.common import queues
from helpline.common.logs import ErrorTally
from helpline.common.task_recovery import worker_alive
from helpline.contacts.models import Channel
from helpline.conversations.models import Conversation, DeliveryStatus, Message
from helpline.conversations.models import Direction as MessageDirection
from helpline.operations.models import JobLease
from helpline.operations.registry import periodic_jobs
from helpline.routing.selectors import waiting_queue

BACKLOG = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


def _age(now: dt.datetime, then: dt.datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then else 0.0


def _queue(now: dt.datetime) -> Iterator[Metric]:
    waiting = GaugeMetricFamily(
        "helpline_queue_waiting", "Contacts waiting for an answer", labels=["channel"]
    )
    by_channel = dict(waiting_queue().order_by().values_list("channel").annotate(n=Count("id")))
    for channel in Channel:
        waiting.add_metric([channel.value], by_channel.get(channel.value, 0))
    yield waiting
    oldest = waiting_queue().order_by().aggregate(first=Min("arrived_at"))["first"]
    yield GaugeMetricFamily(
        "helpline_queue_longest_wait_seconds",
        "How long the longest-waiting contact has waited",
        _age(now, oldest),
    )


def _conversations(now: dt.datetime) -> Iterator[Metric]:
    active = GaugeMetricFamily(
        "helpline_conversations_active", "Open SMS and chat conversations", labels=["channel"]
    )
    for channel, n in (
        Conversation.objects.filter(is_open=True).order_by().values_list("channel").annotate(n=Count("id"))
    ):
        active.add_metric([channel], n)
    yield active
    backlog = Message.objects.filter(direction=MessageDirection.OUTBOUND, status__in=BACKLOG)
    figures = backlog.order_by().aggregate(n=Count("id"), first=Min("created_at"))
    yield GaugeMetricFamily("helpline_outbox_backlog", "Replies waiting to be sent", figures["n"])
    yield GaugeMetricFamily(
        "helpline_outbox_oldest_seconds",
        "Age of the oldest reply waiting to be sent",
        _age(now, figures["first"]),
    )


def _scheduler(now: dt.datetime) -> Iterator[Metric]:
    lag = GaugeMetricFamily(
        "helpline_scheduler_lag_seconds",
        "How far each periodic job is behind its interval (0: on time; never run: since the epoch)",
        labels=["job"],
    )
    ran = dict(JobLease.objects.values_list("name", "ran_at"))
    for job in periodic_jobs():
        last = ran.get(job.name)
        behind = _age(now, last) - job.seconds if last else now.timestamp()
        lag.add_metric([job.name], max(0.0, behind))
    yield lag


def _worker(now: dt.datetime) -> Iterator[Metric]:
    # A task queued to run at once is stored with run_after at the end of time (django-tasks-db's
    # ready()): it has waited since it was queued; a delayed one since it fell due.
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY).filter(
        Q(run_after=get_date_max()) | Q(run_after__lte=now)
    )
    waiting_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    by_queue = {
        row["queue_name"]: row
        for row in ready.order_by().values("queue_name").annotate(n=Count("id"), first=Min(waiting_since))
    }
    # Each queue has its own worker (helpline/common/queues.py): a lag on "default" is replies
    # waiting, on "reports" a report build waiting, and one can stall while the other runs.
    backlog = GaugeMetricFamily(
        "helpline_worker_queue", "Background tasks due and not yet started, by queue", labels=["queue"]
    )
    lag = GaugeMetricFamily(
        "helpline_worker_lag_seconds",
        "How long the oldest due background task has waited, by queue",
        labels=["queue"],
    )
    for queue in sorted(set(queues.ALL) | set(by_queue)):
        row = by_queue.get(queue, {"n": 0, "first": None})
        backlog.add_metric([queue], row["n"])
        lag.add_metric([queue], _age(now, row["first"]))
    yield backlog
    yield lag
    alive = GaugeMetricFamily(
        "helpline_worker_up",
        "Whether a worker serving the queue beat within 30 seconds (1) or not (0)",
        labels=["queue"],
    )
    for queue in queues.ALL:
        alive.add_metric([queue], 1.0 if worker_alive(queue, now) else 0.0)
    yield alive
    failed = GaugeMetricFamily(
        "helpline_worker_failed_tasks", "Background tasks that failed, by exception type", labels=["type"]
    )
    for path, n in (
        DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
        .order_by()
        .values_list("exception_class_path")
        .annotate(n=Count("id"))
    ):
        failed.add_metric([path.rsplit(".", 1)[-1] or "unknown"], n)
    yield failed


def _errors() -> Iterator[Metric]:
    errors = CounterMetricFamily(
        "helpline_errors", "Errors logged by this process, by area and type", labels=["area", "type"]
    )
    for (area, kind), n in sorted(ErrorTally.snapshot().items()):
        errors.add_metric([area, kind], n)
    yield errors
    delivery = GaugeMetricFamily(
        "helpline_outbox_failed", "Replies that could not be delivered, by outcome", labels=["status"]
    )
    for status in (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN):
        delivery.add_metric(
            [status.value], Message.objects.filter(direction=MessageDirection.OUTBOUND, status=status).count()
        )
    yield delivery


class HelplineCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        yield from _queue(now)
        yield from _conversations(now)
        yield from _scheduler(now)
        yield from _worker(now)
        yield from _errors()


def metrics_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HelplineCollector())
    return registry
