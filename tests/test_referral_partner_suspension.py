"""A serious concern suspends a partner: referrals already sent to it are held too. The partner's
links show one sentence and do nothing, no new link is sent, the referral and case pages say so,
and each referral's counsellor gets a follow-up (a lasting item, not only a live push). Lifting
the suspension makes the still-open referrals workable again and sends links held unsent."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.cases.models import FollowUp, FollowUpKind
from helpline.referrals import partnership
from helpline.referrals.delivery import email_partner_link, send_partner_link
from helpline.referrals.lifecycle import ReferralConflict
from helpline.referrals.links import link_issue
from helpline.referrals.models import (
    ConcernSeverity,
    ConcernSource,
    LinkChannel,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    ReferralToken,
    SendState,
)
from helpline.referrals.portal import link_send_again
from tests.case_factories import open_case
from tests.factories import persona
from tests.referral_factories import referral

pytestmark = pytest.mark.django_db
PAUSED_EN = "paused its referrals to your organisation"


def suspend(ref: Referral) -> None:
    partnership.concern_record(
        persona(Role.CASE_MANAGER, username="keeper"),
        partner=ref.partner,
        source=ConcernSource.CHILD,
        severity=ConcernSeverity.SERIOUS,
        description="zq3 The child said a staff member hit her.",
    )


def lift(ref: Referral) -> None:
    partnership.suspension_lift(
        persona(Role.SUPERVISOR, username="lifter"), partner=ref.partner, reason="Investigated and resolved."
    )


def sent(counsellor: Staff) -> tuple[Referral, ReferralToken, str]:
    ref = referral(open_case(counsellor, nickname="Kanha"), counsellor)
    token, value = link_issue(ref, channel=LinkChannel.EMAIL, sent_to="p@example.org", actor=counsellor)
    return ref, token, value


def test_a_suspended_partners_link_shows_one_sentence_and_accepts_nothing(counsellor: Staff) -> None:
    ref, _token, value = sent(counsellor)
    suspend(ref)
    page = Client().get(f"/partner/{value}/")
    body = page.content.decode()
    assert page.status_code == 403 and PAUSED_EN in body and ref.request not in body and "Kanha" not in body
    answer = Client().post(f"/partner/{value}/", {"action": "accepted"})
    assert answer.status_code == 403
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.SENT
    reasons = AuditEvent.objects.filter(action="referral.link_refused", record_id=str(ref.pk))
    assert {e.detail["reason"] for e in reasons} == {"partner_suspended"}

    lift(ref)
    assert Client().post(f"/partner/{value}/", {"action": "accepted"}).status_code == 302
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.ACCEPTED


def test_the_counsellor_gets_a_follow_up_and_both_pages_say_the_partner_is_suspended(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ref, _token, _value = sent(counsellor)
    suspend(ref)
    [follow_up] = FollowUp.objects.filter(case=ref.case, kind=FollowUpKind.REFERRAL_CHECK)
    assert follow_up.owner == counsellor
    assert ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.SUSPENDED).count() == 1
    client = client_for(counsellor)
    referral_page = client.get(reverse("referrals:referral_detail", kwargs={"referral_id": ref.pk}))
    assert "data-partner-suspended" in referral_page.content.decode()
    case_page = client.get(reverse("cases:detail", kwargs={"case_id": ref.case.pk}))
    assert "data-partner-suspended" in case_page.content.decode()

    lift(ref)
    assert ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.RESUMED).count() == 1
    referral_page = client.get(reverse("referrals:referral_detail", kwargs={"referral_id": ref.pk}))
    assert "data-partner-suspended" not in referral_page.content.decode()


def test_a_closed_referral_of_the_partner_is_left_alone(counsellor: Staff) -> None:
    ref = referral(open_case(counsellor), counsellor, status=ReferralStatus.CLOSED)
    suspend(ref)
    assert not ReferralEvent.objects.filter(referral=ref).exists()
    assert not FollowUp.objects.filter(case=ref.case, kind=FollowUpKind.REFERRAL_CHECK).exists()


def test_no_link_is_sent_while_suspended_and_a_held_one_goes_once_lifted(
    counsellor: Staff, mailoutbox: list
) -> None:
    ref, _token, _value = sent(counsellor)
    suspend(ref)
    with pytest.raises(ReferralConflict):
        link_send_again(ref, counsellor)
    # A link queued just before the suspension is held, not sent.
    queued = ReferralToken.objects.create(
        referral=ref,
        created_at=_token.created_at,
        expires_at=_token.expires_at,
        channel=LinkChannel.EMAIL,
        sent_to="p@example.org",
        send_state=SendState.QUEUED,
    )
    assert email_partner_link.call(str(queued.pk)) == "held"
    assert mailoutbox == []
    queued.refresh_from_db()
    assert queued.send_state == SendState.HELD
    lift(ref)
    queued.refresh_from_db()
    assert queued.send_state == SendState.QUEUED  # queued again in the lift's transaction
    assert email_partner_link.call(str(queued.pk)) == "sent" and len(mailoutbox) == 1
    ref.refresh_from_db()
    assert [t.pk for t in send_partner_link(ref, actor=counsellor)]  # sending works again
