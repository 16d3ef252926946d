"""The one read layer for statistics: every dashboard figure, summary and report table comes from
here, read from the daily rollups (rollups.py keeps them equal to the contacts).

Who sees what starts, as the lists do, from one gate: `rollups_visible_to(viewer)` is every rollup
for those with Permission.STATISTICS (supervisors, data officers, administrators) and for a token
with `statistics:read`, and nothing for anyone else. Rollups are aggregates only: a data officer,
who may open no contact (contacts_visible_to gives them none), still sees the figures; a drill-down
to contacts must start from contacts_visible_to instead.

Figures are by local day (Asia/Phnom_Penh). A period reads the monthly rollups for the whole local
months inside it and the daily rollups only for the days before the first and after the last of
them (or a month mostly inside whole, less its days outside: Period.cover), so a year is about
twelve months of rows, not 365 days of them. Figures over every channel (the dashboard, the
summary, the reports) read the all-channel rollups, a few times fewer rows than the per-channel
ones that serve one channel's figures and the tables by channel.

Multi-valued dimensions (reason categories and subcategories, actions) count each contact once per
value, so their values may add up to more than the total; single-valued ones add up to the total
exactly, an empty value meaning "not recorded"."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncWeek
from django.utils import timezone

from helpline.accounts.models import ApiToken, Staff
from helpline.accounts.permissions import Permission, Scope, role_has
from helpline.accounts.principals import Principal
from helpline.contacts.models import DATA_KINDS, FEEDBACK_KINDS, NON_DATA_KINDS
from helpline.referrals.models import Referral
from helpline.referrals.stats import Durations, referral_figures
from helpline.reports.facts import DIMENSIONS, WAIT_BUCKETS
from helpline.reports.models import DailyAllRollup, DailyRollup, MonthlyAllRollup, MonthlyRollup
from helpline.reports.rebuild import next_month

Grain = Literal["day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")
# Answered within this many seconds counts towards the service level (a bucket bound in facts.py).
SERVICE_LEVEL_SECONDS = 20


class StatisticsRefused(PermissionError):
    """The viewer may not see statistics."""


def may_see_statistics(viewer: Principal) -> bool:
    if isinstance(viewer, Staff):
        return viewer.is_active and role_has(viewer.role, Permission.STATISTICS)
    return isinstance(viewer, ApiToken) and viewer.is_active and Scope.STATISTICS_READ in viewer.scopes


def rollups_visible_to(viewer: Principal) -> QuerySet[DailyRollup]:
    return DailyRollup.objects.all() if may_see_statistics(viewer) else DailyRollup.objects.none()


def monthly_rollups_visible_to(viewer: Principal) -> QuerySet[MonthlyRollup]:
    """The same gate as rollups_visible_to, over the monthly level."""
    return MonthlyRollup.objects.all() if may_see_statistics(viewer) else MonthlyRollup.objects.none()


def all_rollups_visible_to(viewer: Principal) -> QuerySet[DailyAllRollup]:
    """The same gate, over the all-channel daily level."""
    return DailyAllRollup.objects.all() if may_see_statistics(viewer) else DailyAllRollup.objects.none()


def monthly_all_rollups_visible_to(viewer: Principal) -> QuerySet[MonthlyAllRollup]:
    """The same gate, over the all-channel monthly level."""
    return MonthlyAllRollup.objects.all() if may_see_statistics(viewer) else MonthlyAllRollup.objects.none()


@dataclass(frozen=True)
class Period:
    """Local days from `start` to `end`, both included."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before (a month's previous is not always a month:
        the same number of days, so the two are comparable)."""
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    @property
    def begun(self) -> bool:
        """Whether its first day has come by the helpline's own clock (TIME_ZONE, not UTC's). A
        report or export of a period to come would be built empty and read as "no contacts": the
        one rule for PDFs, the CHI export's file and the API."""
        return self.start <= timezone.localdate()

    @property
    def whole_months(self) -> bool:
        """Whether the period starts on a month's first day and ends on a month's last."""
        return self.start.day == 1 and (self.end + dt.timedelta(days=1)).day == 1

    def previous_months(self) -> Period:
        """For a period of whole months: as many whole months just before it."""
        if not self.whole_months:
            raise ValueError("the period is not whole months")
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        start = next_month(self.start, -months)
        return Period(start, self.start - dt.timedelta(days=1))

    def cover(self) -> Cover:
        """What a period is read from, in as few rows as it can be: whole months from the monthly
        level; of a month only partly inside, the days inside from the daily level, or, when
        fewer days of it lie outside than inside, the whole month less those outside days (a
        monthly row equals the sum of its daily rows, which the rollups test holds)."""
        months: list[dt.date] = []
        add: list[Period] = []
        less: list[Period] = []
        first = self.start.replace(day=1)
        while first <= self.end:
            after = next_month(first)
            inside = Period(max(self.start, first), min(self.end, after - dt.timedelta(days=1)))
            outside = (after - first).days - inside.days
            if inside.days <= outside:
                add.append(inside)
            else:
                months.append(first)
                if first < inside.start:
                    less.append(Period(first, inside.start - dt.timedelta(days=1)))
                if inside.end < after - dt.timedelta(days=1):
                    less.append(Period(inside.end + dt.timedelta(days=1), after - dt.timedelta(days=1)))
            first = after
        return Cover((months[0], next_month(months[-1])) if months else None, _joined(add), _joined(less))


@dataclass(frozen=True)
class Cover:
    """The rows a period is read from (Period.cover)."""

    months: tuple[dt.date, dt.date] | None  # monthly rows of the months [first, last)
    add: list[Period]  # daily rows added
    less: list[Period]  # daily rows taken away: days of a month read whole that lie outside


def _joined(periods: list[Period]) -> list[Period]:
    """Adjacent periods as one."""
    out: list[Period] = []
    for part in periods:
        if out and out[-1].end + dt.timedelta(days=1) == part.start:
            out[-1] = Period(out[-1].start, part.end)
        else:
            out.append(part)
    return out


@dataclass(frozen=True)
class Calls:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandons: int = 0
    wait_seconds: int = 0  # summed over answered contacts
    wait_buckets: dict[str, int] = field(default_factory=dict)

    @property
    def average_wait(self) -> float | None:
        return self.wait_seconds / self.answered if self.answered else None

    @property
    def service_level(self) -> float | None:
        """Share answered within SERVICE_LEVEL_SECONDS of those offered, short abandons left out
        (a caller gone in seconds could not have been answered)."""
        counted = self.offered - self.short_abandons
        if counted <= 0:
            return None
        fast = sum(
            n
            for bucket, n in self.wait_buckets.items()
            if not bucket.endswith("+") and int(bucket.split("-")[1]) <= SERVICE_LEVEL_SECONDS
        )
        return fast / counted


@dataclass(frozen=True)
class Figures:
    period: Period
    total: int
    by: dict[str, dict[str, int]]  # dimension -> value -> contacts
    calls: Calls

    @property
    def data_contacts(self) -> int:
        return sum(n for kind, n in self.by.get("kind", {}).items() if kind in DATA_KINDS)

    @property
    def non_data_contacts(self) -> int:
        non_data = NON_DATA_KINDS | FEEDBACK_KINDS
        return sum(n for kind, n in self.by.get("kind", {}).items() if kind in non_data)


@dataclass(frozen=True)
class Comparison:
    current: Figures
    previous: Figures


def _days(viewer: Principal, periods: list[Period], channel: str, *, across: bool) -> QuerySet[Any]:
    """Daily rows of these days: over every channel together (`across`), else per channel (of
    `channel` alone unless it is "")."""
    within = Q(pk__in=[])
    for part in periods:
        within |= Q(day__gte=part.start, day__lte=part.end)
    if across:
        return all_rollups_visible_to(viewer).filter(within)
    qs = rollups_visible_to(viewer).filter(within)
    return qs.filter(channel=channel) if channel else qs


def _months(
    viewer: Principal, months: tuple[dt.date, dt.date], channel: str, *, across: bool
) -> QuerySet[Any]:
    """Monthly rows of the months [first, last), as _days chooses them."""
    inside = Q(month__gte=months[0], month__lt=months[1])
    if across:
        return monthly_all_rollups_visible_to(viewer).filter(inside)
    qs = monthly_rollups_visible_to(viewer).filter(inside)
    return qs.filter(channel=channel) if channel else qs


def _levels(
    viewer: Principal, period: Period, channel: str, dimensions: tuple[str, ...], *, across: bool
) -> QuerySet[Any]:
    """(dimension, value[, channel], contacts, wait seconds) over the period, from the rows of
    Period.cover() in one statement: a key may come up to three times, the days taken away with
    negative counts, so add them up (a sum of 0 is a value the period does not have). The channel
    column only per channel (not `across`)."""
    names = ("dimension", "value") if across else ("dimension", "value", "channel")
    cover = period.cover()
    parts: list[QuerySet[Any]] = []
    for qs, sign in (
        (_days(viewer, cover.add, channel, across=across) if cover.add else None, 1),
        (_months(viewer, cover.months, channel, across=across) if cover.months else None, 1),
        (_days(viewer, cover.less, channel, across=across) if cover.less else None, -1),
    ):
        if qs is None:
            continue
        if dimensions:
            qs = qs.filter(dimension__in=dimensions)
        # Every part multiplied by its sign, so the union's columns are of one type on PostgreSQL.
        n, w = Sum("contacts") * Value(sign), Sum("wait_seconds") * Value(sign)
        parts.append(qs.values_list(*names).annotate(n=n, w=w).order_by())
    first, *rest = parts
    return first.union(*rest, all=True) if rest else first


def grouped_rows(
    viewer: Principal, period: Period, *, channel: str = "", dimensions: tuple[str, ...] = ()
) -> QuerySet[Any]:
    """(dimension, value, channel, contacts, wait seconds) over the period, per channel: for the
    tables by channel (figures over every channel read the all-channel rows instead)."""
    return _levels(viewer, period, channel, dimensions, across=False)


def figures(viewer: Principal, period: Period, *, channel: str = "") -> Figures:
    """Every dimension's counts over the period, in one grouped statement; `by["channel"]` holds
    the contacts of each channel. Over every channel from the all-channel rows, where the
    dimension "channel" is each channel's total; for one channel from that channel's rows."""
    by: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    answered_wait = 0
    if channel:
        rows: Any = [
            (dimension, value, n, w)
            for dimension, value, _channel, n, w in grouped_rows(viewer, period, channel=channel)
        ]
        if any(dimension == "total" for dimension, *_rest in rows):
            rows.append(("channel", channel, sum(n for d, _v, n, _w in rows if d == "total"), 0))
    else:
        rows = _levels(viewer, period, "", (), across=True)
    for dimension, value, n, w in rows:
        by[dimension][value] += n
        if dimension == "calls" and value == "answered":
            answered_wait += w
    # A value whose rows sum to 0 (taken away with the days outside the period) is not there.
    found = {k: {v: n for v, n in counts.items() if n} for k, counts in by.items()}
    calls_by = found.pop("calls", {})
    calls = Calls(
        offered=calls_by.get("offered", 0),
        answered=calls_by.get("answered", 0),
        abandoned=calls_by.get("abandoned", 0),
        short_abandons=calls_by.get("short_abandon", 0),
        wait_seconds=answered_wait,
        wait_buckets=found.pop("wait_bucket", {}),
    )
    total = found.pop("total", {}).get("", 0)
    return Figures(period=period, total=total, by={k: v for k, v in found.items() if v}, calls=calls)


def dashboard(viewer: Principal, period: Period, *, channel: str = "") -> Comparison:
    """The figures of a period with those of the period just before it."""
    return Comparison(
        figures(viewer, period, channel=channel), figures(viewer, period.previous(), channel=channel)
    )


def series(
    viewer: Principal, period: Period, *, dimension: str = "total", grain: Grain = "day", channel: str = ""
) -> dict[dt.date, dict[str, int]]:
    """Counts of one dimension by day, week (from Monday) or month: {bucket start: {value: n}}.
    Hour of day is the dimension "hour" over the whole period (figures().by["hour"])."""
    if dimension not in DIMENSIONS:
        raise ValueError("unknown dimension")
    if grain not in GRAINS:
        raise ValueError("unknown grain")
    out: dict[dt.date, dict[str, int]] = defaultdict(dict)
    bucket: Any
    if grain == "month":
        # The rows of Period.cover(): a partial month is its days, or its whole month less the
        # days of it outside the period.
        cover = period.cover()
        rows = []
        if cover.months:
            monthly = _months(viewer, cover.months, channel, across=not channel).filter(dimension=dimension)
            rows += list(monthly.values_list("month", "value").annotate(n=Sum("contacts")).order_by())
        for days, sign in ((cover.add, 1), (cover.less, -1)):
            if days:
                daily = _days(viewer, days, channel, across=not channel).filter(dimension=dimension)
                for day, value, n in daily.values_list("day", "value").annotate(n=Sum("contacts")).order_by():
                    rows.append((day.replace(day=1), value, sign * n))
    else:
        qs = _days(viewer, [period], channel, across=not channel).filter(dimension=dimension)
        if grain == "week":
            bucket = qs.annotate(bucket=TruncWeek("day")).values_list("bucket", "value")
        else:
            bucket = qs.values_list("day", "value")
        rows = list(bucket.annotate(n=Sum("contacts")).order_by())
    for start, value, n in rows:
        day = start.date() if isinstance(start, dt.datetime) else start
        out[day][value] = out[day].get(value, 0) + n
    kept = {day: {v: n for v, n in counts.items() if n} for day, counts in out.items()}
    return dict(sorted((day, counts) for day, counts in kept.items() if counts))


def wait_bucket_names() -> list[str]:
    names, low = [], 0
    for top in WAIT_BUCKETS:
        names.append(f"{low}-{top}")
        low = top
    return [*names, f"{low}+"]


@dataclass(frozen=True)
class ReferralCounts:
    """Referrals sent in a period, aggregates only (no partner, no province, no case): by the
    service asked for and what came of it (the status now), and how long partners took."""

    period: Period
    total: int
    by_service: dict[str, int]
    by_outcome: dict[str, int]
    cells: dict[tuple[str, str], int]  # (service, outcome) -> referrals
    to_acknowledgement: Durations
    to_delivery: Durations


def referral_counts(viewer: Principal, period: Period) -> ReferralCounts:
    """The referral figures of the reports. Counted over every referral for those who may see
    statistics (a data officer among them, who may open no referral: referrals_visible_to gives
    them none), nothing for anyone else; only counts and times leave this function."""
    referrals = Referral.objects.all() if may_see_statistics(viewer) else Referral.objects.none()
    found = referral_figures(referrals, start=period.start, end=period.end)
    zone = timezone.get_default_timezone()
    since = dt.datetime.combine(period.start, dt.time(), tzinfo=zone)
    until = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    cells: dict[tuple[str, str], int] = {}
    rows = referrals.filter(sent_at__gte=since, sent_at__lt=until).values_list("service__code", "status")
    for service, status, n in rows.annotate(n=Count("id")).order_by():
        cells[(service, status)] = cells.get((service, status), 0) + n
    return ReferralCounts(
        period=period,
        total=found.total,
        by_service={t.key: t.count for t in found.by_service},
        by_outcome={t.key: t.count for t in found.by_outcome},
        cells=cells,
        to_acknowledgement=found.to_acknowledgement,
        to_delivery=found.to_delivery,
    )
