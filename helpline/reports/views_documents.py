"""Monthly and annual PDF reports, and the CHI yearly figures for publication: asked for on the
dashboard, built by the worker while the page polls a progress bar, then downloaded. Asking and
downloading are audited (documents.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.common.form_errors import SummaryLine, error_summary
from helpline.reports.documents import (
    access_document,
    document_period,
    document_record_download,
    document_request,
    documents_recent,
)
from helpline.reports.models_documents import PDF_KINDS, DocumentKind, DocumentStatus


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


# Django's own messages name the limit alone ("less than or equal to 12") and have no Khmer.
_YEAR = gettext_lazy("Give a year from 2000 to 2100.")
_MONTH = gettext_lazy("Choose a month from 1 to 12.")
# A report of a month or year to come would be built empty and read as "no contacts".
_MONTH_AHEAD = gettext_lazy("That month has not begun yet: choose this month or one before it.")
_YEAR_AHEAD = gettext_lazy("That year has not begun yet: choose this year or one before it.")


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Report"), choices=[(k.value, k.label) for k in PDF_KINDS])
    year = forms.IntegerField(
        label=gettext_lazy("Year"),
        min_value=2000,
        max_value=2100,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), _YEAR),
    )
    month = forms.IntegerField(
        label=gettext_lazy("Month (monthly report)"),
        min_value=1,
        max_value=12,
        required=False,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), _MONTH),
    )
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=[("km", "ខ្មែរ"), ("en", "English")])
    publication = forms.BooleanField(
        label=gettext_lazy("For publication (small counts hidden)"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Not when the month given was refused already: under "13" it reads as if none was given.
        if data.get("kind") == DocumentKind.MONTHLY and not data.get("month") and "month" not in self.errors:
            self.add_error("month", gettext_lazy("Choose the month."))
        self._refuse_ahead(data)
        return data

    def _refuse_ahead(self, data: dict[str, Any]) -> None:
        """A period that has not begun (Period.begun: document_request refuses it as well) is named
        where it was given: the year of an annual report, the month of a monthly one."""
        kind, year, month = data.get("kind"), data.get("year"), data.get("month")
        if year is None or kind not in PDF_KINDS or (kind == DocumentKind.MONTHLY and not month):
            return
        if not document_period(kind, year, month).begun:
            annual = kind == DocumentKind.ANNUAL
            self.add_error("year" if annual else "month", _YEAR_AHEAD if annual else _MONTH_AHEAD)

    @staticmethod
    def initial_for(staff: Staff, today: dt.date) -> dict[str, Any]:
        last_month = today.replace(day=1) - dt.timedelta(days=1)
        return {
            "kind": DocumentKind.MONTHLY,
            "year": last_month.year,
            "month": last_month.month,
            "language": staff.language if staff.language in ("km", "en") else "km",
        }


@access(requires(Permission.STATISTICS))
@require_http_methods(["GET", "POST"])
def document_new(request: HttpRequest) -> HttpResponse:
    """Ask for a report (POST). A form refused without script leaves the browser at this address,
    where a language switch, a reload or a bookmark comes back with GET: the same page, afresh."""
    staff = _staff(request)
    if request.method == "GET":
        form = DocumentForm(initial=DocumentForm.initial_for(staff, timezone.localdate()))
        page = {"document_form": form, "documents": documents_recent(staff)}
        return render(request, "reports/document_new.html", page)
    form = DocumentForm(request.POST)
    if not form.is_valid():
        context = {"document_form": form, "error_lines": error_summary(form)}
        if getattr(request, "htmx", False):
            # the form with its messages replaces itself (helpline.js swaps a retargeted refusal)
            response = render(request, "reports/_document_form.html", context, status=400)
            return reswap(retarget(response, "#document-form"), "outerHTML")
        context["documents"] = documents_recent(staff)
        return render(request, "reports/document_new.html", context, status=400)
    data = form.cleaned_data
    document = document_request(
        staff,
        kind=data["kind"],
        year=data["year"],
        month=data.get("month"),
        language=data["language"],
        publication=data["publication"],
        request=request,
    )
    if getattr(request, "htmx", False):
        return render(request, "reports/_document.html", {"document": document})
    return redirect("reports:document", document_id=document.pk)


@access(requires(Permission.STATISTICS))
@require_GET
def document(request: HttpRequest, document_id: UUID) -> HttpResponse:
    """A document's state: the progress bar (polled while it is built), then the download link."""
    found = access_document(_staff(request), document_id)
    template = "reports/_document.html" if getattr(request, "htmx", False) else "reports/document.html"
    return render(request, template, {"document": found})


@access(requires(Permission.STATISTICS))
@require_GET
def document_download(request: HttpRequest, document_id: UUID) -> HttpResponse:
    staff = _staff(request)
    found = access_document(staff, document_id)
    if found.status != DocumentStatus.DONE:
        return redirect("reports:document", document_id=found.pk)
    document_record_download(staff, found, request=request)
    response = HttpResponse(bytes(found.pdf), content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response


class ChiPublicationForm(forms.Form):
    """The year of the CHI figures for publication (a hidden field beside each year's links)."""

    year = forms.IntegerField(
        min_value=2000,
        max_value=2100,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), _YEAR),
    )

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        if not document_period(DocumentKind.CHI, year, None).begun:
            raise forms.ValidationError(_YEAR_AHEAD)
        return year


@access(requires(Permission.STATISTICS))
@require_POST
def chi_publication_new(request: HttpRequest) -> HttpResponse:
    """Ask for the CHI figures for publication: the reader lands on the document's page, which
    shows the file being prepared and then offers it (suppressing every section takes too long to
    do while the browser waits)."""
    form = ChiPublicationForm(request.POST)
    if not form.is_valid():
        lines = [SummaryLine("", "", [str(m) for m in form.errors.get("year", [])])]
        return render(request, "reports/chi_refused.html", {"error_lines": lines}, status=400)
    document = document_request(
        _staff(request),
        kind=DocumentKind.CHI,
        year=form.cleaned_data["year"],
        month=None,
        language="en",
        publication=True,
        request=request,
    )
    return redirect("reports:document", document_id=document.pk)
