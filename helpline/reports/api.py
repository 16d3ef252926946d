"""Statistics API: the dashboard's headline counts and the CHI yearly export, for those who may
see aggregates (Permission.STATISTICS through the session; tokens with statistics:read). Nothing
in an answer identifies a contact: counts only."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.errors import HttpError

from helpline.accounts.api_auth import ApiCaller, api_access
from helpline.accounts.permissions import Permission, Scope
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.api_schemas import refuse_odd_parameters, with_errors
from helpline.reports import chi, published, selectors
from helpline.reports.api_types import (
    CallsOut,
    ChiQuery,
    FiguresOut,
    PublishedCallsOut,
    PublishedFiguresOut,
    PublishedReferralsOut,
    PublishedSummaryOut,
    ReferralsOut,
    SummaryOut,
    SummaryQuery,
)

router = Router(tags=["reports"])


def _caller(request: HttpRequest) -> ApiCaller:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _days(duration: object) -> float | None:
    median = getattr(duration, "median", None)
    return round(median.total_seconds() / 86400, 1) if median is not None else None


def _referrals_out(counts: selectors.ReferralCounts) -> ReferralsOut:
    return ReferralsOut(
        total=counts.total,
        by_service=counts.by_service,
        by_outcome=counts.by_outcome,
        median_days_to_answer=_days(counts.to_acknowledgement),
        median_days_to_delivery=_days(counts.to_delivery),
    )


def _figures_out(figures: selectors.Figures, referrals: selectors.ReferralCounts) -> FiguresOut:
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
        referrals=_referrals_out(referrals),
    )


def _published_out(figures: published.PublishedFigures) -> PublishedFiguresOut:
    referrals = figures.referrals
    return PublishedFiguresOut(
        date_from=figures.period.start,
        date_to=figures.period.end,
        contacts=figures.contacts,
        counselling=figures.counselling,
        non_counselling=figures.non_counselling,
        by_channel=figures.by_channel,
        by_kind=figures.by_kind,
        calls=PublishedCallsOut(
            **figures.calls,
            average_wait_seconds=figures.average_wait_seconds,
            service_level=figures.service_level,
        ),
        referrals=PublishedReferralsOut(
            total=referrals.total,
            by_service=referrals.by_service,
            by_outcome=referrals.by_outcome,
            median_days_to_answer=referrals.median_days_to_answer,
            median_days_to_delivery=referrals.median_days_to_delivery,
        ),
    )


@router.get(
    "/reports/summary",
    response=with_errors(SummaryOut | PublishedSummaryOut),
    summary="Headline counts for a date range",
)
@api_access(permission=Permission.STATISTICS, scope=Scope.STATISTICS_READ)
def summary(request: HttpRequest, query: Query[SummaryQuery]) -> SummaryOut | PublishedSummaryOut:
    refuse_odd_parameters(request, SummaryQuery)
    period = selectors.Period(query.date_from, query.date_to)
    actor = _caller(request).actor
    if query.publication:
        if not period.whole_months:
            raise HttpError(
                422, "figures for publication cover whole months: from a 1st to a month's last day"
            )
        shown = published.published_dashboard(actor, period)
        return PublishedSummaryOut(
            current=_published_out(shown.current), previous=_published_out(shown.previous)
        )
    both = selectors.dashboard(actor, period)
    return SummaryOut(
        current=_figures_out(both.current, selectors.referral_counts(actor, period)),
        previous=_figures_out(both.previous, selectors.referral_counts(actor, period.previous())),
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/reports/chi",
    response=with_errors({200: None}),
    summary="CHI yearly submission as CSV or XLSX",
    openapi_extra={
        "responses": {
            200: {
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                }
            }
        }
    },
)
@api_access(permission=Permission.STATISTICS, scope=Scope.STATISTICS_READ)
def chi_export(request: HttpRequest, query: Query[ChiQuery]) -> HttpResponse:
    refuse_odd_parameters(request, ChiQuery)
    if not chi.year_period(query.year).begun:
        raise HttpError(422, "year: that year has not begun yet")
    principal = _caller(request)
    # For publication this suppresses every section while the client waits (half a minute or more
    # on a year's figures); the dashboard asks the worker for the same file instead
    # (documents.document_request, kind "chi").
    response: HttpResponse
    if query.format == "xlsx":
        response = HttpResponse(
            chi.chi_xlsx(principal.actor, query.year, publication=query.publication), content_type=XLSX
        )
    else:
        body = chi.chi_csv(principal.actor, query.year, publication=query.publication)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    audit_record(
        principal.actor,
        action=AuditAction.REPORT_CHI_EXPORT,
        record_type="report",
        request=request,
        detail={"year": query.year, "publication": query.publication, "format": query.format},
    )
    suffix = "-publication" if query.publication else ""
    response["Content-Disposition"] = f'attachment; filename="chi-{query.year}{suffix}.{query.format}"'
    return response
