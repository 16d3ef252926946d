"""The summary's figures marked for publication: every count goes through suppression.suppress,
in tables whose margins are the published totals, so no hidden count can be worked out from what
is shown (Article 49).

* contacts: a table of kind (not classified included) by channel; by_kind are its row totals,
  by_channel its column totals, contacts its grand total;
* counselling and non-counselling are sums of kinds: shown only when every kind they add up is
  shown (then they tell nothing new), "x" otherwise;
* calls: answered / abandoned / neither by short abandon or not; offered is the grand total;
  the average wait and the service level only when answered and offered are shown;
* referrals: service by outcome; the times to an answer and to delivery only over at least
  `threshold` referrals;
* periods of whole months only (no date finer than the month beside a suppressed count), the
  previous period being the same number of months before."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from helpline.accounts.principals import Principal
from helpline.contacts.models import DATA_KINDS, NON_DATA_KINDS, Channel, Kind
from helpline.reports.facts import CALLS_CHANNEL
from helpline.reports.selectors import Calls, Period, ReferralCounts, figures, grouped_rows, referral_counts
from helpline.reports.suppression import DEFAULT_THRESHOLD, HIDDEN, PublishedTable, suppress

CHANNELS = [c.value for c in Channel]
KINDS = ["", *(k.value for k in Kind)]


@dataclass(frozen=True)
class PublishedReferrals:
    total: str
    by_service: dict[str, str]
    by_outcome: dict[str, str]
    median_days_to_answer: float | None
    median_days_to_delivery: float | None


@dataclass(frozen=True)
class PublishedFigures:
    period: Period
    contacts: str
    counselling: str
    non_counselling: str
    by_channel: dict[str, str]
    by_kind: dict[str, str]
    calls: dict[str, str]  # offered, answered, abandoned, short_abandons
    average_wait_seconds: float | None
    service_level: float | None
    referrals: PublishedReferrals


@dataclass(frozen=True)
class PublishedComparison:
    current: PublishedFigures
    previous: PublishedFigures


def _shown(value: str) -> bool:
    return value.isdigit()


def _table(cells: list[list[int]], threshold: int) -> PublishedTable | None:
    return suppress(cells, threshold) if cells and cells[0] else None


def _group(by_kind: dict[str, str], kinds: frozenset[str] | set[str]) -> str:
    """A sum of kinds, published only when each of its parts is."""
    parts = [by_kind[str(k)] for k in kinds]
    return str(sum(int(p) for p in parts)) if all(_shown(p) for p in parts) else HIDDEN


def _contacts(
    viewer: Principal, period: Period, threshold: int
) -> tuple[dict[str, str], dict[str, str], str]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for _dimension, kind, channel, n, _wait in grouped_rows(viewer, period, dimensions=("kind",)):
        counts[(kind, channel)] += n
    cells = [[counts[(kind, c)] for c in CHANNELS] for kind in KINDS]
    grid = suppress(cells, threshold).grid
    by_kind = {kind or "not_classified": grid[i][-1] for i, kind in enumerate(KINDS)}
    by_channel = {c: grid[-1][j] for j, c in enumerate(CHANNELS)}
    return by_kind, by_channel, grid[-1][-1]


def _calls(calls: Calls, threshold: int) -> tuple[dict[str, str], bool]:
    """One column: answered, short abandons, other abandons, neither; offered is its total and
    abandoned (short and other) is shown only when both its parts are."""
    neither = max(0, calls.offered - calls.answered - calls.abandoned)
    long_abandons = max(0, calls.abandoned - calls.short_abandons)
    cells = [[calls.answered], [calls.short_abandons], [long_abandons], [neither]]
    grid = suppress(cells, threshold).grid
    short, other = grid[1][0], grid[2][0]
    abandoned = str(int(short) + int(other)) if _shown(short) and _shown(other) else HIDDEN
    out = {"offered": grid[4][0], "answered": grid[0][0], "abandoned": abandoned, "short_abandons": short}
    return out, _shown(out["answered"]) and _shown(out["offered"])


def _referrals(counts: ReferralCounts, threshold: int) -> PublishedReferrals:
    services = sorted(counts.by_service)
    outcomes = sorted(counts.by_outcome)
    table = _table([[counts.cells.get((s, o), 0) for o in outcomes] for s in services], threshold)
    if table is None:
        return PublishedReferrals("0", {}, {}, None, None)
    grid = table.grid

    def days(durations: object) -> float | None:
        median = getattr(durations, "median", None)
        count = getattr(durations, "count", 0)
        return round(median.total_seconds() / 86400, 1) if median is not None and count >= threshold else None

    return PublishedReferrals(
        total=grid[-1][-1],
        by_service={s: grid[i][-1] for i, s in enumerate(services)},
        by_outcome={o: grid[-1][j] for j, o in enumerate(outcomes)},
        median_days_to_answer=days(counts.to_acknowledgement),
        median_days_to_delivery=days(counts.to_delivery),
    )


def published_figures(
    viewer: Principal, period: Period, *, threshold: int = DEFAULT_THRESHOLD
) -> PublishedFigures:
    if not period.whole_months:
        raise ValueError("figures for publication cover whole months")
    by_kind, by_channel, total = _contacts(viewer, period, threshold)
    calls = figures(viewer, period, channel=CALLS_CHANNEL).calls
    published_calls, rates = _calls(calls, threshold)
    return PublishedFigures(
        period=period,
        contacts=total,
        counselling=_group(by_kind, DATA_KINDS),
        non_counselling=_group(by_kind, NON_DATA_KINDS),
        by_channel=by_channel,
        by_kind=by_kind,
        calls=published_calls,
        average_wait_seconds=calls.average_wait if rates else None,
        service_level=round(calls.service_level, 2) if rates and calls.service_level is not None else None,
        referrals=_referrals(referral_counts(viewer, period), threshold),
    )


def published_dashboard(
    viewer: Principal, period: Period, *, threshold: int = DEFAULT_THRESHOLD
) -> PublishedComparison:
    """The period's figures for publication beside those of as many whole months before it."""
    return PublishedComparison(
        published_figures(viewer, period, threshold=threshold),
        published_figures(viewer, period.previous_months(), threshold=threshold),
    )
