"""Confidentiality breaks, closing and reopening, the supervision board and its settings."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.permissions import Permission
from helpline.cases import breaks, forms, selectors, supervision
from helpline.cases.models import Case, ConfidentialityBreak, SignOff
from helpline.cases.services import CaseError
from helpline.cases.views import (
    audit_case_part,
    break_edit_form,
    form_refused,
    item_ids,
    refused,
    staff_of,
    to_case,
)


def _facts(form: forms.BreakForm) -> breaks.BreakFacts:
    data = form.cleaned_data
    return breaks.BreakFacts(
        reason=data["reason"],
        disclosed=data["disclosed"],
        recipient_kind=data["recipient_kind"],
        recipient=data["recipient"],
        disclosed_at=data["disclosed_at"],
        client_told_first=data["client_told_first"],
        not_told_why=data["not_told_why"],
        decided_by=data["decided_by"],
    )


def _break_of(case: Case, break_id: UUID) -> ConfidentialityBreak:
    found = ConfidentialityBreak.objects.filter(case=case, pk=break_id).first()
    if found is None:
        raise Http404
    return found


@access(requires(Permission.CASES))
@require_POST
def break_add(request: HttpRequest, case_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    form = forms.BreakForm(request.POST)
    if not form.is_valid():
        return form_refused(request, case, form)
    try:
        breaks.break_record(staff, case=case, facts=_facts(form), request=request)
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    return to_case(case, "breaks")


@access(requires(Permission.CASES))
@require_http_methods(["GET"])
def break_edit(request: HttpRequest, case_id: UUID, break_id: UUID) -> HttpResponse:
    """The form that edits (or corrects) one break: what the case page's "Edit" fetches when it is
    opened (htmx), or a page of its own without script."""
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    brk = _break_of(case, break_id)
    audit_case_part(staff, case, request, "break")
    context = {"case": case, "b": brk, "form": break_edit_form(staff, brk), "approved": SignOff.APPROVED}
    template = "cases/_break_edit.html" if getattr(request, "htmx", False) else "cases/break_edit.html"
    return render(request, template, context)


@access(requires(Permission.CASES))
@require_POST
def break_change(request: HttpRequest, case_id: UUID, break_id: UUID) -> HttpResponse:
    """Edit a break awaiting sign-off or questioned; an approved one gets a correction instead."""
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    brk = _break_of(case, break_id)
    form = forms.BreakForm(request.POST, auto_id=item_ids(forms.BreakForm, brk.pk))
    if not form.is_valid():
        return form_refused(request, case, form, brk=brk.pk)
    try:
        if request.POST.get("correction"):
            breaks.break_correct(staff, brk=brk, facts=_facts(form), request=request)
        else:
            breaks.break_edit(staff, brk=brk, facts=_facts(form), request=request)
    except CaseError as exc:
        return refused(request, case, exc, form=form, brk=brk.pk)
    return to_case(case, "breaks")


@access(requires(Permission.CASE_SUPERVISE))
@require_POST
def break_sign_off(request: HttpRequest, case_id: UUID, break_id: UUID) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    brk = _break_of(case, break_id)
    form = forms.SignOffForm(request.POST, auto_id=item_ids(forms.SignOffForm, brk.pk))
    if not form.is_valid():
        return form_refused(request, case, form)
    try:
        breaks.break_sign_off(
            staff,
            brk=brk,
            approve=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data["comment"],
            request=request,
        )
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    return to_case(case, "breaks")


def _reasoned(request: HttpRequest, case_id: UUID, action: str) -> HttpResponse:
    staff = staff_of(request)
    case = selectors.access_case(staff, case_id)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        return form_refused(request, case, form)
    reason = form.cleaned_data["reason"]
    try:
        if action == "request":
            supervision.closure_request(staff, case=case, reason=reason, request=request)
        elif action == "approve":
            supervision.closure_approve(staff, case=case, request=request)
        elif action == "send_back":
            supervision.closure_send_back(staff, case=case, reason=reason, request=request)
        else:
            supervision.case_reopen(staff, case=case, reason=reason, request=request)
    except CaseError as exc:
        return refused(request, case, exc, form=form)
    return to_case(case)


@access(requires(Permission.CASES))
@require_POST
def closure_request(request: HttpRequest, case_id: UUID) -> HttpResponse:
    return _reasoned(request, case_id, "request")


@access(requires(Permission.CASE_SUPERVISE))
@require_POST
def closure_approve(request: HttpRequest, case_id: UUID) -> HttpResponse:
    return _reasoned(request, case_id, "approve")


@access(requires(Permission.CASE_SUPERVISE))
@require_POST
def closure_send_back(request: HttpRequest, case_id: UUID) -> HttpResponse:
    return _reasoned(request, case_id, "send_back")


@access(requires(Permission.CASES))
@require_POST
def reopen(request: HttpRequest, case_id: UUID) -> HttpResponse:
    return _reasoned(request, case_id, "reopen")


@access(requires(Permission.CASE_SUPERVISE))
@require_http_methods(["GET"])
def board(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    return render(request, "cases/board.html", {"board": selectors.supervision_board(staff)})


@access(requires(Permission.CASE_SUPERVISE))
@require_http_methods(["GET", "POST"])
def case_settings(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    current = selectors.case_settings()
    if request.method == "POST":
        form = forms.CaseSettingsForm(request.POST)
        if form.is_valid():
            try:
                supervision.case_settings_update(
                    staff, stale_days=form.cleaned_data["stale_days"], request=request
                )
            except CaseError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("cases:settings")
        return render(request, "cases/settings.html", {"form": form}, status=400)
    form = forms.CaseSettingsForm(initial={"stale_days": current.stale_days})
    return render(request, "cases/settings.html", {"form": form})
