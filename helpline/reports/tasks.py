"""Background work for reports, run by the django-tasks database worker: building a PDF or the CHI
file for publication asked for on the dashboard. The page polls the document's progress while this
runs."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from uuid import UUID

from django.dispatch import receiver
from django.utils import timezone
from django_tasks import task

from helpline.common import queues
from helpline.common.task_recovery import rerunnable, task_given_up
from helpline.reports.chi import chi_csv
from helpline.reports.models_documents import DocumentKind, DocumentStatus, ReportDocument
from helpline.reports.pdf import report_pdf
from helpline.reports.selectors import Period

log = logging.getLogger(__name__)

TASK_PATH = "helpline.reports.tasks.build_document"
# Safe to run again after its worker was killed: a build writes nothing but its own document's row
# (progress, then the file in one update), so a second run starts the build over and finishes it once.
rerunnable(TASK_PATH)
UNFINISHED = (DocumentStatus.QUEUED, DocumentStatus.RUNNING)
# A build takes seconds to a few minutes; a document still unfinished this long after it was asked
# for was lost some other way (its task row removed, a worker down for hours, a build cut off before
# task_given_up existed). Its page says so and the reader can ask again.
ABANDONED_AFTER = dt.timedelta(hours=6)


def _progress(document_id: UUID, percent: int) -> None:
    # A row update of its own (no transaction spans the build): the page sees each step at once,
    # and when the last one was (a bar unmoved for a while says it waits for the worker).
    ReportDocument.objects.filter(pk=document_id).update(progress=percent, updated_at=timezone.now())


# The CHI suppression reports every solve (many a second): the row is written on a new percentage,
# or else this often, well inside STILL_AFTER.
PROGRESS_EVERY = dt.timedelta(seconds=3)


def _built(document: ReportDocument) -> bytes:
    last: list[tuple[int, dt.datetime]] = []

    def progress(percent: int) -> None:
        now = timezone.now()
        if not last or last[0][0] != percent or now - last[0][1] >= PROGRESS_EVERY:
            last[:] = [(percent, now)]
            _progress(document.pk, percent)

    if document.kind == DocumentKind.CHI:
        year = document.period_start.year
        return chi_csv(document.requested_by, year, publication=True, progress=progress).encode()
    return report_pdf(
        document.requested_by,
        kind=document.kind,
        period=Period(document.period_start, document.period_end),
        language=document.language,
        publication=document.publication,
        progress=progress,
    )


# On a queue of its own: a build can take minutes, and the default queue's worker sends replies.
@task(queue_name=queues.REPORTS)
def build_document(document_id: str) -> str:
    """Queued: build it. Running: a run cut off with its worker (the scheduler runs the task once
    more, helpline.common.task_recovery): build it again from the start. Done or failed: nothing."""
    document = ReportDocument.objects.select_related("requested_by").filter(pk=UUID(document_id)).first()
    if document is None or document.status not in UNFINISHED:
        return "skipped"
    if not ReportDocument.objects.filter(pk=document.pk, status__in=UNFINISHED).update(
        status=DocumentStatus.RUNNING, progress=5, updated_at=timezone.now()
    ):
        return "skipped"
    try:
        built = _built(document)
    except Exception:
        log.exception("report %s could not be built", document.pk)
        ReportDocument.objects.filter(pk=document.pk).update(
            status=DocumentStatus.FAILED, finished_at=timezone.now()
        )
        raise
    ReportDocument.objects.filter(pk=document.pk, status=DocumentStatus.RUNNING).update(
        status=DocumentStatus.DONE, progress=100, pdf=built, finished_at=timezone.now()
    )
    return "built"


@receiver(task_given_up, dispatch_uid="reports-build-given-up")  # by path: a sender string is matched by id()
def build_given_up(sender: str, args: list[Any], kwargs: dict[str, Any], **_: Any) -> None:
    """Its worker was killed twice (or the task row says no more runs): the page says the report
    could not be prepared, instead of polling a progress bar that never moves."""
    if sender != TASK_PATH:
        return
    document_id = (args or [kwargs.get("document_id")])[0]
    if document_id:
        ReportDocument.objects.filter(pk=UUID(str(document_id)), status__in=UNFINISHED).update(
            status=DocumentStatus.FAILED, finished_at=timezone.now()
        )


def documents_abandoned_fail() -> int:
    """Documents asked for more than ABANDONED_AFTER ago and still unfinished: failed, so no page
    polls them for ever. A task that still runs them later finds them failed and builds nothing."""
    return ReportDocument.objects.filter(
        status__in=UNFINISHED, created_at__lt=timezone.now() - ABANDONED_AFTER
    ).update(status=DocumentStatus.FAILED, finished_at=timezone.now())
