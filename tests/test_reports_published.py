"""Figures marked for publication, and the referral figures of the reports: aggregates a data
officer may read though they may open no referral; in the summary for publication no count from
1 to 4 is shown and none can be worked out from the totals beside it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.referrals.models import Referral
from helpline.referrals.selectors import referrals_visible_to
from helpline.reports.rollups import rollups_refresh
from helpline.reports.selectors import Period, referral_counts
from tests import report_factories as rf
from tests.case_factories import open_case
from tests.conftest import signed_in_client
from tests.factories import persona
from tests.referral_factories import partner, referral

JUNE = {"from": "2025-06-01", "to": "2025-06-30"}


@pytest.fixture
def june(db: None) -> Staff:
    """A month of contacts: many counselling calls, a few SMS, one chat, one of several kinds."""
    counsellor = persona(Role.COUNSELLOR, username="c")
    at = dt.datetime(2025, 6, 3, 3, tzinfo=dt.UTC)
    for i in range(30):
        rf.enter(counsellor, channel="voice", arrived_at=at, kind="counselling", gender="female", age=14,
                 address=f"tel:+8551200{i:04d}")  # fmt: skip
    for _ in range(3):
        rf.enter(counsellor, channel="sms", arrived_at=at, kind="counselling", gender="male", age=16)
    rf.enter(counsellor, channel="webchat", arrived_at=at, kind="information")
    for kind in ["silent", "hang_up", "prank"]:
        rf.enter(counsellor, channel="voice", arrived_at=at, kind=kind)
    rollups_refresh()
    return counsellor


def _counts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, item in value.items() if k not in {"date_from", "date_to"} for v in _counts(item)]
    return [value] if isinstance(value, str) else []


def test_the_summary_for_publication_shows_no_small_count(june: Staff) -> None:
    client = signed_in_client(persona(Role.DATA_OFFICER, username="d"))
    response = client.get("/api/v1/reports/summary", {**JUNE, "publication": "true"})
    assert response.status_code == 200, response.content
    body = response.json()
    current = body["current"]
    shown = _counts(current)
    assert shown and all(v in {"<5", "x"} or v == "0" or int(v) >= 5 for v in shown)
    assert current["by_channel"]["sms"] == "<5" and current["by_channel"]["webchat"] == "<5"
    assert current["by_channel"]["voice"] == "33" and current["contacts"] == "37"
    # Four kinds of one contact each: with the total and counselling's 33 shown they would add up to
    # 4 and so be 1 each; counselling is hidden too. The group sums are not published beside a
    # hidden part (they would give it away by subtraction).
    assert current["by_kind"]["information"] == "<5" and current["by_kind"]["prank"] == "<5"
    assert current["by_kind"]["counselling"] == "x"
    assert current["counselling"] == "x" and current["non_counselling"] == "x"
    # The previous period is the previous whole month, not the 30 days before.
    assert body["previous"]["date_from"] == "2025-05-01" and body["previous"]["date_to"] == "2025-05-31"
    assert current["calls"]["offered"] == "33" and current["calls"]["answered"] == "33"
    # The figures without publication are exact.
    exact = client.get("/api/v1/reports/summary", JUNE).json()["current"]
    assert exact["by_channel"] == {"voice": 33, "sms": 3, "webchat": 1} and exact["counselling"] == 34


def test_the_summary_for_publication_takes_whole_months_only(june: Staff) -> None:
    client = signed_in_client(persona(Role.DATA_OFFICER, username="d"))
    response = client.get(
        "/api/v1/reports/summary", {"from": "2025-06-02", "to": "2025-06-30", "publication": "1"}
    )
    assert response.status_code == 422 and "whole months" in response.json()["detail"]


def test_a_data_officer_reads_referral_figures_but_no_referral(db: None) -> None:
    counsellor = persona(Role.COUNSELLOR, username="c")
    officer = persona(Role.DATA_OFFICER, username="d")
    case = open_case(counsellor)
    haven = partner()
    made = [
        referral(case, counsellor, to=haven, service="shelter", number=f"R-2026-0000{n}") for n in range(3)
    ]
    Referral.objects.filter(pk=made[0].pk).update(
        status="accepted", accepted_at=made[0].sent_at + dt.timedelta(days=2)
    )
    referral(case, counsellor, to=haven, status="draft", number="R-2026-00009")  # not sent: not counted
    today = timezone.localdate()
    period = Period(today - dt.timedelta(days=7), today)
    assert not referrals_visible_to(officer).exists()
    counts = referral_counts(officer, period)
    assert counts.total == 3 and counts.by_service == {"shelter": 3}
    assert counts.by_outcome == {"sent": 2, "accepted": 1}
    assert counts.cells == {("shelter", "sent"): 2, ("shelter", "accepted"): 1}
    assert counts.to_acknowledgement.count == 1 and counts.to_acknowledgement.median == dt.timedelta(days=2)
    assert referral_counts(counsellor, period).total == 0  # not a statistics role
    client = signed_in_client(officer)
    body = client.get("/api/v1/reports/summary", {"from": str(period.start), "to": str(period.end)})
    referrals = body.json()["current"]["referrals"]
    assert referrals["total"] == 3 and referrals["median_days_to_answer"] == 2.0
    assert "R-2026" not in json.dumps(body.json()) and haven.name not in json.dumps(body.json())


def test_referral_figures_for_publication_hide_small_counts_and_their_times(db: None) -> None:
    counsellor = persona(Role.COUNSELLOR, username="c")
    case = open_case(counsellor)
    for n in range(2):
        made = referral(case, counsellor, service="shelter", number=f"R-2026-0001{n}")
        sent = dt.datetime(2025, 6, 10, 3, tzinfo=dt.UTC)
        Referral.objects.filter(pk=made.pk).update(sent_at=sent, acknowledged_at=sent + dt.timedelta(days=1))
    query = {**JUNE, "publication": "true"}
    body = signed_in_client(persona(Role.DATA_OFFICER, username="d")).get("/api/v1/reports/summary", query)
    referrals = body.json()["current"]["referrals"]
    assert referrals["total"] == "<5" and referrals["by_service"] == {"shelter": "<5"}
    assert referrals["median_days_to_answer"] is None
