"""Work on a partnership from the partner's page: assessments and documents, monitoring visits,
concerns and lifting a suspension. Each is a POST answered with a redirect to the page, or the
page again with the refused form and why (nothing written); a document's download is the one GET,
audited and sent as an attachment."""

from __future__ import annotations

from uuid import UUID

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.permissions import Permission
from helpline.common.body_limit import allow_upload
from helpline.referrals import forms_partners as forms
from helpline.referrals import partnership
from helpline.referrals.directory import PartnerError
from helpline.referrals.documents import MAX_DOCUMENT_BYTES
from helpline.referrals.models import MonitoringVisit
from helpline.referrals.selectors_partners import access_partner, access_partner_document
from helpline.referrals.views_partners import (
    partner_refused,
    put_error,
    staff_of,
    status_of,
    to_partner,
    unreadable,
)


@access(requires(Permission.PARTNERS_MANAGE))
@allow_upload(MAX_DOCUMENT_BYTES)
@require_POST
def assessment_add(request: HttpRequest, partner_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    partner = access_partner(staff, partner_id)
    form = forms.AssessmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return partner_refused(request, partner, unreadable(form), assessment_form=form)
    data = form.cleaned_data
    try:
        partnership.assessment_record(
            staff,
            partner=partner,
            assessed_on=data["assessed_on"],
            assessor=data["assessor"],
            outcome=data["outcome"],
            notes=data["notes"],
            upload=data["file"],
            document_title=data["document_title"],
            request=request,
        )
    except PartnerError as exc:
        put_error(form, exc)
        return partner_refused(request, partner, exc.message, status=status_of(exc), assessment_form=form)
    return to_partner(partner, "assessments")


@access(requires(Permission.PARTNERS_MANAGE))
@allow_upload(MAX_DOCUMENT_BYTES)
@require_POST
def document_add(request: HttpRequest, partner_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    partner = access_partner(staff, partner_id)
    assessments = list(partner.assessments.all())
    form = forms.DocumentForm(request.POST, request.FILES, assessments=assessments)
    if not form.is_valid():
        return partner_refused(request, partner, unreadable(form), document_form=form)
    chosen = form.cleaned_data["assessment"]
    assessment = next((a for a in assessments if str(a.pk) == chosen), None) if chosen else None
    try:
        partnership.document_add(
            staff,
            partner=partner,
            upload=form.cleaned_data["file"],
            title=form.cleaned_data["title"],
            assessment=assessment,
            request=request,
        )
    except PartnerError as exc:
        put_error(form, exc)
        return partner_refused(request, partner, exc.message, status=status_of(exc), document_form=form)
    return to_partner(partner, "documents")


@access(requires(Permission.PARTNERS_MANAGE))
@require_GET
def document_download(request: HttpRequest, partner_id: UUID, document_id: UUID) -> FileResponse:
    """The stored file, as an attachment (never shown in the page, whatever it holds), to those
    who keep the directory; who opened it goes on the audit trail."""
    staff = staff_of(request)
    document = access_partner_document(staff, partner_id, document_id)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:  # the row outlived its file (a restore)
        raise Http404 from exc
    partnership.document_opened(staff, document=document, request=request)
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@access(requires(Permission.PARTNERS_MANAGE))
@require_POST
def visit_plan(request: HttpRequest, partner_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    partner = access_partner(staff, partner_id)
    form = forms.VisitPlanForm(request.POST)
    if not form.is_valid():
        return partner_refused(request, partner, unreadable(form), plan_form=form)
    try:
        partnership.visit_plan(
            staff,
            partner=partner,
            due_on=form.cleaned_data["due_on"],
            owner=form.cleaned_data["owner"],
            request=request,
        )
    except PartnerError as exc:
        put_error(form, exc)
        return partner_refused(request, partner, exc.message, status=status_of(exc), plan_form=form)
    return to_partner(partner, "visits")


@access(requires(Permission.PARTNERS_MANAGE))
@require_POST
def visit_done(request: HttpRequest, partner_id: UUID, visit_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    partner = access_partner(staff, partner_id)
    visit = MonitoringVisit.objects.filter(pk=visit_id, partner=partner).first()
    if visit is None:
        raise Http404
    form = forms.VisitDoneForm(request.POST)
    if not form.is_valid():
        return partner_refused(request, partner, unreadable(form), done_form=form)
    try:
        partnership.visit_done(
            staff,
            visit=visit,
            done_on=form.cleaned_data["done_on"],
            findings=form.cleaned_data["findings"],
            request=request,
        )
    except PartnerError as exc:
        put_error(form, exc)
        return partner_refused(request, partner, exc.message, status=status_of(exc), done_form=form)
    return to_partner(partner, "visits")


@access(requires(Permission.PARTNERS))
@require_POST
def concern_add(request: HttpRequest, partner_id: UUID) -> HttpResponse:
    """Anyone who uses the directory records a concern (a child's feedback, a colleague's); a
    serious one suspends referrals to the partner at once."""
    staff = staff_of(request)
    partner = access_partner(staff, partner_id)
    form = forms.ConcernForm(request.POST)
    if not form.is_valid():
        return partner_refused(request, partner, unreadable(form), concern_form=form)
    try:
        partnership.concern_record(staff, partner=partner, request=request, **form.cleaned_data)
    except PartnerError as exc:
        put_error(form, exc)
        return partner_refused(request, partner, exc.message, status=status_of(exc), concern_form=form)
    return to_partner(partner, "concerns")


@access(requires(Permission.PARTNER_UNSUSPEND))
@require_POST
def suspension_lift(request: HttpRequest, partner_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    partner = access_partner(staff, partner_id)
    form = forms.LiftForm(request.POST)
    if not form.is_valid():
        return partner_refused(request, partner, unreadable(form), lift_form=form)
    try:
        partnership.suspension_lift(
            staff, partner=partner, reason=form.cleaned_data["reason"], request=request
        )
    except PartnerError as exc:
        put_error(form, exc)
        return partner_refused(request, partner, exc.message, status=status_of(exc), lift_form=form)
    return to_partner(partner, "suspensions")
