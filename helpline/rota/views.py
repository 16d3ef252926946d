"""The rota page (the next 14 days with their gaps) and the changes supervisors and counsellors
make from it. Thin: parse, one access call, one service call, back to the page."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.rota import forms, selectors, services
from helpline.rota.models import LapseWarning, Swap
from helpline.rota.services import RotaError


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def _back(day: dt.date | None = None) -> HttpResponse:
    url = reverse("rota:rota")
    return redirect(url + ("?" + urlencode({"start": day.isoformat()}) if day else ""))


def _page(
    request: HttpRequest, *, start: dt.date | None = None, status: int = 200, error: str = "", **given: Any
) -> HttpResponse:
    staff = _staff(request)
    start = start or timezone.localdate()
    manage = role_has(staff.role, Permission.ROTA_MANAGE)
    days = selectors.rota_days(start)
    context: dict[str, Any] = {
        "start": start,
        "previous_week": start - dt.timedelta(days=7),
        "next_week": start + dt.timedelta(days=7),
        "days": days,
        "gaps": sum(d.gaps for d in days),
        "manage": manage,
        "error": error,
        "my_shifts": list(selectors.my_shifts(staff)),
        "my_swaps": list(selectors.my_swaps(staff)),
        "swap_form": forms.SwapForm(),
        "start_form": forms.StartForm(initial={"start": start}),
    }
    if manage:
        context.update(
            shift_form=forms.ShiftForm(),
            pattern_form=forms.PatternForm(),
            assign_form=forms.AssignForm(),
            patterns=list(selectors.patterns()),
            swaps=list(selectors.swaps_waiting()),
            warnings=list(selectors.lapse_warnings_open()),
        )
    context.update(given)
    return render(request, "rota/rota.html", context, status=status)


def _errors(form: Any) -> str:
    def label(name: str) -> str:
        field = form.fields.get(name)
        return str(field.label) if field is not None and field.label else name

    return "; ".join(f"{label(name)}: {' '.join(m)}" for name, m in form.errors.items())


@access(requires(Permission.ROTA))
@require_GET
def rota(request: HttpRequest) -> HttpResponse:
    form = forms.StartForm(request.GET)
    start = form.cleaned_data.get("start") if form.is_valid() else None
    return _page(request, start=start)


@access(requires(Permission.ROTA_MANAGE))
@require_POST
def shift_add(request: HttpRequest) -> HttpResponse:
    form = forms.ShiftForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, error=_errors(form), shift_form=form)
    data = form.cleaned_data
    try:
        shift = services.shift_add(
            _staff(request),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            role=data["role"],
            minimum=data["minimum"],
        )
    except RotaError as exc:
        return _page(request, status=400, error=exc.message, shift_form=form)
    return _back(timezone.localtime(shift.starts_at).date())


@access(requires(Permission.ROTA_MANAGE))
@require_POST
def assign(request: HttpRequest, shift_id: UUID) -> HttpResponse:
    shift = selectors.access_shift(shift_id)
    day = timezone.localtime(shift.starts_at).date()
    form = forms.AssignForm(request.POST)
    if not form.is_valid():
        return _page(request, start=day, status=400, error=_errors(form))
    try:
        services.shift_assign(_staff(request), shift=shift, staff=form.cleaned_data["staff"])
    except RotaError as exc:
        return _page(request, start=day, status=400, error=exc.message)
    return _back(day)


@access(requires(Permission.ROTA_MANAGE))
@require_POST
def remove(request: HttpRequest, shift_id: UUID) -> HttpResponse:
    shift = selectors.access_shift(shift_id)
    day = timezone.localtime(shift.starts_at).date()
    form = forms.RemoveForm(request.POST)
    if not form.is_valid():
        return _page(request, start=day, status=400, error=_errors(form))
    services.shift_unassign(_staff(request), shift=shift, staff=form.cleaned_data["staff"])
    return _back(day)


@access(requires(Permission.ROTA_MANAGE))
@require_POST
def pattern_add(request: HttpRequest) -> HttpResponse:
    form = forms.PatternForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, error=_errors(form), pattern_form=form)
    try:
        services.pattern_add(_staff(request), **form.cleaned_data)
    except RotaError as exc:
        return _page(request, status=400, error=exc.message, pattern_form=form)
    return _back()


@access(requires(Permission.ROTA_MANAGE))
@require_POST
def patterns_apply(request: HttpRequest) -> HttpResponse:
    services.patterns_apply(_staff(request))
    return _back()


@access(requires(Permission.ROTA))
@require_POST
def swap_request(request: HttpRequest, shift_id: UUID) -> HttpResponse:
    shift = selectors.access_shift(shift_id)
    form = forms.SwapForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, error=_errors(form))
    try:
        services.swap_request(_staff(request), shift=shift, to_staff=form.cleaned_data["to_staff"])
    except RotaError as exc:
        return _page(request, status=400, error=exc.message)
    return _back()


@access(requires(Permission.ROTA_MANAGE))
@require_POST
def swap_decide(request: HttpRequest, swap_id: UUID) -> HttpResponse:
    swap = Swap.objects.filter(pk=swap_id).select_related("shift", "from_staff", "to_staff").first()
    if swap is None:
        raise Http404
    form = forms.DecideForm(request.POST)
    if not form.is_valid():
        return _page(request, status=400, error=_errors(form))
    try:
        services.swap_decide(_staff(request), swap=swap, approve=form.cleaned_data["approve"])
    except RotaError as exc:
        return _page(request, status=400, error=exc.message)
    return _back()


@access(requires(Permission.ROTA_MANAGE))
@require_POST
def lapse_acknowledge(request: HttpRequest, warning_id: UUID) -> HttpResponse:
    warning = LapseWarning.objects.filter(pk=warning_id).first()
    if warning is None:
        raise Http404
    services.lapse_acknowledge(_staff(request), warning=warning)
    return _back()
