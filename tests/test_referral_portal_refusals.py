"""The partner's page under pressure: a working link still opens from an address that sent many
bad ones (an office behind one address), every refusal is in the audit trail without the child's
details, and SQLite's busy writer gives the plain "try again shortly" page, not a 500."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.common.sqlite3 import base as sqlite_base
from helpline.referrals.links import link_issue
from helpline.referrals.models import LinkChannel, Referral, ReferralStatus
from tests.case_factories import open_case
from tests.referral_factories import referral


def make_link(counsellor: Staff) -> tuple[Referral, str]:
    ref = referral(open_case(counsellor, nickname="Sophea"), counsellor)
    _token, value = link_issue(ref, channel=LinkChannel.EMAIL, sent_to="p@example.org", actor=counsellor)
    return ref, value


@pytest.mark.django_db
def test_a_working_link_opens_from_an_address_that_was_refused_too_many(
    counsellor: Staff, settings: Any
) -> None:
    settings.PARTNER_LINK_REFUSALS_PER_ADDRESS = 3
    ref, value = make_link(counsellor)
    office = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(5):
        office.get(f"/partner/guess-{n}/")
    assert office.get("/partner/guess-9/").status_code == 429
    page = office.get(f"/partner/{value}/")
    assert page.status_code == 200 and ref.number in page.content.decode()
    assert office.post(f"/partner/{value}/", {"action": "acknowledged"}).status_code == 302
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.ACKNOWLEDGED


@pytest.mark.django_db
def test_a_refused_act_is_in_the_trail_without_the_note(counsellor: Staff) -> None:
    ref, value = make_link(counsellor)
    refused = Client().post(f"/partner/{value}/", {"action": "delivered", "note": "zq7 Sophea is safe"})
    assert refused.status_code == 409  # sent → delivered skips a step
    [row] = AuditEvent.objects.filter(action="referral.link_refused", record_id=str(ref.pk))
    assert row.detail["reason"] == "act_refused" and row.detail["did"] == "delivered"
    assert row.detail["status"] == 409 and "zq7" not in str(row.detail)
    assert Client().post(f"/partner/{value}/", {"action": "declined"}).status_code == 400  # no reason
    assert AuditEvent.objects.filter(action="referral.link_refused", record_id=str(ref.pk)).count() == 2


@pytest.mark.django_db
def test_a_refused_act_shows_the_referral_again_and_that_read_is_audited_as_a_look(counsellor: Staff) -> None:
    ref, value = make_link(counsellor)
    refused = Client().post(f"/partner/{value}/", {"action": "declined"})  # no reason: the page again
    assert refused.status_code == 400 and ref.number in refused.content.decode()
    [look] = AuditEvent.objects.filter(action="referral.portal_view", record_id=str(ref.pk))
    assert look.actor_label.startswith("partner-link:")


@pytest.mark.django_db(transaction=True)  # the writer's lock is taken at a real BEGIN
def test_a_busy_sqlite_writer_gives_the_try_again_page_not_a_500(
    counsellor: Staff, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's one writer")
    ref, value = make_link(counsellor)
    settings.SQLITE_WRITER_QUEUE = True  # as in production (the suite turns it off)
    monkeypatch.setattr(sqlite_base, "WAIT_SECONDS", 0.2)
    held, done = threading.Event(), threading.Event()

    def another_writer() -> None:  # another request of this process, in the middle of its write
        with sqlite_base._writer:
            held.set()
            done.wait(10)

    thread = threading.Thread(target=another_writer)
    thread.start()
    held.wait(5)
    try:
        client = Client(raise_request_exception=False)
        response = client.post(f"/partner/{value}/", {"action": "accepted", "lang": "en"})
    finally:
        done.set()
        thread.join()
    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    assert "no-store" in response["Cache-Control"] and "Traceback" not in response.content.decode()
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.SENT
    assert Client().post(f"/partner/{value}/", {"action": "accepted"}).status_code == 302  # once free
