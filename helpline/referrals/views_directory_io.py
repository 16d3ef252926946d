"""The directory as a spreadsheet: export (CSV or XLSX, the list's search applied) and import in
two steps — upload and read the report of what would be refused and why, then confirm to add the
good rows. The upload is kept server-side between the steps (a PartnerImport row)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.permissions import Permission
from helpline.common.body_limit import allow_upload
from helpline.referrals import directory_io
from helpline.referrals import forms_partners as forms
from helpline.referrals.directory import PartnerError
from helpline.referrals.models import PartnerImport
from helpline.referrals.selectors_partners import access_partner_import, directory_page
from helpline.referrals.views_partners import put_error, staff_of, status_of

_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@access(requires(Permission.PARTNERS_MANAGE))
@require_GET
def partner_export(request: HttpRequest, kind: str) -> HttpResponse:
    """The directory (as the list's search narrows it) as a file; who exported it is audited."""
    staff = staff_of(request)
    form = forms.PartnerFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return HttpResponse(_("The filters could not be read."), status=400, content_type="text/plain")
    # Retired partners stay out of the file: imported back, they would come in as partners.
    partners = list(directory_page(**form.search(), with_retired=False).prefetch_related("genders"))
    body = directory_io.export_xlsx(partners) if kind == "xlsx" else directory_io.export_csv(partners)
    directory_io.export_audit(staff, kind=kind, count=len(partners), request=request)
    response = HttpResponse(body, content_type=_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="partners.{kind}"'
    return response


def _upload_page(request: HttpRequest, form: forms.ImportForm, status: int = 200) -> HttpResponse:
    return render(request, "referrals/partner_import.html", {"form": form}, status=status)


@access(requires(Permission.PARTNERS_MANAGE))
@allow_upload(directory_io.MAX_IMPORT_BYTES)
@require_http_methods(["GET", "POST"])
def partner_import(request: HttpRequest) -> HttpResponse:
    """Upload a file: it is read and checked, and nothing goes in yet (the report asks)."""
    staff = staff_of(request)
    if request.method != "POST":
        return _upload_page(request, forms.ImportForm())
    form = forms.ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, 400)
    upload = form.cleaned_data["file"]
    if upload.size > directory_io.MAX_IMPORT_BYTES:
        form.add_error("file", _("The file is too large: at most 2 MB."))
        return _upload_page(request, form, 400)
    try:
        batch = directory_io.import_upload(staff, file_name=upload.name, data=upload.read(), request=request)
    except PartnerError as exc:
        put_error(form, exc)
        return _upload_page(request, form, status_of(exc))
    return redirect(reverse("referrals:partner_import_report", kwargs={"import_id": batch.pk}))


def _report(
    request: HttpRequest, batch: PartnerImport, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "batch": batch,
        "accepted": directory_io.accepted_shown(batch),
        "expired": directory_io.import_expired(batch),
        "error": error,
    }
    return render(request, "referrals/partner_import_report.html", context, status=status)


@access(requires(Permission.PARTNERS_MANAGE))
@require_GET
def partner_import_report(request: HttpRequest, import_id: UUID) -> HttpResponse:
    """Line by line: what would go in, what is refused and why; the button that confirms."""
    return _report(request, access_partner_import(staff_of(request), import_id))


@access(requires(Permission.PARTNERS_MANAGE))
@require_POST
def partner_import_confirm(request: HttpRequest, import_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    batch = access_partner_import(staff, import_id)
    try:
        directory_io.import_confirm(staff, batch=batch, request=request)
    except PartnerError as exc:
        batch.refresh_from_db()
        return _report(request, batch, error=exc.message, status=status_of(exc))
    return redirect(reverse("referrals:partner_import_report", kwargs={"import_id": batch.pk}))
