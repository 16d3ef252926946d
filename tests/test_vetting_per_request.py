"""The safeguarding gate's answer is read once per request (the gate, the selectors behind the page
and its menu all ask), never kept beyond it, and asked again within it after a write that changes
someone's vetting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpline.accounts import services
from helpline.accounts.models import PolicyVersion, Staff
from helpline.accounts.vetting import answers_kept_for_request, vetting_status
from tests.case_factories import open_case

pytestmark = pytest.mark.django_db


def vetting_reads(queries: CaptureQueriesContext) -> int:
    return sum("accounts_policysignature s WHERE" in q["sql"] for q in queries.captured_queries)


def test_a_case_page_reads_the_gate_once(counsellor: Staff, client_for: Callable[[Staff], Client]) -> None:
    case = open_case(counsellor)
    client = client_for(counsellor)
    client.get(f"/cases/{case.pk}/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert vetting_reads(queries) == 1


def test_outside_a_request_every_question_is_answered_afresh(counsellor: Staff) -> None:
    """A console socket's staff object lives for hours: a lapse must show at its next reply."""
    with CaptureQueriesContext(connection) as queries:
        vetting_status(counsellor)
        vetting_status(counsellor)
    assert vetting_reads(queries) == 2


def test_a_write_within_the_request_is_seen_by_the_rest_of_it(counsellor: Staff) -> None:
    today = timezone.localdate()
    with answers_kept_for_request():
        assert not vetting_status(counsellor).blocked
        policy = services.policy_publish(
            None, version="v-next", title="Policy", text="Text", effective_date=today
        )
        assert vetting_status(counsellor).reasons  # the new policy is not yet signed
        services.policy_sign(counsellor, policy=policy)
        assert not vetting_status(counsellor).blocked
        assert PolicyVersion.objects.filter(version="v-next").exists()


def test_a_police_check_recorded_within_the_request_is_seen(lapsed: Staff, supervisor: Staff) -> None:
    today = timezone.localdate()
    with answers_kept_for_request():
        before = vetting_status(lapsed)
        services.police_check_record(
            supervisor,
            staff=lapsed,
            issued_on=today - dt.timedelta(days=1),
            expires_on=today + dt.timedelta(days=300),
        )
        after = vetting_status(lapsed)
    assert before.police_check_expires != after.police_check_expires
    assert after.police_check_expires == today + dt.timedelta(days=300)
