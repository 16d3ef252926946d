"""The pieces every board section is made of: labelled rows of a figure for the period, the
period before and (reports) a year earlier; a section of them with its chart; and the rows as they
may be published (each column through suppression.suppress)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from helpline.reports import charts
from helpline.reports.charts import Chart
from helpline.reports.suppression import DEFAULT_THRESHOLD, suppress

CHART_ROWS = 15  # a chart shows the largest rows; its table all of them
# A row's numbers: counts, or average scores kept as hundredths of a point (0: nothing scored), so
# a row stays whole numbers for charts, changes and suppression alike.
Unit = Literal["count", "score"]


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    current: int
    previous: int
    last_year: int | None = None
    shown: tuple[str, ...] | None = None  # published text per column, when suppressed
    unit: Unit = "count"

    def values(self) -> list[int]:
        return [self.current, self.previous] + ([self.last_year] if self.last_year is not None else [])

    def texts(self) -> tuple[str, ...]:
        if self.shown is not None:
            return self.shown
        if self.unit == "score":
            return tuple(f"{v / 100:.2f}" if v else "—" for v in self.values())
        return tuple(f"{v:,}" for v in self.values())

    @property
    def change(self) -> str:
        """Change from the previous period, as a signed percentage ("" when it cannot be said)."""
        if self.shown is not None or not self.previous or (self.unit == "score" and not self.current):
            return ""
        return f"{(self.current - self.previous) / self.previous:+.0%}"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: list[Row]
    chart: Chart | None = None
    note: str = ""
    drillable: bool = False
    footer: list[tuple[str, str]] = field(default_factory=list)  # (label, text) under the table
    totals: tuple[str, ...] = ()  # published: each column's total, as suppress() left it


def bars(title: str, rows: Sequence[Row], names: tuple[str, str]) -> Chart:
    shown = list(rows[:CHART_ROWS])
    return charts.bar_chart(
        title,
        [r.label for r in shown],
        [
            charts.Series(names[0], [r.current for r in shown], [r.texts()[0] for r in shown]),
            charts.Series(names[1], [r.previous for r in shown], [r.texts()[1] for r in shown]),
        ],
    )


def published(rows: Sequence[Row], threshold: int = DEFAULT_THRESHOLD) -> tuple[list[Row], tuple[str, ...]]:
    """The rows as they may be published, and each column's total: every period's column is a
    table of its own through suppress() (its total is the margin, so a total published elsewhere,
    as the headline's contacts, is already counted as known)."""
    if not rows:
        return [], ()
    columns = 3 if rows[0].last_year is not None else 2
    shown: list[list[str]] = []
    totals: list[str] = []
    for column in range(columns):
        values = [[(r.current, r.previous, r.last_year or 0)[column]] for r in rows]
        table = suppress(values, threshold)
        shown.append([table.grid[i][0] for i in range(len(rows))])
        totals.append(table.grid[len(rows)][0])
    out = [replace(r, shown=tuple(shown[c][i] for c in range(columns))) for i, r in enumerate(rows)]
    return out, tuple(totals)
