"""The quality sections of the dashboard and the reports: complaints by subject and by where they
stand (with how long answers took and how many are overdue), each survey question's answers,
review scores per rubric line, and shift coverage. Built from figures_quality.py only.

For publication, complaints and survey answers (about the children and adults who contacted the
helpline) go through suppression like every other count; a review average based on fewer scores
than the threshold is hidden with every other average of its column (the overall average and the
counts would give one hidden average back); shift coverage is published whole: it counts staff
shifts and hours, and singles out no child or client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from django.utils.translation import gettext as _

from helpline.accounts.principals import Principal
from helpline.feedback.figures import SUBJECTS
from helpline.feedback.models import Answer, Question, State, Subject
from helpline.referrals.stats import Durations
from helpline.reports.board_rows import Row, Section, bars, published
from helpline.reports.figures_quality import QualityFigures, quality_figures
from helpline.reports.selectors import Period

SURVEY_KEYS = tuple(f"survey_{q}" for q in Question.values)
QUALITY_KEYS = frozenset(
    {"complaint_subject", "complaint_state", *SURVEY_KEYS, "review_scores", "shift_coverage", "shift_hours"}
)

Trio = tuple[QualityFigures, QualityFigures, QualityFigures | None]


def _rows(
    figures: Trio, codes: list[tuple[str, str]], pick: Callable[[QualityFigures, str], int]
) -> list[Row]:
    now, before, year = figures
    return [
        Row(code, label, pick(now, code), pick(before, code), None if year is None else pick(year, code))
        for code, label in codes
    ]


def _span(value: dt.timedelta | None) -> str:
    if value is None:
        return "—"
    return _("%(hours).1f hours") % {"hours": value.total_seconds() / 3600}


def _count(n: int, threshold: int | None) -> str:
    return f"<{threshold}" if threshold is not None and 0 < n < threshold else f"{n:,}"


def _times(spans: Durations, threshold: int | None) -> tuple[str, str]:
    """Median and 90th percentile; for publication only over at least `threshold` items (a time
    over one or two complaints is theirs)."""
    if threshold is not None and 0 < spans.count < threshold:
        return "x", "x"
    return _span(spans.median), _span(spans.p90)


def _complaints(figures: Trio, names: tuple[str, str], threshold: int | None) -> list[Section]:
    subject_rows = _rows(
        figures, [(s, str(Subject(s).label)) for s in SUBJECTS], lambda f, c: f.complaints.by_subject[c]
    )
    state_rows = _rows(
        figures, [(s, str(State(s).label)) for s in State.values], lambda f, c: f.complaints.by_state[c]
    )
    subject_totals: tuple[str, ...] = ()
    state_totals: tuple[str, ...] = ()
    if threshold is not None:
        subject_rows, subject_totals = published(subject_rows, threshold)
        state_rows, state_totals = published(state_rows, threshold)
    c = figures[0].complaints
    ack_median, ack_p90 = _times(c.to_acknowledge, threshold)
    respond_median, respond_p90 = _times(c.to_respond, threshold)
    footer = [
        (_("Median time to acknowledge"), ack_median),
        (_("90% acknowledged within"), ack_p90),
        (_("Median time to respond"), respond_median),
        (_("90% responded to within"), respond_p90),
        (_("Responded to by the due date"), _count(c.responded_in_time, threshold)),
        (_("Responded to after the due date"), _count(c.responded_late, threshold)),
        (_("Overdue now: not yet responded to, past the due date"), _count(c.overdue, threshold)),
    ]
    by_subject = _("Complaints by subject")
    by_state = _("Complaints by where they stand (received to closed)")
    note = _("Complaints received in the period; where each stands now.")
    return [
        Section(
            "complaint_subject", by_subject, subject_rows, bars(by_subject, subject_rows, names),
            note, totals=subject_totals,
        ),
        Section(
            "complaint_state", by_state, state_rows, bars(by_state, state_rows, names),
            note, footer=footer, totals=state_totals,
        ),
    ]  # fmt: skip


def _survey(figures: Trio, names: tuple[str, str], threshold: int | None) -> list[Section]:
    sections = []
    answers = [(a, str(Answer(a).label)) for a in Answer.values]
    for question in Question.values:
        rows = _rows(figures, answers, lambda f, a, q=question: f.survey[q][a])  # type: ignore[misc]
        totals: tuple[str, ...] = ()
        if threshold is not None:
            rows, totals = published(rows, threshold)
        title = _("Survey after a chat or SMS: %(question)s") % {"question": Question(question).label}
        sections.append(Section(f"survey_{question}", title, rows, bars(title, rows, names), totals=totals))
    return sections


def _hundredths(value: float | None) -> int:
    return round(value * 100) if value is not None else 0


def _reviews(figures: Trio, names: tuple[str, str], threshold: int | None) -> Section:
    periods = [f for f in figures if f is not None]
    labels: dict[str, str] = {}
    for f in periods:
        for line in f.reviews.by_criterion:
            labels.setdefault(line.code, line.label)
    codes = [*labels.items(), ("overall", _("Every line together"))]

    def average(f: QualityFigures, code: str) -> int:
        if code == "overall":
            return _hundredths(f.reviews.overall)
        found = [line.average for line in f.reviews.by_criterion if line.code == code]
        return _hundredths(found[0] if found else None)

    rows = [replace(r, unit="score") for r in _rows(figures, codes, average)]
    if threshold is not None:
        # A column whose averages rest on too few scores is hidden whole (see the module's note).
        hidden = [
            any(0 < line.scored < threshold for line in f.reviews.by_criterion)
            or 0 < f.reviews.reviews < threshold
            for f in periods
        ]
        rows = [
            replace(
                r, shown=tuple("x" if hide else text for hide, text in zip(hidden, r.texts(), strict=True))
            )
            for r in rows
        ]
    title = _("Quality review scores: the average of each line (1 to 5)")
    note = _("Averages over every counsellor reviewed in the period: no counsellor is shown apart.")
    footer = [(_("Reviews scored"), _count(figures[0].reviews.reviews, threshold))]
    return Section("review_scores", title, rows, bars(title, rows, names), note, footer=footer)


def _coverage(figures: Trio, names: tuple[str, str]) -> list[Section]:
    shifts = _rows(
        figures,
        [("covered", _("Shifts at or above their minimum")), ("gaps", _("Shifts under their minimum"))],
        lambda f, c: f.coverage.covered if c == "covered" else f.coverage.gaps,
    )
    words = {
        "hours_required": _("Counsellor-hours required (each shift's minimum)"),
        "hours_staffed": _("Counsellor-hours staffed"),
        "hours_short": _("Required counsellor-hours left uncovered"),
    }
    hours = _rows(figures, list(words.items()), lambda f, c: round(getattr(f.coverage, c)))
    c = figures[0].coverage
    footer = [
        (_("Shifts"), f"{c.shifts:,}"),
        (_("Counsellor places filled, up to each minimum"), f"{c.places_filled:,} / {c.places_needed:,}"),
    ]
    title_shifts = _("Shift coverage")
    title_hours = _("Counsellor-hours on shifts")
    note = _("Shifts starting in the period, each counted whole.")
    return [
        Section(
            "shift_coverage", title_shifts, shifts, bars(title_shifts, shifts, names), note, footer=footer
        ),
        Section("shift_hours", title_hours, hours, bars(title_hours, hours, names), note),
    ]


def quality_sections(
    viewer: Principal,
    period: Period,
    previous: Period,
    last_year: Period | None,
    names: tuple[str, str],
    *,
    threshold: int | None = None,
) -> list[Section]:
    """The quality sections for a board; `threshold` set: as they may be published."""
    figures: Trio = (
        quality_figures(viewer, period),
        quality_figures(viewer, previous),
        quality_figures(viewer, last_year) if last_year is not None else None,
    )
    return [
        *_complaints(figures, names, threshold),
        *_survey(figures, names, threshold),
        _reviews(figures, names, threshold),
        *_coverage(figures, names),
    ]
