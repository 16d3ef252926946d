"""Background work for reports, run by the django-tasks database worker: building a PDF asked for
on the dashboard. The page polls the document's progress while this runs."""

from __future__ import annotations

import logging
from uuid import UUID

from django.utils import timezone
from django_tasks import task

from helpline.reports.models_documents import DocumentStatus, ReportDocument
from helpline.reports.pdf import report_pdf
from helpline.reports.selectors import Period

log = logging.getLogger(__name__)


def _progress(document_id: UUID, percent: int) -> None:
    # A row update of its own (no transaction spans the build): the page sees each step at once.
    ReportDocument.objects.filter(pk=document_id).update(progress=percent)


@task()
def build_document(document_id: str) -> str:
    document = ReportDocument.objects.select_related("requested_by").filter(pk=UUID(document_id)).first()
    if document is None or document.status != DocumentStatus.QUEUED:
        return "skipped"
    ReportDocument.objects.filter(pk=document.pk).update(status=DocumentStatus.RUNNING, progress=5)
    try:
        pdf = report_pdf(
            document.requested_by,
            kind=document.kind,
            period=Period(document.period_start, document.period_end),
            language=document.language,
            publication=document.publication,
            progress=lambda percent: _progress(document.pk, percent),
        )
    except Exception:
        log.exception("report %s could not be built", document.pk)
        ReportDocument.objects.filter(pk=document.pk).update(
            status=DocumentStatus.FAILED, finished_at=timezone.now()
        )
        raise
    ReportDocument.objects.filter(pk=document.pk).update(
        status=DocumentStatus.DONE, progress=100, pdf=pdf, finished_at=timezone.now()
    )
    return "built"
