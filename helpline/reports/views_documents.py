"""Monthly and annual PDF reports: asked for on the dashboard, built by the worker while the page
polls a progress bar, then downloaded. Asking and downloading are audited (documents.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.common.form_errors import error_summary
from helpline.reports.documents import (
    access_document,
    document_record_download,
    document_request,
    documents_recent,
)
from helpline.reports.models_documents import DocumentKind, DocumentStatus


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
    kind = forms.ChoiceField(label=gettext_lazy("Report"), choices=DocumentKind.choices)
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
        self._refuse_ahead(data, timezone.localdate())
        return data

    def _refuse_ahead(self, data: dict[str, Any], today: dt.date) -> None:
        """A period that has not begun in the helpline's own time zone is refused (document_request
        refuses it as well); the month or year is named where it was given."""
        year, month = data.get("year"), data.get("month")
        if year is None:
            return
        if data.get("kind") == DocumentKind.ANNUAL and year > today.year:
            self.add_error("year", _YEAR_AHEAD)
        elif data.get("kind") == DocumentKind.MONTHLY and month and (year, month) > (today.year, today.month):
            self.add_error("month", _MONTH_AHEAD)

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
    response = HttpResponse(bytes(found.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    return response
