"""Figures for the reports (the reports app reads these; nothing here names a person or quotes
anyone): complaints by subject and by outcome, how long acknowledging and answering took, how many
are overdue, survey answers. The reports app passes the records its viewer may count (none for
someone who may not see statistics); called without them, every record counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.utils import timezone

from helpline.feedback.models import (
    OPEN_STATES,
    Answer,
    Feedback,
    FeedbackKind,
    Question,
    State,
    SurveyAnswer,
)
from helpline.referrals.stats import Durations, durations

SUBJECTS = ("helpline", "staff", "partner")


@dataclass(frozen=True)
class ComplaintFigures:
    total: int
    by_subject: dict[str, int]  # helpline, staff, partner
    by_state: dict[str, int]  # the outcome so far: received ... closed
    by_source: dict[str, int]
    responded: int
    responded_in_time: int  # by the respond-by date
    to_acknowledge: Durations  # from received to acknowledged, over those acknowledged
    to_respond: Durations  # from received to responded, over those responded
    overdue: int  # still not responded to, past the respond-by date (at the time asked)

    @property
    def responded_late(self) -> int:
        return self.responded - self.responded_in_time

    @property
    def median_hours_to_respond(self) -> float | None:
        return _hours(self.to_respond.median)

    @property
    def median_hours_to_acknowledge(self) -> float | None:
        return _hours(self.to_acknowledge.median)


def _counts(rows: object, key: str) -> dict[str, int]:
    return {row[key]: row["n"] for row in rows}  # type: ignore[attr-defined]


def _hours(span: dt.timedelta | None) -> float | None:
    return None if span is None else round(span.total_seconds() / 3600, 1)


def complaint_figures(
    start: dt.datetime,
    end: dt.datetime,
    *,
    kind: str = FeedbackKind.COMPLAINT,
    items: QuerySet[Feedback] | None = None,
    now: dt.datetime | None = None,
) -> ComplaintFigures:
    """Complaints (or, with `kind`, other feedback) received in [start, end), among `items`."""
    now = now or timezone.now()
    found = (Feedback.objects.all() if items is None else items).filter(
        kind=kind, received_at__gte=start, received_at__lt=end
    )
    by_subject = _counts(found.values("subject").annotate(n=Count("id")).order_by(), "subject")
    by_state = _counts(found.values("state").annotate(n=Count("id")).order_by(), "state")
    by_source = _counts(found.values("source").annotate(n=Count("id")).order_by(), "source")
    times = list(found.values_list("received_at", "acknowledged_at", "responded_at", "respond_by", "state"))
    answered = [(r, at, due) for r, _ack, at, due, _s in times if at is not None]
    return ComplaintFigures(
        total=sum(by_state.values()),
        by_subject={s: by_subject.get(s, 0) for s in SUBJECTS},
        by_state={s: by_state.get(s, 0) for s in State.values},
        by_source=by_source,
        responded=len(answered),
        responded_in_time=len([1 for _r, at, due in answered if at <= due]),
        # A clock set back never makes a negative span: such a pair is left out.
        to_acknowledge=durations(ack - r for r, ack, _at, _due, _s in times if ack is not None and ack >= r),
        to_respond=durations(at - r for r, at, _due in answered if at >= r),
        overdue=len([1 for _r, _ack, at, due, s in times if at is None and s in OPEN_STATES and due < now]),
    )


def survey_figures(
    start: dt.datetime, end: dt.datetime, *, answers: QuerySet[SurveyAnswer] | None = None
) -> dict[str, dict[str, int]]:
    """Survey answers given in [start, end): question -> answer -> how many (every answer listed,
    zeros included)."""
    rows = (
        (SurveyAnswer.objects.all() if answers is None else answers)
        .filter(answered_at__gte=start, answered_at__lt=end)
        .values("question", "answer")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = {(r["question"], r["answer"]): r["n"] for r in rows}
    return {q: {a: found.get((q, a), 0) for a in Answer.values} for q in Question.values}
