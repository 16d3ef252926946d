"""The operations pages: retention periods and runs (administrators), a person's requests to see or
erase their records, and legal holds on cases (supervisors)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission
from helpline.cases.erasure import case_legal_hold_set
from helpline.cases.selectors import access_case
from helpline.cases.services import CaseError
from helpline.operations.forms import (
    DataRequestEraseForm,
    DataRequestFindForm,
    LegalHoldForm,
    RetentionPolicyForm,
)
from helpline.operations.models import RetentionRun
from helpline.operations.requests import DataRequestRefused, data_request_erase, data_request_view
from helpline.operations.retention import retention_policy, retention_policy_update


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


@access(requires(Permission.RETENTION_MANAGE))
@require_http_methods(["GET", "POST"])
def retention(request: HttpRequest) -> HttpResponse:
    form = RetentionPolicyForm(request.POST or None, instance=retention_policy())
    if request.method == "POST" and form.is_valid():
        retention_policy_update(_staff(request), data=form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("operations:retention")
    runs = RetentionRun.objects.all()[:30]
    status = 400 if request.method == "POST" else 200
    return render(request, "operations/retention.html", {"form": form, "runs": runs}, status=status)


def _listing(
    request: HttpRequest,
    find: DataRequestFindForm,
    erase: DataRequestEraseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """What is held about the person `find` names, with the erase form (`erase`: a refused one,
    shown again beside the listing with what was typed)."""
    held = data_request_view(
        _staff(request),
        number=find.cleaned_data["number"],
        case_number=find.cleaned_data["case_number"],
        email=find.cleaned_data["email"],
        request=request,
    )
    for case in held.cases:
        # One legal-hold form per case, each with its own ids.
        setattr(case, "hold_form", LegalHoldForm(auto_id=f"id_hold_{case.pk}_%s"))  # noqa: B010
    context = {
        "form": find,
        "held": held,
        "erase_form": erase or DataRequestEraseForm(initial=find.cleaned_data),
    }
    return render(request, "operations/data_requests.html", context, status=status)


@access(requires(Permission.DATA_REQUESTS))
@require_http_methods(["GET", "POST"])
def data_requests(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: what is held about the person (a listing is audited, so it is a POST)."""
    form = DataRequestFindForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "operations/data_requests.html", {"form": form}, status=400)
        return _listing(request, form)
    return render(request, "operations/data_requests.html", {"form": form})


@access(requires(Permission.DATA_REQUESTS))
@require_POST
def data_request_erase_view(request: HttpRequest) -> HttpResponse:
    form = DataRequestEraseForm(request.POST)
    find = DataRequestFindForm(request.POST)
    if not form.is_valid():
        if not find.is_valid():  # nobody named: nothing to list
            return render(request, "operations/data_requests.html", {"form": find}, status=400)
        return _listing(request, find, form, status=400)
    try:
        erased = data_request_erase(
            _staff(request),
            number=form.cleaned_data["number"],
            case_number=form.cleaned_data["case_number"],
            email=form.cleaned_data["email"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except DataRequestRefused as refused:
        form.add_error(None, refused.message)
        find.is_valid()
        return _listing(request, find, form, status=409)
    return render(request, "operations/data_request_erased.html", {"erased": erased})


@access(requires(Permission.CASE_SUPERVISE))
@require_POST
def legal_hold(request: HttpRequest, case_id: UUID) -> HttpResponse:
    staff = _staff(request)
    case = access_case(staff, case_id)
    form = LegalHoldForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("A reason is required."), status=400)
    try:
        case_legal_hold_set(
            staff, case=case, hold=request.POST.get("hold") == "1", reason=form.cleaned_data["reason"]
        )
    except CaseError as exc:
        return HttpResponse(exc.message, status=400)
    messages.success(request, _("Saved."))
    return redirect("cases:detail", case_id=case.pk)
