"""The statistics dashboard (supervisors, data officers, administrators: Permission.STATISTICS) and
its drill-down to the contact list (only for those who may search every contact). Aggregates only:
a data officer is never shown a link to a contact, and the drill-down refuses them."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from helpline.accounts.access import access, requires
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.common.bounds import WindowDateField
from helpline.reports.chi import rollup_years
from helpline.reports.documents import documents_recent
from helpline.reports.figures_board import DRILLABLE, board
from helpline.reports.selectors import Grain, Period
from helpline.reports.views_documents import DocumentForm

DEFAULT_DAYS = 28
LONGEST_DAYS = 3 * 366 + 1
# A chart stays readable with up to about this many points: a longer range is shown by week or month.
MOST_POINTS = {"day": 92, "week": 110}


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


class RangeForm(forms.Form):
    date_from = WindowDateField(
        label=gettext_lazy("From date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = WindowDateField(label=gettext_lazy("To date"), widget=forms.DateInput(attrs={"type": "date"}))
    grain = forms.ChoiceField(
        label=gettext_lazy("Show by"),
        choices=[
            ("day", gettext_lazy("Day")),
            ("week", gettext_lazy("Week")),
            ("month", gettext_lazy("Month")),
        ],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                raise forms.ValidationError(gettext_lazy("The period ends before it starts."))
            if (end - start).days + 1 > LONGEST_DAYS:
                raise forms.ValidationError(gettext_lazy("Choose a period of at most three years."))
        return data


def default_range() -> dict[str, Any]:
    today = timezone.localdate()
    return {"date_from": today - dt.timedelta(days=DEFAULT_DAYS - 1), "date_to": today, "grain": "day"}


def readable_grain(period: Period, grain: Grain) -> Grain:
    """The grain asked for, or a coarser one when the range would draw too many points."""
    if grain == "day" and period.days > MOST_POINTS["day"]:
        grain = "week"
    if grain == "week" and period.days / 7 > MOST_POINTS["week"]:
        grain = "month"
    return grain


@access(requires(Permission.STATISTICS))
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    # Only the form's own fields bind it: a link with anything else in its query (a mail's
    # tracking tag, say) opens the default figures instead of a refusal.
    asked = {name: request.GET[name] for name in RangeForm.base_fields if name in request.GET}
    form = RangeForm(default_range() | asked)
    context: dict[str, Any] = {"form": form, "can_drill": role_has(staff.role, Permission.CONTACT_SEARCH)}
    status = 200
    if form.is_valid():
        period = Period(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
        grain = readable_grain(period, form.cleaned_data["grain"])
        context["board"] = board(staff, period, grain=grain)
        context["grain_changed"] = grain != form.cleaned_data["grain"]
    else:
        status = 400
    if getattr(request, "htmx", False):
        return render(request, "reports/_board.html", context, status=status)
    today = timezone.localdate()
    years = sorted({*rollup_years(), today.year}, reverse=True)
    context |= {
        "chi_years": years,
        "document_form": DocumentForm(initial=DocumentForm.initial_for(staff, today)),
        "documents": documents_recent(staff),
    }
    return render(request, "reports/dashboard.html", context, status=status)


@access(requires(Permission.CONTACT_SEARCH))
@require_GET
def drill(request: HttpRequest) -> HttpResponse:
    """From a figure to the contacts behind it: the contact list, filtered the same way (which
    applies contacts_visible_to and records the search)."""
    dimension = request.GET.get("dimension", "")
    value = request.GET.get("value", "")
    form = RangeForm({**request.GET.dict(), "grain": "day"})
    if dimension not in DRILLABLE or not value or not form.is_valid():
        raise Http404
    query = {
        dimension: value,
        "date_from": form.cleaned_data["date_from"].isoformat(),
        "date_to": form.cleaned_data["date_to"].isoformat(),
    }
    return redirect(f"{reverse('contacts:list')}?{urlencode(query)}")
