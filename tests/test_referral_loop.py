"""The closed loop: a partner has N working days (Saturdays, Sundays and the SMS calendar's holidays
left out, counted on Phnom Penh's clock) or, for an urgent referral, a few hours to acknowledge;
past that the scheduler alerts the counsellor and the supervisors once, live, and puts a follow-up
on the case. A referral nobody answers expires."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.cases import supervision
from helpline.cases.models import CaseEvent, FollowUp, FollowUpKind
from helpline.common import live
from helpline.conversations.models import Holiday
from helpline.operations.registry import periodic_jobs
from helpline.operations.runner import holder_name, run_periodic
from helpline.referrals import loop, services
from helpline.referrals.jobs import PERIODIC
from helpline.referrals.lifecycle import referral_move
from helpline.referrals.models import (
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralSettings,
    ReferralStatus,
)
from tests.factories import persona
from tests.referral_drafts import child_case, indexed_partner, sent
from tests.test_live_pushes import listen

PP = ZoneInfo("Asia/Phnom_Penh")
ROUTINE, URGENT = "routine", "urgent"
# Cambodian public holidays of 2026: Khmer New Year (Tuesday 14 to Thursday 16 April) and
# International Labour Day (Friday 1 May).
KHMER_NEW_YEAR = [dt.date(2026, 4, 14), dt.date(2026, 4, 15), dt.date(2026, 4, 16)]
LABOUR_DAY = dt.date(2026, 5, 1)


def at(text: str) -> dt.datetime:
    """A Phnom Penh wall-clock time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=PP)


@pytest.fixture
def holidays(db: None) -> None:
    for day in [*KHMER_NEW_YEAR, LABOUR_DAY]:
        Holiday.objects.create(date=day, name="public holiday")


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        ("2026-03-02T10:00", "2026-03-04T10:00"),  # Monday → Wednesday, same time
        ("2026-03-06T15:00", "2026-03-10T15:00"),  # Friday afternoon → Tuesday: the weekend skipped
        ("2026-03-07T10:00", "2026-03-11T00:00"),  # Saturday: the clock starts Monday, ends with Tuesday
        ("2026-03-08T23:59", "2026-03-11T00:00"),  # Sunday night: the same
        ("2026-03-06T23:59", "2026-03-10T23:59"),  # a minute before the weekend
        ("2026-04-13T09:00", "2026-04-20T09:00"),  # Khmer New Year: Tuesday to Thursday off, then a weekend
        ("2026-04-14T10:00", "2026-04-21T00:00"),  # sent on a holiday: counting starts on Friday
        ("2026-04-30T16:00", "2026-05-05T16:00"),  # Labour Day Friday and the weekend after it
    ],
)
def test_two_working_days_skip_weekends_and_holidays(holidays: None, sent: str, due: str) -> None:
    assert loop.acknowledge_deadline(at(sent), ROUTINE) == at(due)


def test_working_days_are_counted_on_phnom_penhs_clock(db: None) -> None:
    # Friday 20:00 in UTC is already Saturday 03:00 in Phnom Penh: the weekend, not Friday evening.
    friday_evening_utc = dt.datetime(2026, 3, 6, 20, 0, tzinfo=dt.UTC)
    assert loop.acknowledge_deadline(friday_evening_utc, ROUTINE) == at("2026-03-11T00:00")


def test_the_number_of_days_and_urgent_hours_come_from_the_settings(db: None) -> None:
    config = ReferralSettings(acknowledge_working_days=1, acknowledge_urgent_hours=6)
    assert loop.acknowledge_deadline(at("2026-03-06T15:00"), ROUTINE, config) == at("2026-03-09T15:00")
    # Urgent: hours, weekend or not.
    assert loop.acknowledge_deadline(at("2026-03-07T22:00"), URGENT, config) == at("2026-03-08T04:00")
    assert loop.acknowledge_deadline(at("2026-03-07T22:00"), URGENT) == at("2026-03-08T02:00")


def _working_time(start: dt.datetime, end: dt.datetime, off: set[dt.date]) -> dt.timedelta:
    """Time between two moments that falls on working days, counted hour by hour (slow, plain)."""
    total = dt.timedelta()
    cursor = start.astimezone(PP)
    end = end.astimezone(PP)
    while cursor < end:
        step = min(
            dt.timedelta(hours=1) - dt.timedelta(minutes=cursor.minute, seconds=cursor.second), end - cursor
        )
        if cursor.weekday() < 5 and cursor.date() not in off:
            total += step
        cursor += step
    return total


class TestDeadlinesHold(HypothesisTestCase):
    """Over any sending minute of 2026 and 1 to 5 working days: the deadline leaves exactly that
    much working time, and not a minute earlier would."""

    @settings(max_examples=60, deadline=None)
    @given(
        minute=st.integers(min_value=0, max_value=365 * 24 * 60 - 1),
        days=st.integers(min_value=1, max_value=5),
    )
    def test_the_deadline_is_the_first_moment_with_enough_working_time(self, minute: int, days: int) -> None:
        off = {*KHMER_NEW_YEAR, LABOUR_DAY}
        for day in off:
            Holiday.objects.get_or_create(date=day, defaults={"name": "public holiday"})
        sent_at = at("2026-01-01T00:00") + dt.timedelta(minutes=minute)
        due = loop.acknowledge_deadline(sent_at, ROUTINE, ReferralSettings(acknowledge_working_days=days))
        assert _working_time(sent_at, due, off) == dt.timedelta(days=days)
        assert _working_time(sent_at, due - dt.timedelta(minutes=1), off) < dt.timedelta(days=days)


# --- The scheduler -----------------------------------------------------------------------------------


def test_the_jobs_are_declared_and_run_the_loops_functions() -> None:
    names = {j.name: j for j in periodic_jobs()}
    assert names["referrals.acknowledge_alerts"].function is loop.referrals_alert_overdue
    assert names["referrals.acknowledge_alerts"].seconds <= 60
    assert names["referrals.expiry"].function is loop.referrals_expire
    assert {"referrals.acknowledge_alerts", "referrals.expiry"} <= {j.name for j in PERIODIC}


@pytest.mark.django_db(transaction=True)  # the job runs on a thread of its own, as in the scheduler
def test_an_unacknowledged_referral_alerts_its_counsellor_and_supervisors_once(counsellor: Staff) -> None:
    case = child_case(counsellor)
    ref = sent(counsellor, case, indexed_partner())
    assert ref.acknowledge_by is not None
    assert loop.referrals_alert_overdue(ref.acknowledge_by - dt.timedelta(minutes=1)) == 0
    later = ref.acknowledge_by + dt.timedelta(minutes=1)
    other = persona(Role.COUNSELLOR, username="other")
    got = listen(
        {
            "counsellor": [live.staff_group(counsellor.pk)],
            "supervisors": [live.SUPERVISORS_GROUP],
            "other": [live.staff_group(other.pk)],
        },
        lambda: loop.referrals_alert_overdue(later),
    )
    assert [e["reason"] for e in got["supervisors"]] == [loop.OVERDUE]
    assert got["supervisors"][0]["number"] == ref.number
    assert loop.OVERDUE in [e["reason"] for e in got["counsellor"]]
    assert got["other"] == []
    ref.refresh_from_db()
    assert ref.overdue_alerted_at == later
    assert ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.ALERTED).count() == 1
    entry = CaseEvent.objects.filter(case=case, kind="referral").order_by("-at").first()
    assert entry is not None and entry.actor_label == "scheduler" and ref.number in entry.line
    check = FollowUp.objects.get(case=case, kind=FollowUpKind.REFERRAL_CHECK)
    assert check.owner == counsellor
    audit = AuditEvent.objects.get(action=AuditAction.REFERRAL_ALERT)
    assert audit.actor_label == "scheduler" and audit.record_id == str(ref.pk)
    # Once only.
    assert loop.referrals_alert_overdue(later + dt.timedelta(hours=1)) == 0
    assert FollowUp.objects.filter(kind=FollowUpKind.REFERRAL_CHECK).count() == 1


def test_an_acknowledged_referral_is_not_chased(counsellor: Staff) -> None:
    ref = sent(counsellor, child_case(counsellor), indexed_partner())
    services.referral_record_answer(counsellor, ref, ReferralStatus.ACKNOWLEDGED, "They emailed back")
    assert loop.referrals_alert_overdue(timezone.now() + dt.timedelta(days=10)) == 0
    assert not FollowUp.objects.filter(kind=FollowUpKind.REFERRAL_CHECK).exists()


def test_a_case_awaiting_closure_is_still_alerted_but_takes_no_follow_up(counsellor: Staff) -> None:
    case = child_case(counsellor)
    ref = sent(counsellor, case, indexed_partner())
    supervision.closure_request(counsellor, case=case, reason="Goals met")
    assert loop.referrals_alert_overdue(timezone.now() + dt.timedelta(days=10)) == 1
    ref.refresh_from_db()
    assert ref.overdue_alerted_at is not None
    assert not FollowUp.objects.filter(kind=FollowUpKind.REFERRAL_CHECK).exists()


def test_the_scheduler_job_alerts_through_its_lease(counsellor: Staff) -> None:
    ref = sent(counsellor, child_case(counsellor), indexed_partner())
    Referral.objects.filter(pk=ref.pk).update(acknowledge_by=timezone.now() - dt.timedelta(minutes=1))
    job = {j.name: j for j in periodic_jobs()}["referrals.acknowledge_alerts"]
    assert run_periodic(job, holder=holder_name())
    ref.refresh_from_db()
    assert ref.overdue_alerted_at is not None


def test_a_referral_nobody_answered_expires_after_the_set_days(counsellor: Staff) -> None:
    case = child_case(counsellor)
    partner = indexed_partner()
    silent, acknowledged, accepted = (sent(counsellor, case, partner) for _ in range(3))
    referral_move(acknowledged, ReferralStatus.ACKNOWLEDGED, actor=counsellor)
    referral_move(accepted, ReferralStatus.ACCEPTED, actor=counsellor)
    assert loop.referrals_expire(timezone.now() + dt.timedelta(days=13)) == 0
    assert loop.referrals_expire(timezone.now() + dt.timedelta(days=14, minutes=1)) == 2
    statuses = dict(Referral.objects.values_list("pk", "status"))
    assert statuses[silent.pk] == statuses[acknowledged.pk] == ReferralStatus.EXPIRED
    assert statuses[accepted.pk] == ReferralStatus.ACCEPTED
    event = ReferralEvent.objects.get(referral=silent, new_status=ReferralStatus.EXPIRED)
    assert event.actor is None and event.token is None
    assert AuditEvent.objects.filter(
        action=AuditAction.REFERRAL_STATUS, actor_label="scheduler", record_id=str(silent.pk)
    ).exists()
    assert loop.referrals_expire(timezone.now() + dt.timedelta(days=30)) == 0  # once
