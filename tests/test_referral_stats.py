"""The referral figures the reports read: counts by service, partner, province and outcome, and the
median and 90th percentile of the time partners took to answer and to deliver, over the referrals
sent in a date range that the reader may see. Checked against figures worked out here by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.accounts.models import Role, Staff
from helpline.referrals.models import Referral, ReferralStatus
from helpline.referrals.selectors import referrals_visible_to
from helpline.referrals.stats import Durations, durations, referral_figures
from tests.factories import persona
from tests.referral_drafts import child_case
from tests.referral_factories import partner, referral

pytestmark = pytest.mark.django_db
PP = ZoneInfo("Asia/Phnom_Penh")
H = dt.timedelta(hours=1)


def local(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=PP)


def made(
    case: object,
    sender: Staff,
    to: object,
    *,
    n: int,
    sent: dt.datetime | None,
    status: str,
    service: str = "shelter",
    **stamps: dt.timedelta,
) -> Referral:
    ref = referral(case, sender, to=to, status=status, service=service, number=f"R-2026-{n:05d}")  # type: ignore[arg-type]
    values = {"sent_at": sent} | {name: sent + delta for name, delta in stamps.items() if sent}  # type: ignore[operator]
    Referral.objects.filter(pk=ref.pk).update(**values)
    return ref


def test_figures_count_by_service_partner_province_and_outcome_with_answer_times(counsellor: Staff) -> None:
    pp_case = child_case(counsellor, province="phnom_penh")
    sr_case = child_case(counsellor, province="siem_reap", nickname="Sokha")
    shelter = partner("Safe Haven", services=("shelter", "food"))
    lawyers = partner("Legal Aid", services=("legal_advice",))
    answered = {"acknowledged_at": 2 * H, "accepted_at": 5 * H, "delivered_at": 48 * H}
    made(pp_case, counsellor, shelter, n=1, sent=local(2), status="delivered", **answered)
    # Accepted at once: that is its first answer.
    made(pp_case, counsellor, shelter, n=2, sent=local(3), status="accepted", service="food", accepted_at=H)
    declined = {"acknowledged_at": 10 * H, "declined_at": 20 * H}
    made(
        sr_case,
        counsellor,
        lawyers,
        n=3,
        sent=local(4),
        status="declined",
        service="legal_advice",
        **declined,
    )
    answered = {"acknowledged_at": 4 * H, "accepted_at": 6 * H, "delivered_at": 24 * H}
    made(sr_case, counsellor, shelter, n=4, sent=local(5), status="delivered", **answered)
    made(sr_case, counsellor, shelter, n=5, sent=local(6), status="sent")
    # Outside the range, and a draft never sent: not counted.
    made(pp_case, counsellor, shelter, n=6, sent=local(20), status="expired")
    made(pp_case, counsellor, shelter, n=7, sent=None, status="draft")
    # Sent 23:30 on the 1st in Phnom Penh, which is still the 1st: outside a range from the 2nd.
    made(pp_case, counsellor, shelter, n=8, sent=dt.datetime(2026, 3, 1, 23, 30, tzinfo=PP), status="sent")

    figures = referral_figures(
        referrals_visible_to(counsellor), start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 10)
    )
    assert figures.total == 5
    assert {t.key: t.count for t in figures.by_service} == {"shelter": 3, "food": 1, "legal_advice": 1}
    assert {t.label_en: t.count for t in figures.by_partner} == {"Safe Haven": 4, "Legal Aid": 1}
    assert {t.key: t.count for t in figures.by_province} == {"phnom_penh": 2, "siem_reap": 3}
    assert {t.key: t.count for t in figures.by_outcome} == {
        "delivered": 2,
        "accepted": 1,
        "declined": 1,
        "sent": 1,
    }
    delivered = next(t for t in figures.by_outcome if t.key == "delivered")
    assert delivered.label_en == "Service delivered" and delivered.label_km == "បានផ្ដល់សេវារួច"
    # First answers: 2 h, 1 h, 10 h, 4 h → sorted 1, 2, 4, 10: median 3 h; p90 (nearest rank 4 of 4) 10 h.
    assert figures.to_acknowledgement == Durations(4, 3 * H, 10 * H)
    # Deliveries: 48 h and 24 h → median 36 h, p90 (rank 2 of 2) 48 h.
    assert figures.to_delivery == Durations(2, 36 * H, 48 * H)


def test_figures_count_only_what_the_reader_may_see(counsellor: Staff) -> None:
    other = persona(Role.COUNSELLOR, username="other")
    shelter = partner()
    made(child_case(counsellor), counsellor, shelter, n=1, sent=local(2), status="sent")
    made(child_case(other), other, shelter, n=2, sent=local(2), status="sent")
    supervisor = persona(Role.SUPERVISOR, username="sup")
    data_officer = persona(Role.DATA_OFFICER, username="data")
    span = {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31)}
    assert referral_figures(referrals_visible_to(counsellor), **span).total == 1
    assert referral_figures(referrals_visible_to(supervisor), **span).total == 2
    assert referral_figures(referrals_visible_to(data_officer), **span).total == 0
    empty = referral_figures(referrals_visible_to(data_officer), **span)
    assert empty.by_service == [] and empty.to_delivery == Durations(0, None, None)


def test_a_case_without_a_province_is_counted_as_not_recorded(counsellor: Staff) -> None:
    case = child_case(counsellor)
    type(case).objects.filter(pk=case.pk).update(province=None)
    made(case, counsellor, partner(), n=1, sent=local(2), status=ReferralStatus.SENT)
    [row] = referral_figures(
        Referral.objects.all(), start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)
    ).by_province
    assert row.key == "" and row.count == 1 and row.label_en == "Not recorded"


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40))
def test_the_median_and_p90_are_the_textbook_ones(minutes: list[int]) -> None:
    found = durations(dt.timedelta(minutes=m) for m in minutes)
    ordered = sorted(minutes)
    n = len(ordered)
    middle = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
    rank = -(-9 * n // 10)  # ceil(0.9 n) with integers only
    assert found.count == n
    assert found.median == dt.timedelta(minutes=middle)
    assert found.p90 == dt.timedelta(minutes=ordered[rank - 1])
    assert sum(1 for m in ordered if dt.timedelta(minutes=m) <= found.p90) >= 0.9 * n
