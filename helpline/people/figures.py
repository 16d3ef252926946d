"""Review scores for the reports: the average of each rubric line over the reviews scored in a
period, and how many reviews. Aggregates only: no counsellor, no contact. The reports app passes
the reviews its viewer may count (none for someone who may not see statistics)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, QuerySet
from django.utils import timezone

from helpline.people.models import Criterion, Review, Score


@dataclass(frozen=True)
class CriterionScore:
    code: str
    label: str
    average: float | None
    scored: int


@dataclass(frozen=True)
class ReviewScores:
    reviews: int
    overall: float | None
    by_criterion: list[CriterionScore]


def review_scores(start: dt.date, end: dt.date, *, reviews: QuerySet[Review] | None = None) -> ReviewScores:
    """Reviews scored from `start` to `end`, both days included (the helpline's local days)."""
    zone = timezone.get_default_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    among = (Review.objects.all() if reviews is None else reviews).filter(
        scored_at__gte=since, scored_at__lt=until
    )
    scored = Score.objects.filter(review__in=among.values("pk"))
    per = {
        row["criterion"]: row
        for row in scored.values("criterion").annotate(average=Avg("score"), n=Count("id")).order_by()
    }
    overall = scored.aggregate(average=Avg("score"))["average"]
    return ReviewScores(
        reviews=among.count(),
        overall=round(float(overall), 2) if overall is not None else None,
        by_criterion=[
            CriterionScore(
                code=c.code,
                label=c.label,
                average=round(float(per[c.pk]["average"]), 2) if c.pk in per else None,
                scored=int(per[c.pk]["n"]) if c.pk in per else 0,
            )
            for c in Criterion.objects.all()
            if c.is_active or c.pk in per
        ],
    )
