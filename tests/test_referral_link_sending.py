"""Getting the link to the partner, through a real SMTP server: the link's page says how its sending
went (sending, sent at, failed — will retry at, failed); a server that refuses leaves the link
failed and the scheduler sends it again, waiting longer each time and giving up after a few tries;
a send whose worker was killed mid-way is noticed and sent again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from helpline.accounts.models import Staff
from helpline.referrals.delivery import (
    MAX_SEND_ATTEMPTS,
    STALE_SENDING,
    partner_links_resend,
    send_partner_link,
)
from helpline.referrals.models import Referral, ReferralEvent, ReferralEventKind, ReferralToken, SendState
from tests.case_factories import open_case
from tests.referral_factories import referral
from tests.servers import free_port
from tests.smtp import Mailbox, smtp_server
from tests.workers import run_replies_worker

pytestmark = pytest.mark.django_db(transaction=True)  # the worker runs its own transactions


@pytest.fixture
def mailbox(settings: Any) -> Iterator[Mailbox]:
    with smtp_server() as box:
        for name, value in box.django_settings().items():
            setattr(settings, name, value)
        settings.PUBLIC_URL = "https://helpline.example.org"
        yield box


def sent_link(counsellor: Staff) -> tuple[Referral, ReferralToken]:
    ref = referral(open_case(counsellor, nickname="Vanna"), counsellor)
    [token] = send_partner_link(ref, actor=counsellor)
    return ref, token


def links_section(client: Client, ref: Referral) -> str:
    page = client.get(reverse("referrals:referral_detail", kwargs={"referral_id": ref.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    return body[body.index('id="links"') :]


def test_a_sent_link_says_when_it_was_sent(
    mailbox: Mailbox, counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ref, token = sent_link(counsellor)
    client = client_for(counsellor)
    assert 'data-send-state="queued"' in links_section(client, ref)
    run_replies_worker()
    mailbox.wait_for(1)
    token.refresh_from_db()
    assert (token.send_state, token.send_attempts) == (SendState.SENT, 1) and token.sent_at is not None
    assert 'data-send-state="sent"' in links_section(client, ref)


def test_a_refusing_server_leaves_the_link_failed_and_the_scheduler_sends_it_again(
    mailbox: Mailbox, counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    mailbox.refusing = True
    ref, token = sent_link(counsellor)
    run_replies_worker()
    token.refresh_from_db()
    assert token.send_state == SendState.FAILED and token.send_failed_at is not None
    assert token.send_retry_at is not None and token.send_retry_at > token.send_failed_at
    assert "554" in token.send_error and "@" not in token.send_error
    assert ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.SEND_FAILED).count() == 1
    section = links_section(client_for(counsellor), ref)
    assert 'data-send-state="failed"' in section and "will retry at" in section.replace("\u2014", "")
    assert mailbox.messages == []

    assert partner_links_resend(now=token.send_retry_at - dt.timedelta(seconds=1)) == 0  # not yet
    mailbox.refusing = False
    assert partner_links_resend(now=token.send_retry_at) == 1
    run_replies_worker()
    [message] = mailbox.wait_for(1)
    assert ref.number in message["Subject"]
    token.refresh_from_db()
    assert (token.send_state, token.send_attempts) == (SendState.SENT, 2)


def test_after_the_last_attempt_the_link_stays_failed_and_says_so(
    settings: Any, counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nobody
    ref, token = sent_link(counsellor)
    waits = []
    for _attempt in range(MAX_SEND_ATTEMPTS):
        run_replies_worker()
        token.refresh_from_db()
        assert token.send_state == SendState.FAILED
        if token.send_retry_at is None:
            break
        waits.append(token.send_retry_at - token.send_failed_at)
        partner_links_resend(now=token.send_retry_at)
    assert token.send_attempts == MAX_SEND_ATTEMPTS and token.send_retry_at is None
    assert waits == sorted(waits) and waits[0] < waits[-1]  # each wait longer than the last
    assert partner_links_resend(now=timezone.now() + dt.timedelta(days=1)) == 0
    section = links_section(client_for(counsellor), ref)
    assert "failed: send the link again or call the partner" in section


def test_a_send_whose_worker_was_killed_is_sent_again(mailbox: Mailbox, counsellor: Staff) -> None:
    _ref, token = sent_link(counsellor)
    # The worker took the task and died mid-send: its task row stays RUNNING, the link "sending".
    DBTaskResult.objects.update(status="RUNNING")
    started = timezone.now() - STALE_SENDING - dt.timedelta(minutes=1)
    ReferralToken.objects.filter(pk=token.pk).update(
        send_state=SendState.SENDING, send_started_at=started, send_attempts=1
    )
    assert partner_links_resend(now=timezone.now() - STALE_SENDING + dt.timedelta(minutes=5)) == 0  # too soon
    assert partner_links_resend() == 1
    run_replies_worker()
    mailbox.wait_for(1)
    token.refresh_from_db()
    assert (token.send_state, token.send_attempts) == (SendState.SENT, 2)
