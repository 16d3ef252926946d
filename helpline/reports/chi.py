"""The CHI yearly submission (../shared/reference/chi-data-framework.md): counts of contacts by
channel, counselling vs non-counselling, reason category and subcategory (local ones folded into
the CHI code they count under), gender, age group, caller type and action taken.

One table per section: a row per code, a column per channel and the row's total, and a total row.
Every code of the section is listed, zeros included, so the layout is the same every year. Marked
for publication, each section goes through suppression.suppress (its margins included)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import translation
from openpyxl import Workbook

from helpline.accounts.principals import Principal
from helpline.common.text import spreadsheet_cell
from helpline.contacts.models import DATA_KINDS, FEEDBACK_KINDS, NON_DATA_KINDS, Channel, Term, Vocabulary
from helpline.reports.facts import AGE_BANDS
from helpline.reports.models import MonthlyAllRollup
from helpline.reports.selectors import Period, grouped_rows
from helpline.reports.suppression import DEFAULT_THRESHOLD, suppress, with_margins

CHANNELS = [c.value for c in Channel]
AGE_LABELS = {
    "0-6": "0-6", "7-12": "7-12", "13-15": "13-15", "16-17": "16-17", "18-25": "18-25",
    "over_25": "Over 25", "unknown": "Unknown",
}  # fmt: skip


@dataclass(frozen=True)
class Section:
    name: str
    codes: list[tuple[str, str]]  # (code, English label)
    counts: list[list[int]]  # per code, per channel


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))


def _terms(vocabulary: str, *, categories: bool | None = None) -> list[tuple[str, str]]:
    qs = Term.objects.filter(vocabulary=vocabulary, is_local=False)
    if categories is not None:
        qs = qs.filter(parent__isnull=categories)
    return list(qs.order_by("sort_order").values_list("code", "label_en"))


def _layout() -> list[tuple[str, str, list[tuple[str, str]], dict[str, str]]]:
    """(section, rollup dimension, codes, how rollup values fold into codes)."""
    kinds = [
        ("counselling", "Counselling"),
        ("non_counselling", "Non-counselling"),
        ("not_classified", "Not classified"),
    ]
    fold_kind: dict[str, str] = {str(k): "non_counselling" for k in NON_DATA_KINDS | FEEDBACK_KINDS}
    fold_kind.update({str(k): "counselling" for k in DATA_KINDS})
    fold_kind[""] = "not_classified"
    unknown = ("unknown", "Unknown / not recorded")
    gender = _terms(Vocabulary.GENDER)
    return [
        ("contact_type", "kind", kinds, fold_kind),
        (
            "reason_category",
            "chi_category",
            [*_terms(Vocabulary.REASON, categories=True), ("", "No reason recorded")],
            {},
        ),
        (
            "reason_subcategory",
            "chi_subcategory",
            [*_terms(Vocabulary.REASON, categories=False), ("", "No reason recorded")],
            {},
        ),
        (
            "gender",
            "gender",
            gender if any(c == "unknown" for c, _ in gender) else [*gender, unknown],
            {"": "unknown"},
        ),
        ("age_group", "age_band", [(b, AGE_LABELS[b]) for b in AGE_BANDS], {}),
        ("caller_type", "caller_type", [*_terms(Vocabulary.CALLER_TYPE), unknown], {"": "unknown"}),
        ("action", "action", [*_terms(Vocabulary.ACTION), ("", "No action recorded")], {}),
    ]


def chi_sections(viewer: Principal, year: int) -> list[Section]:
    period = year_period(year)
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for dimension, value, channel, n, _wait in grouped_rows(viewer, period):
        counts[(dimension, value, channel)] += n
    # Contacts by channel: one row, a column per channel (as every section's columns are).
    sections = [
        Section("contacts", [("all", "All contacts")], [[counts.get(("total", "", c), 0) for c in CHANNELS]])
    ]
    for name, dimension, codes, fold in _layout():
        index = {code: n for n, (code, _label) in enumerate(codes)}
        table = [[0] * len(CHANNELS) for _ in codes]
        for (dim, value, channel), n in counts.items():
            if dim != dimension or channel not in CHANNELS:
                continue
            code = fold.get(value, value)
            if code in index:
                table[index[code]][CHANNELS.index(channel)] += n
        sections.append(Section(name, codes, table))
    return sections


def chi_table(
    viewer: Principal,
    year: int,
    *,
    publication: bool,
    threshold: int = DEFAULT_THRESHOLD,
    progress: Callable[[int], None] | None = None,
) -> list[list[str]]:
    """The export's rows (header first), as text. `progress` hears a percentage at each section and,
    while one is suppressed (most of the time a publication file takes), again as its work moves."""
    with translation.override("en"):
        sections = chi_sections(viewer, year)
        channel_labels = [str(Channel(c).label) for c in CHANNELS]
    header = ["year", "section", "code", "label", *channel_labels, "Total"]
    out = [header]
    for done, section in enumerate(sections):
        percent = 10 + 85 * done // len(sections)
        if progress is not None:
            progress(percent)
        if publication:
            tick = None if progress is None else (lambda percent=percent: progress(percent))
            grid = suppress(section.counts, threshold, tick).grid
        else:
            grid = [[str(v) for v in row] for row in with_margins(section.counts)]
        labels = [*section.codes, ("total", "Total")]
        for (code, label), cells in zip(labels, grid, strict=True):
            out.append([str(year), section.name, code or "none", label, *cells])
    return out


def chi_rows(
    viewer: Principal,
    year: int,
    *,
    publication: bool,
    threshold: int = DEFAULT_THRESHOLD,
    progress: Callable[[int], None] | None = None,
) -> list[list[str]]:
    """The export's rows (header first), spreadsheet-safe for CSV."""
    table = chi_table(viewer, year, publication=publication, threshold=threshold, progress=progress)
    return [[spreadsheet_cell(cell) for cell in row] for row in table]


def chi_xlsx(viewer: Principal, year: int, *, publication: bool) -> bytes:
    """The same rows as the CSV in one sheet: counts as numbers, everything else as text cells
    (typed as strings, so a label beginning with "=" is never a formula and needs no apostrophe)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = f"CHI {year}"
    for r, row in enumerate(chi_table(viewer, year, publication=publication), start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            if r > 1 and (c == 1 or c > 4) and value.isdigit():
                cell.value = int(value)
            else:
                cell.value = value
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def chi_csv(
    viewer: Principal, year: int, *, publication: bool, progress: Callable[[int], None] | None = None
) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(chi_rows(viewer, year, publication=publication, progress=progress))
    return buffer.getvalue()


def rollup_years() -> list[int]:
    """Years that have figures (for a picker): from the months' totals, one row a month (dates()
    over every rollup row truncated each one in Python on SQLite: most of the dashboard's time)."""
    months = MonthlyAllRollup.objects.filter(dimension="total").values_list("month", flat=True)
    return sorted({month.year for month in months})
