"""Report documents: asking for one (a service: the row and its audit event in one transaction, the
build queued on commit), reading them, and recording a download. Anyone who may see statistics may
ask for and read reports: they hold aggregates only. A monthly or annual PDF, or the CHI yearly
figures for publication (the suppression takes too long for a web request)."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from helpline.accounts.models import Staff
from helpline.accounts.principals import Principal
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.reports.chi import year_period
from helpline.reports.models_documents import DocumentKind, DocumentStatus, ReportDocument
from helpline.reports.pdf import LANGUAGES, report_period
from helpline.reports.selectors import Period, may_see_statistics
from helpline.reports.tasks import build_document


def documents_visible_to(viewer: Principal) -> QuerySet[ReportDocument]:
    return ReportDocument.objects.all() if may_see_statistics(viewer) else ReportDocument.objects.none()


def documents_recent(staff: Staff, *, count: int = 5) -> list[ReportDocument]:
    """The reports this person asked for last, newest first (without their PDFs)."""
    return list(documents_visible_to(staff).filter(requested_by=staff).defer("pdf")[:count])


def access_document(viewer: Principal, document_id: UUID) -> ReportDocument:
    """The document, or the same 404 whether it is missing or the viewer may not see it."""
    found = documents_visible_to(viewer).filter(pk=document_id).first()
    if found is None:
        raise Http404
    return found


def document_period(kind: str, year: int, month: int | None) -> Period:
    if kind == DocumentKind.CHI:
        return year_period(year)
    return report_period(kind, year, month if kind == DocumentKind.MONTHLY else None)


def document_request(
    staff: Staff,
    *,
    kind: str,
    year: int,
    month: int | None,
    language: str,
    publication: bool,
    request: HttpRequest | None = None,
) -> ReportDocument:
    """Ask for a report: recorded now, built by the worker (tasks.build_document). The CHI file is
    made for publication only, in English (as CHI reads it); the API serves the unsuppressed one."""
    if not may_see_statistics(staff):
        raise PermissionError("statistics refused")
    if kind not in DocumentKind.values or language not in LANGUAGES:
        raise ValueError("unknown report kind or language")
    if kind == DocumentKind.CHI and (language != "en" or not publication):
        raise ValueError("the CHI file is made for publication, in English")
    period = document_period(kind, year, month)
    if not period.begun:
        raise ValueError("a report's period must have begun")
    with transaction.atomic():
        document = ReportDocument.objects.create(
            kind=kind,
            period_start=period.start,
            period_end=period.end,
            language=language,
            publication=publication,
            requested_by=staff,
        )
        audit_record(
            staff,
            action=AuditAction.REPORT_PDF_GENERATE,
            record_type="report_document",
            record_id=document.pk,
            request=request,
            detail={
                "kind": kind,
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "language": language,
                "publication": publication,
            },
        )
        transaction.on_commit(lambda: build_document.enqueue(str(document.pk)))
    return document


def document_record_download(staff: Staff, document: ReportDocument, *, request: HttpRequest) -> None:
    if document.kind == DocumentKind.CHI:
        # The figures leave the server now: recorded as the API records the same file.
        audit_record(
            staff,
            action=AuditAction.REPORT_CHI_EXPORT,
            record_type="report_document",
            record_id=document.pk,
            request=request,
            detail={"year": document.period_start.year, "publication": document.publication, "format": "csv"},
        )
        return
    audit_record(
        staff,
        action=AuditAction.REPORT_PDF_DOWNLOAD,
        record_type="report_document",
        record_id=document.pk,
        request=request,
        detail={
            "kind": document.kind,
            "from": document.period_start.isoformat(),
            "publication": document.publication,
        },
    )


def document_is_ready(document: ReportDocument) -> bool:
    return document.status == DocumentStatus.DONE and bool(document.pdf)
