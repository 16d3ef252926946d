"""Figures for the reports (the reports app reads these; nothing here names a person or quotes
anyone): complaints by subject and by outcome, how long answers took, survey answers."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.db.models import Count

from helpline.feedback.models import Answer, Feedback, FeedbackKind, Question, State, SurveyAnswer


@dataclass(frozen=True)
class ComplaintFigures:
    total: int
    by_subject: dict[str, int]  # helpline, staff, partner
    by_state: dict[str, int]  # the outcome so far: received ... closed
    by_source: dict[str, int]
    responded: int
    responded_in_time: int  # by the respond-by date
    median_hours_to_respond: float | None
    median_hours_to_acknowledge: float | None


def _counts(rows: object, key: str) -> dict[str, int]:
    return {row[key]: row["n"] for row in rows}  # type: ignore[attr-defined]


def _hours(pairs: list[tuple[dt.datetime, dt.datetime]]) -> float | None:
    spans = [(end - start).total_seconds() / 3600 for start, end in pairs if end >= start]
    return round(statistics.median(spans), 1) if spans else None


def complaint_figures(
    start: dt.datetime, end: dt.datetime, *, kind: str = FeedbackKind.COMPLAINT
) -> ComplaintFigures:
    """Complaints (or, with `kind`, other feedback) received in [start, end)."""
    items = Feedback.objects.filter(kind=kind, received_at__gte=start, received_at__lt=end)
    by_subject = _counts(items.values("subject").annotate(n=Count("id")).order_by(), "subject")
    by_state = _counts(items.values("state").annotate(n=Count("id")).order_by(), "state")
    by_source = _counts(items.values("source").annotate(n=Count("id")).order_by(), "source")
    answered = [
        (received, at, due)
        for received, at, due in items.values_list("received_at", "responded_at", "respond_by")
        if at is not None
    ]
    acknowledged = [
        (received, at)
        for received, at in items.values_list("received_at", "acknowledged_at")
        if at is not None
    ]
    return ComplaintFigures(
        total=sum(by_state.values()),
        by_subject={s: by_subject.get(s, 0) for s in ("helpline", "staff", "partner")},
        by_state={s: by_state.get(s, 0) for s in State.values},
        by_source=by_source,
        responded=len(answered),
        responded_in_time=len([1 for _r, at, due in answered if at <= due]),
        median_hours_to_respond=_hours([(r, at) for r, at, _d in answered]),
        median_hours_to_acknowledge=_hours(acknowledged),
    )


def survey_figures(start: dt.datetime, end: dt.datetime) -> dict[str, dict[str, int]]:
    """Survey answers given in [start, end): question -> answer -> how many (every answer listed,
    zeros included)."""
    rows = (
        SurveyAnswer.objects.filter(answered_at__gte=start, answered_at__lt=end)
        .values("question", "answer")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = {(r["question"], r["answer"]): r["n"] for r in rows}
    return {q: {a: found.get((q, a), 0) for a in Answer.values} for q in Question.values}
