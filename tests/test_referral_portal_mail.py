"""The partner's link by real email: the task worker sends it through Django's SMTP backend to a
local SMTP server; the test reads the link out of the message that arrived, follows it as the
partner, acknowledges, accepts and marks the service delivered, and finds each step on the case
timeline and the follow-up with the child on the counsellor's console."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from helpline.accounts.models import Staff
from helpline.cases.followups import follow_up_schedule
from helpline.cases.models import CaseEvent, EventKind, FollowUp, FollowUpStatus
from helpline.referrals.delivery import send_partner_link
from helpline.referrals.models import Referral, ReferralSettings, ReferralStatus
from tests.case_factories import open_case
from tests.referral_factories import referral
from tests.smtp import Mailbox, smtp_server, text_of

PUBLIC_URL = "https://helpline.example.org"
SAFE_CONTACT = "zq5 Call after 5 pm; if an adult answers, say it is the school"


@pytest.fixture
def mailbox(settings: Any) -> Iterator[Mailbox]:
    with smtp_server() as box:
        for name, value in box.django_settings().items():
            setattr(settings, name, value)
        settings.PUBLIC_URL = PUBLIC_URL
        yield box


def run_worker() -> None:
    """django-tasks' database worker, as `manage.py worker` runs it, until nothing is left."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="mail-test",
        excluded_queue_names=[],
    ).run()


def csrf_of(body: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert found, "the page carries no form token"
    return found.group(1)


@pytest.mark.django_db(transaction=True)  # the worker runs its own transactions, as in production
def test_the_partner_follows_the_emailed_link_and_the_counsellor_sees_each_step(
    mailbox: Mailbox, counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ReferralSettings.objects.create(pk=1, follow_up_after_delivery_days=0)  # due at once: on the console
    case = open_case(counsellor, nickname="Sreyneang")
    follow_up_schedule(
        counsellor,
        case=case,
        kind="call_back",
        due_at=timezone.now() + dt.timedelta(days=7),
        owner=counsellor,
        instructions=SAFE_CONTACT,
    )
    ref = referral(case, counsellor)
    Referral.objects.filter(pk=ref.pk).update(request="zq5 a safe bed tonight")
    [token] = send_partner_link(ref, actor=counsellor)
    assert mailbox.messages == []  # queued, not sent in the request

    run_worker()
    [result] = DBTaskResult.objects.all()
    assert (result.status, result.return_value) == ("SUCCESSFUL", "sent")
    [message] = mailbox.wait_for(1)
    assert mailbox.recipients == [[ref.partner.email]] and message["To"] == ref.partner.email
    assert ref.number in message["Subject"]
    text = text_of(message)
    assert "ខ្សែទូរស័ព្ទជំនួយកុមារ" in text and "child helpline" in text  # Khmer, then English
    assert "Sreyneang" not in text and "zq5" not in text  # the message names no child
    [link] = set(re.findall(re.escape(PUBLIC_URL) + r"(/partner/[^/\s]+/)", text))

    partner = Client(enforce_csrf_checks=True)  # a phone's browser: no account, no session
    page = partner.get(link)
    assert page.status_code == 200
    body = page.content.decode()
    assert "zq5 a safe bed tonight" in body and "Sreyneang" not in body
    for action in ("acknowledged", "accepted", "delivered"):
        answered = partner.post(link, {"csrfmiddlewaretoken": csrf_of(body), "action": action, "lang": "km"})
        assert answered.status_code == 302, answered.content.decode()
        body = partner.get(answered["Location"]).content.decode()
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.DELIVERED
    assert ref.acknowledged_at and ref.accepted_at and ref.delivered_at
    token.refresh_from_db()
    assert token.last_used_at is not None

    # The counsellor's case page: each step on the timeline, by the partner.
    steps = CaseEvent.objects.filter(case=case, kind=EventKind.REFERRAL).order_by("at")
    assert [(s.detail["status"], s.actor_label) for s in steps] == [
        ("acknowledged", "partner"),
        ("accepted", "partner"),
        ("delivered", "partner"),
    ]
    counsellor_client = client_for(counsellor)
    case_page = counsellor_client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    with translation.override(counsellor.language):  # the sentence in the reader's language
        for step in steps:
            assert step.line in case_page
    # The follow-up with the child, carrying the case's safe-contact instructions, on the console.
    follow_up = FollowUp.objects.filter(case=case, status=FollowUpStatus.SCHEDULED).latest("created_at")
    assert (follow_up.owner, follow_up.instructions) == (counsellor, SAFE_CONTACT)
    console = counsellor_client.get(reverse("cases:my_follow_ups")).content.decode()
    assert case.number in console and reverse("cases:detail", kwargs={"case_id": case.pk}) in console
