"""Figures of the work after a contact: cases opened and closed, follow-ups done on time, referrals
by service and outcome and how long partners took. Counts only, for whoever may see statistics
(the same gate as the rollups: selectors.may_see_statistics): a data officer reads none of these
records, only how many there were."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Q
from django.utils import timezone

from helpline.accounts.principals import Principal
from helpline.cases.models import Case, FollowUp, FollowUpStatus
from helpline.referrals.models import Referral
from helpline.referrals.stats import ReferralFigures, referral_figures
from helpline.reports.selectors import Period, may_see_statistics


@dataclass(frozen=True)
class WorkFigures:
    period: Period
    cases_opened: int
    cases_closed: int
    follow_ups_due: int  # due in the period, not cancelled
    follow_ups_on_time: int  # of those, done by the time they were due
    follow_ups_late: int  # done, after they were due
    referrals: ReferralFigures

    @property
    def follow_ups_on_time_share(self) -> float | None:
        return self.follow_ups_on_time / self.follow_ups_due if self.follow_ups_due else None


def period_bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_default_timezone()
    return (
        dt.datetime.combine(period.start, dt.time(), tzinfo=zone),
        dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tzinfo=zone),
    )


def work_figures(viewer: Principal, period: Period) -> WorkFigures:
    allowed = may_see_statistics(viewer)
    cases = Case.objects.all() if allowed else Case.objects.none()
    follow_ups = FollowUp.objects.all() if allowed else FollowUp.objects.none()
    referrals = Referral.objects.all() if allowed else Referral.objects.none()
    since, until = period_bounds(period)
    due = follow_ups.filter(due_at__gte=since, due_at__lt=until).exclude(status=FollowUpStatus.CANCELLED)
    done = due.filter(status=FollowUpStatus.DONE, done_at__isnull=False)
    return WorkFigures(
        period=period,
        cases_opened=cases.filter(opened_at__gte=since, opened_at__lt=until).count(),
        cases_closed=cases.filter(closed_at__gte=since, closed_at__lt=until).count(),
        follow_ups_due=due.count(),
        follow_ups_on_time=done.filter(done_at__lte=F("due_at")).count(),
        follow_ups_late=done.filter(Q(done_at__gt=F("due_at"))).count(),
        referrals=referral_figures(referrals, start=period.start, end=period.end),
    )
