"""Statistics API: the dashboard's headline counts and the CHI yearly export, for those who may
see aggregates (Permission.STATISTICS through the session; tokens with statistics:read). Nothing
in an answer identifies a contact: counts only."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from helpline.accounts.api_auth import ApiCaller, api_access
from helpline.accounts.permissions import Permission, Scope
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.api_schemas import refuse_odd_parameters, with_errors
from helpline.reports import chi, selectors
from helpline.reports.api_types import CallsOut, ChiQuery, FiguresOut, SummaryOut, SummaryQuery

router = Router(tags=["reports"])


def _caller(request: HttpRequest) -> ApiCaller:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _figures_out(figures: selectors.Figures) -> FiguresOut:
    calls = figures.calls
    return FiguresOut(
        date_from=figures.period.start,
        date_to=figures.period.end,
        contacts=figures.total,
        counselling=figures.data_contacts,
        non_counselling=figures.non_data_contacts,
        by_channel=figures.by.get("channel", {}),
        by_kind={kind or "not_classified": n for kind, n in figures.by.get("kind", {}).items()},
        calls=CallsOut(
            offered=calls.offered,
            answered=calls.answered,
            abandoned=calls.abandoned,
            short_abandons=calls.short_abandons,
            average_wait_seconds=calls.average_wait,
            service_level=calls.service_level,
        ),
    )


@router.get("/reports/summary", response=with_errors(SummaryOut), summary="Headline counts for a date range")
@api_access(permission=Permission.STATISTICS, scope=Scope.STATISTICS_READ)
def summary(request: HttpRequest, query: Query[SummaryQuery]) -> SummaryOut:
    refuse_odd_parameters(request, SummaryQuery)
    period = selectors.Period(query.date_from, query.date_to)
    both = selectors.dashboard(_caller(request).actor, period)
    return SummaryOut(current=_figures_out(both.current), previous=_figures_out(both.previous))


@router.get(
    "/reports/chi",
    response=with_errors({200: None}),
    summary="CHI yearly submission as CSV",
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
@api_access(permission=Permission.STATISTICS, scope=Scope.STATISTICS_READ)
def chi_export(request: HttpRequest, query: Query[ChiQuery]) -> HttpResponse:
    refuse_odd_parameters(request, ChiQuery)
    principal = _caller(request)
    body = chi.chi_csv(principal.actor, query.year, publication=query.publication)
    audit_record(
        principal.actor,
        action=AuditAction.REPORT_CHI_EXPORT,
        record_type="report",
        request=request,
        detail={"year": query.year, "publication": query.publication},
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    suffix = "-publication" if query.publication else ""
    response["Content-Disposition"] = f'attachment; filename="chi-{query.year}{suffix}.csv"'
    return response
