"""The dashboard and the PDF reports as sections of labelled rows: each dimension's counts for the
period, the period before it and (reports) the same period a year earlier, in the reader's
language, with a chart. Every number comes from selectors.py, figures_work.py and (the quality
sections, board_quality.py) figures_quality.py; this module only arranges and labels them, and for
publication passes each table through suppression.suppress."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from helpline.accounts.principals import Principal
from helpline.contacts.models import Channel, Kind, Term, Urgency, Vocabulary
from helpline.referrals.models import ReferralStatus
from helpline.reports import charts
from helpline.reports.board_quality import QUALITY_KEYS, quality_sections
from helpline.reports.board_rows import Row, Section, bars, published
from helpline.reports.facts import AGE_BANDS
from helpline.reports.figures_work import WorkFigures, work_figures
from helpline.reports.selectors import Figures, Grain, Period, figures, series, wait_bucket_names
from helpline.reports.suppression import DEFAULT_THRESHOLD, suppress

# Dimensions a figure can be opened from as the contact list, filtered (contacts:list's filters).
DRILLABLE = ("channel", "kind", "category", "province", "urgency")


@dataclass(frozen=True)
class Headline:
    label: str
    current: str
    previous: str
    last_year: str = ""


@dataclass(frozen=True)
class Board:
    period: Period
    previous: Period
    last_year: Period | None
    grain: Grain
    headline: list[Headline]
    sections: list[Section]
    publication: bool = False


def same_period_last_year(period: Period) -> Period:
    def back(day: dt.date) -> dt.date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            return day.replace(year=day.year - 1, day=28)

    return Period(back(period.start), back(period.end))


# --- Labels -----------------------------------------------------------------------------------

_VOCABULARIES = {
    "category": Vocabulary.REASON,
    "subcategory": Vocabulary.REASON,
    "gender": Vocabulary.GENDER,
    "province": Vocabulary.PROVINCE,
    "region": Vocabulary.REGION,
    "caller_type": Vocabulary.CALLER_TYPE,
    "action": Vocabulary.ACTION,
}
_ENUMS: dict[str, type[Channel] | type[Kind] | type[Urgency]] = {
    "channel": Channel,
    "kind": Kind,
    "urgency": Urgency,
}
_TITLES = {
    "channel": gettext_lazy("Contacts by channel"),
    "kind": gettext_lazy("Contacts by kind"),
    "category": gettext_lazy("Reason for contact (category)"),
    "subcategory": gettext_lazy("Reason for contact (subcategory)"),
    "gender": gettext_lazy("Gender"),
    "age_band": gettext_lazy("Age group"),
    "province": gettext_lazy("Province"),
    "region": gettext_lazy("City, town or rural"),
    "caller_type": gettext_lazy("Who is contacting"),
    "urgency": gettext_lazy("Urgency"),
    "action": gettext_lazy("Action taken"),
}
_MULTI_NOTE = gettext_lazy("A contact may have several; these may add up to more than the contacts.")
DIMENSION_ORDER = tuple(_TITLES)


class Labels:
    """The reader's words for codes, read once per board."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, str], str] = {
            (t.vocabulary, t.code): t.label
            for t in Term.objects.filter(vocabulary__in=set(_VOCABULARIES.values())).only(
                "vocabulary", "code", "label_en", "label_km"
            )
        }

    def of(self, dimension: str, code: str) -> str:
        if dimension == "age_band":
            return {"over_25": _("Over 25"), "unknown": _("Age not known")}.get(code, code)
        if not code:
            if dimension == "kind":
                return _("Not classified")
            if dimension in ("category", "subcategory"):
                return _("No reason recorded")
            if dimension == "action":
                return _("No action recorded")
            return _("Not recorded")
        enum = _ENUMS.get(dimension)
        if enum is not None:
            try:
                return str(enum(code).label)
            except ValueError:
                return code
        vocabulary = _VOCABULARIES.get(dimension)
        return self.terms.get((vocabulary, code), code) if vocabulary else code


# --- Building -----------------------------------------------------------------------------------


def _rows(
    dimension: str, labels: Labels, now: dict[str, int], before: dict[str, int], year: dict[str, int] | None
) -> list[Row]:
    codes = set(now) | set(before) | (set(year) if year is not None else set())
    if dimension == "age_band":
        ordered = [c for c in AGE_BANDS if c in codes or c != "unknown"]
    elif dimension == "channel":
        ordered = [c.value for c in Channel if c.value in codes] + sorted(codes - {c.value for c in Channel})
    else:
        ordered = sorted(codes, key=lambda c: (-now.get(c, 0), -before.get(c, 0), c))
    return [
        Row(
            code,
            labels.of(dimension, code),
            now.get(code, 0),
            before.get(code, 0),
            None if year is None else year.get(code, 0),
        )
        for code in ordered
    ]


def _series_names(board_period: Period, previous: Period) -> tuple[str, str]:
    return (_("This period"), _("Period before"))


def bucket_starts(period: Period, grain: Grain) -> list[dt.date]:
    if grain == "day":
        return [period.start + dt.timedelta(days=n) for n in range(period.days)]
    if grain == "week":
        day = period.start - dt.timedelta(days=period.start.weekday())
        out = []
        while day <= period.end:
            out.append(day)
            day += dt.timedelta(days=7)
        return out
    day, out = period.start.replace(day=1), []
    while day <= period.end:
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def bucket_label(day: dt.date, grain: Grain) -> str:
    """A point under the time axis: the month, or day/month (the year is in the period above)."""
    return date_format(day, "YEAR_MONTH_FORMAT") if grain == "month" else day.strftime("%d/%m")


def _time_section(
    viewer: Principal, period: Period, previous: Period, grain: Grain, names: tuple[str, str]
) -> Section:
    now = series(viewer, period, grain=grain)
    before = series(viewer, previous, grain=grain)
    starts, earlier = bucket_starts(period, grain), bucket_starts(previous, grain)
    current = [now.get(d, {}).get("", 0) for d in starts]
    prior = [before.get(d, {}).get("", 0) for d in earlier]
    prior = (prior + [0] * len(starts))[: len(starts)]
    rows = [
        Row(d.isoformat(), bucket_label(d, grain), c, p)
        for d, c, p in zip(starts, current, prior, strict=True)
    ]
    title = {"day": _("Contacts by day"), "week": _("Contacts by week"), "month": _("Contacts by month")}[
        grain
    ]
    chart = charts.line_chart(
        title,
        [r.label for r in rows],
        [charts.Series(names[0], current), charts.Series(names[1], prior)],
    )
    note = _(
        "The period before is drawn point by point beside this one (its first day beside this one's first)."
    )
    return Section("time", title, rows, chart, note)


def _hour_section(now: Figures, before: Figures, names: tuple[str, str]) -> Section:
    hours = [f"{h:02d}" for h in range(24)]
    rows = [
        Row(h, f"{h}:00", now.by.get("hour", {}).get(h, 0), before.by.get("hour", {}).get(h, 0))
        for h in hours
    ]
    title = _("Contacts by hour of day")
    chart = charts.column_chart(
        title,
        hours,
        [
            charts.Series(names[0], [r.current for r in rows]),
            charts.Series(names[1], [r.previous for r in rows]),
        ],
    )
    return Section("hour", title, rows, chart)


def _calls_section(now: Figures, before: Figures, year: Figures | None, names: tuple[str, str]) -> Section:
    def measures(f: Figures) -> dict[str, int]:
        c = f.calls
        return {
            "offered": c.offered,
            "answered": c.answered,
            "abandoned": c.abandoned,
            "short_abandon": c.short_abandons,
        }

    words = {
        "offered": _("Calls offered"),
        "answered": _("Calls answered"),
        "abandoned": _("Calls abandoned"),
        "short_abandon": _("Short abandons (under 10 seconds)"),
    }
    a, b, y = measures(now), measures(before), measures(year) if year else None
    rows = [Row(k, str(words[k]), a[k], b[k], None if y is None else y[k]) for k in words]
    title = _("Calls")
    return Section("calls", title, rows, bars(title, rows, names))


def _wait_section(now: Figures, before: Figures, names: tuple[str, str]) -> Section:
    rows = [
        Row(
            bucket,
            _("%(bucket)s seconds") % {"bucket": bucket},
            now.calls.wait_buckets.get(bucket, 0),
            before.calls.wait_buckets.get(bucket, 0),
        )
        for bucket in wait_bucket_names()
    ]
    title = _("Waiting time of answered calls")
    return Section("waits", title, rows, bars(title, rows, names))


def _work_sections(
    now: WorkFigures, before: WorkFigures, year: WorkFigures | None, names: tuple[str, str]
) -> list[Section]:
    def work_rows(f: WorkFigures) -> dict[str, int]:
        return {
            "cases_opened": f.cases_opened,
            "cases_closed": f.cases_closed,
            "follow_ups_due": f.follow_ups_due,
            "follow_ups_on_time": f.follow_ups_on_time,
            "follow_ups_late": f.follow_ups_late,
            "referrals": f.referrals.total,
        }

    words = {
        "cases_opened": _("Cases opened"),
        "cases_closed": _("Cases closed"),
        "follow_ups_due": _("Follow-ups due"),
        "follow_ups_on_time": _("Follow-ups done on time"),
        "follow_ups_late": _("Follow-ups done late"),
        "referrals": _("Referrals sent"),
    }
    a, b, y = work_rows(now), work_rows(before), work_rows(year) if year else None
    rows = [Row(k, str(words[k]), a[k], b[k], None if y is None else y[k]) for k in words]
    title = _("Cases, follow-ups and referrals")
    sections = [Section("work", title, rows, bars(title, rows, names))]

    def tallies(pick: Callable[[WorkFigures], dict[str, tuple[str, int]]], key: str, heading: str) -> Section:
        n, p = pick(now), pick(before)
        yy = pick(year) if year else None
        codes = sorted(set(n) | set(p), key=lambda c: (-n.get(c, ("", 0))[1], c))
        rows = [
            Row(
                c,
                (n.get(c) or p.get(c) or (yy or {}).get(c) or (c, 0))[0] or _("Not recorded"),
                n.get(c, ("", 0))[1],
                p.get(c, ("", 0))[1],
                None if yy is None else yy.get(c, ("", 0))[1],
            )
            for c in codes
        ]
        return Section(key, heading, rows, bars(heading, rows, names))

    khmer = (get_language() or "km").startswith("km")

    def by_service(f: WorkFigures) -> dict[str, tuple[str, int]]:
        return {t.key: (t.label_km if khmer else t.label_en, t.count) for t in f.referrals.by_service}

    def by_outcome(f: WorkFigures) -> dict[str, tuple[str, int]]:
        return {t.key: (str(ReferralStatus(t.key).label), t.count) for t in f.referrals.by_outcome}

    services = tallies(by_service, "referral_service", _("Referrals by service"))
    outcomes = tallies(by_outcome, "referral_outcome", _("Referrals by outcome (their status now)"))

    def span(value: dt.timedelta | None) -> str:
        if value is None:
            return "—"
        hours = value.total_seconds() / 3600
        return _("%(hours).1f hours") % {"hours": hours}

    t = now.referrals
    footer = [
        (_("Median time to the partner's first answer"), span(t.to_acknowledgement.median)),
        (_("90% answered within"), span(t.to_acknowledgement.p90)),
        (_("Median time to the service delivered"), span(t.to_delivery.median)),
        (_("90% delivered within"), span(t.to_delivery.p90)),
    ]
    outcomes = replace(outcomes, footer=footer)
    return [*sections, services, outcomes]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _seconds(value: float | None) -> str:
    return "—" if value is None else _("%(seconds)d s") % {"seconds": round(value)}


def _headline(
    now: Figures,
    before: Figures,
    year: Figures | None,
    work: tuple[WorkFigures, WorkFigures, WorkFigures | None],
    threshold: int | None,
) -> list[Headline]:
    def trio(pick: Callable[[Figures], str]) -> tuple[str, str, str]:
        return pick(now), pick(before), pick(year) if year else ""

    def count(n: int) -> str:
        # For publication a small count is shown as "<k" (these lines are not sums of one another).
        return f"<{threshold}" if threshold is not None and 0 < n < threshold else f"{n:,}"

    def split(f: Figures) -> list[str]:
        """Counselling, non-counselling and all contacts: for publication one table (the
        unclassified rest its third cell), so a small count is not found by subtraction."""
        cells = [f.data_contacts, f.non_data_contacts, f.total - f.data_contacts - f.non_data_contacts]
        if threshold is None:
            return [f"{f.data_contacts:,}", f"{f.non_data_contacts:,}", f"{f.total:,}"]
        grid = suppress([[n] for n in cells], threshold).grid
        return [grid[0][0], grid[1][0], grid[3][0]]

    w_now, w_before, w_year = work
    lines = [
        (_("Contacts"), trio(lambda f: split(f)[2])),
        (_("Counselling contacts"), trio(lambda f: split(f)[0])),
        (_("Silent, hang-up and other non-counselling contacts"), trio(lambda f: split(f)[1])),
        (_("Calls answered"), trio(lambda f: count(f.calls.answered))),
        (_("Average wait"), trio(lambda f: _seconds(f.calls.average_wait))),
        (_("Service level (answered within 20 seconds)"), trio(lambda f: _percent(f.calls.service_level))),
        (
            _("Cases opened"),
            (
                count(w_now.cases_opened),
                count(w_before.cases_opened),
                count(w_year.cases_opened) if w_year else "",
            ),
        ),
        (
            _("Follow-ups done on time"),
            (
                _percent(w_now.follow_ups_on_time_share),
                _percent(w_before.follow_ups_on_time_share),
                _percent(w_year.follow_ups_on_time_share) if w_year else "",
            ),
        ),
    ]
    return [Headline(str(label), *values) for label, values in lines]


def board(
    viewer: Principal,
    period: Period,
    *,
    grain: Grain = "day",
    previous: Period | None = None,
    with_last_year: bool = False,
    publication: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
) -> Board:
    """Everything the dashboard (or a report) shows for `period`."""
    previous = previous or period.previous()
    last_year = same_period_last_year(period) if with_last_year else None
    now, before = figures(viewer, period), figures(viewer, previous)
    year = figures(viewer, last_year) if last_year else None
    work = (
        work_figures(viewer, period),
        work_figures(viewer, previous),
        work_figures(viewer, last_year) if last_year else None,
    )
    names = _series_names(period, previous)
    labels = Labels()
    sections = [_time_section(viewer, period, previous, grain, names)]
    for dimension in DIMENSION_ORDER:
        rows = _rows(
            dimension,
            labels,
            now.by.get(dimension, {}),
            before.by.get(dimension, {}),
            year.by.get(dimension, {}) if year else None,
        )
        if publication:
            rows, totals = published(rows, threshold)
        title = str(_TITLES[dimension])
        note = str(_MULTI_NOTE) if dimension in ("category", "subcategory", "action") else ""
        sections.append(
            Section(
                dimension,
                title,
                rows,
                bars(title, rows, names),
                note,
                drillable=dimension in DRILLABLE,
                totals=totals if publication else (),
            )
        )
    sections.append(_hour_section(now, before, names))
    sections.append(_calls_section(now, before, year, names))
    sections.append(_wait_section(now, before, names))
    sections += _work_sections(*work, names)
    sections += quality_sections(
        viewer, period, previous, last_year, names, threshold=threshold if publication else None
    )
    if publication:
        sections = [_publish_section(s, threshold, names) for s in sections]
    return Board(
        period,
        previous,
        last_year,
        grain,
        _headline(now, before, year, work, threshold if publication else None),
        sections,
        publication,
    )


def _publish_section(section: Section, threshold: int, names: tuple[str, str]) -> Section:
    if section.key in DIMENSION_ORDER or section.key in QUALITY_KEYS:
        return section  # suppressed as it was built
    rows, totals = published(section.rows, threshold)
    section = replace(section, totals=totals)
    if section.key == "time":
        return replace(section, rows=rows, chart=None)  # no dates finer than the month beside small counts
    return replace(section, rows=rows, chart=bars(section.title, rows, names))
