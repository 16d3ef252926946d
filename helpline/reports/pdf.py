"""Monthly and annual reports as PDF (WeasyPrint), in Khmer or English: the headline figures against
the previous period and the same period a year earlier, then each breakdown as a chart and its
table. Charts are the dashboard's drawings (charts.py) with their labels as HTML over them
(Chart.overlay: WeasyPrint draws SVG text letter by letter, which breaks Khmer), so Pango and
HarfBuzz shape every word; the page asks for the Khmer OS fonts (Debian's fonts-khmeros,
`make system-deps-fonts`). Reads only; documents.py records who asked."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation

from helpline.accounts.principals import Principal
from helpline.reports import charts
from helpline.reports.board_rows import Row as BoardRow
from helpline.reports.board_rows import Section, published
from helpline.reports.figures_board import Board, board, bucket_label
from helpline.reports.models_documents import DocumentKind
from helpline.reports.selectors import Grain, Period, series

LANGUAGES = ("km", "en")
STYLESHEET = Path(__file__).with_name("pdf.css")
TREND_MONTHS = 13


def report_period(kind: str, year: int, month: int | None) -> Period:
    if kind == DocumentKind.ANNUAL:
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
    if month is None or not 1 <= month <= 12:
        raise ValueError("a monthly report names its month")
    return Period(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]))


def previous_of(kind: str, period: Period) -> Period:
    """A report's previous period is the month or year before (not the same number of days)."""
    if kind == DocumentKind.ANNUAL:
        return report_period(kind, period.start.year - 1, None)
    last = period.start - dt.timedelta(days=1)
    return report_period(kind, last.year, last.month)


def _months_back(end: dt.date, count: int) -> Period:
    start = end.replace(day=1)
    for _ in range(count - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return Period(start, end)


def trend_section(viewer: Principal, period: Period, *, publication: bool) -> Section:
    """Contacts by month over the thirteen months ending with the report's last month, against the
    same months a year earlier."""
    span = _months_back(period.end, TREND_MONTHS)
    earlier = Period(
        span.start.replace(year=span.start.year - 1), span.end.replace(year=span.end.year - 1, day=1)
    )
    earlier = Period(
        earlier.start, (earlier.end + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    )
    now, before = series(viewer, span, grain="month"), series(viewer, earlier, grain="month")
    rows = []
    day = span.start
    while day <= span.end:
        back = day.replace(year=day.year - 1)
        rows.append(
            BoardRow(
                day.isoformat(),
                bucket_label(day, "month"),
                now.get(day, {}).get("", 0),
                before.get(back, {}).get("", 0),
            )
        )
        day = (day + dt.timedelta(days=32)).replace(day=1)
    totals: tuple[str, ...] = ()
    if publication:
        rows, totals = published(rows)
    names = (translation.gettext("These months"), translation.gettext("A year earlier"))
    title = translation.gettext("Contacts by month, thirteen months")
    chart = charts.line_chart(
        title,
        [r.label for r in rows],
        [
            charts.Series(names[0], [r.current for r in rows], [r.texts()[0] for r in rows]),
            charts.Series(names[1], [r.previous for r in rows], [r.texts()[1] for r in rows]),
        ],
    )
    return Section("trend", title, rows, chart, totals=totals)


def report_board(viewer: Principal, kind: str, period: Period, *, publication: bool) -> Board:
    grain: Grain = "month" if kind == DocumentKind.ANNUAL else "day"
    result = board(
        viewer,
        period,
        grain=grain,
        previous=previous_of(kind, period),
        with_last_year=True,
        publication=publication,
    )
    sections = [s for s in result.sections if not (publication and s.key == "time" and grain != "month")]
    return replace(result, sections=[trend_section(viewer, period, publication=publication), *sections])


def report_pdf(
    viewer: Principal,
    *,
    kind: str,
    period: Period,
    language: str,
    publication: bool,
    progress: Callable[[int], None] = lambda _percent: None,
) -> bytes:
    from weasyprint import CSS, HTML  # deferred: loads Pango and the fonts; only reports need it

    with translation.override(language):
        progress(15)
        figures = report_board(viewer, kind, period, publication=publication)
        progress(55)
        html = render_to_string(
            "reports/pdf.html",
            {
                "board": figures,
                "kind": kind,
                "kind_label": DocumentKind(kind).label,
                "language": language,
                "made_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            },
        )
        progress(70)
        sheet = CSS(string=STYLESHEET.read_text(encoding="utf-8"))
        pdf = HTML(string=html).write_pdf(stylesheets=[sheet])
    assert isinstance(pdf, bytes)
    progress(95)
    return pdf
