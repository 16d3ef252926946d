"""Figures of the service's quality for a period: complaints (by subject, where they stand, how long
acknowledging and answering took, how many are overdue), survey answers, review scores per rubric
line and shift coverage. Read from the feedback, people and rota apps' figures, for whoever may see
statistics (the same gate as the rollups: selectors.may_see_statistics): a data officer reads no
complaint, answer, review or shift, only how many there were and the averages. Review scores are
averaged over every counsellor reviewed: never per counsellor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from helpline.accounts.principals import Principal
from helpline.feedback.figures import ComplaintFigures, complaint_figures, survey_figures
from helpline.feedback.models import Feedback, SurveyAnswer
from helpline.people.figures import ReviewScores, review_scores
from helpline.people.models import Review
from helpline.reports.figures_work import period_bounds
from helpline.reports.selectors import Period, may_see_statistics
from helpline.rota.figures import Coverage, shift_coverage
from helpline.rota.models import Shift


@dataclass(frozen=True)
class QualityFigures:
    period: Period
    complaints: ComplaintFigures
    survey: dict[str, dict[str, int]]  # question -> answer -> how many
    reviews: ReviewScores
    coverage: Coverage


def quality_figures(viewer: Principal, period: Period, *, now: dt.datetime | None = None) -> QualityFigures:
    allowed = may_see_statistics(viewer)
    since, until = period_bounds(period)
    return QualityFigures(
        period=period,
        complaints=complaint_figures(
            since, until, items=Feedback.objects.all() if allowed else Feedback.objects.none(), now=now
        ),
        survey=survey_figures(
            since, until, answers=SurveyAnswer.objects.all() if allowed else SurveyAnswer.objects.none()
        ),
        reviews=review_scores(
            period.start, period.end, reviews=Review.objects.all() if allowed else Review.objects.none()
        ),
        coverage=shift_coverage(
            period.start, period.end, among=Shift.objects.all() if allowed else Shift.objects.none()
        ),
    )
