"""A referral moves only along its lifecycle, whoever moves it; each step is on the case timeline
and in the audit trail; delivery puts a follow-up with the child on the case, carrying the case's
safe-contact instructions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.cases import followups
from helpline.cases.models import CaseEvent, EventKind, FollowUp, FollowUpKind
from helpline.referrals.lifecycle import ReferralConflict, ReferralError, referral_move
from helpline.referrals.models import (
    PARTNER_MOVES,
    TRANSITIONS,
    LinkChannel,
    ReferralEvent,
    ReferralStatus,
    ReferralToken,
)
from tests.case_factories import open_case
from tests.factories import persona
from tests.referral_factories import referral

pytestmark = pytest.mark.django_db
SAFE = "Call only after 5 pm; if an adult answers, say it is a wrong number."


def link(ref: object) -> ReferralToken:
    now = timezone.now()
    return ReferralToken.objects.create(
        referral=ref,
        created_at=now,
        expires_at=now + dt.timedelta(days=30),
        channel=LinkChannel.EMAIL,
        sent_to="referrals@safehaven.example.org",
    )


def test_partner_accepts_delivers_and_the_case_gets_a_follow_up_with_the_child(counsellor: Staff) -> None:
    case = open_case(counsellor)
    followups.follow_up_schedule(
        counsellor,
        case=case,
        kind=FollowUpKind.CALL_BACK,
        due_at=timezone.now() + dt.timedelta(hours=2),
        owner=counsellor,
        instructions=SAFE,
    )
    ref = referral(case, counsellor)
    token = link(ref)
    referral_move(ref, ReferralStatus.ACCEPTED, token=token)
    referral_move(ref, ReferralStatus.DELIVERED, token=token, note="Placed at the shelter")
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.DELIVERED and ref.accepted_at and ref.delivered_at
    steps = list(ReferralEvent.objects.filter(referral=ref).values_list("old_status", "new_status", "token"))
    assert steps == [("sent", "accepted", token.pk), ("accepted", "delivered", token.pk)]
    timeline = CaseEvent.objects.filter(case=case, kind=EventKind.REFERRAL).order_by("at")
    assert [e.detail["status"] for e in timeline] == ["accepted", "delivered"]
    assert {e.actor_label for e in timeline} == {"partner"}
    audits = AuditEvent.objects.filter(action=AuditAction.REFERRAL_PORTAL_ACT, record_id=str(ref.pk))
    assert {a.actor_label for a in audits} == {f"partner-link:{token.pk}"}
    after = FollowUp.objects.filter(case=case).exclude(instructions="").order_by("-created_at").first()
    assert after is not None and after.instructions == SAFE and after.owner == counsellor
    assert after.due_at > timezone.now() + dt.timedelta(days=2)  # default: three days after delivery


def test_a_jump_is_refused_and_changes_nothing(counsellor: Staff) -> None:
    ref = referral(open_case(counsellor), counsellor)
    with pytest.raises(ReferralConflict):
        referral_move(ref, ReferralStatus.DELIVERED, actor=counsellor)
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.SENT and ref.delivered_at is None
    assert not ReferralEvent.objects.filter(referral=ref).exists()
    assert not CaseEvent.objects.filter(case=ref.case, kind=EventKind.REFERRAL).exists()


def test_a_decline_and_a_close_need_a_reason(counsellor: Staff) -> None:
    ref = referral(open_case(counsellor), counsellor)
    with pytest.raises(ReferralError):
        referral_move(ref, ReferralStatus.DECLINED, token=link(ref), note="  ")
    with pytest.raises(ReferralError):
        referral_move(ref, ReferralStatus.CLOSED, actor=counsellor)
    referral_move(ref, ReferralStatus.DECLINED, token=link(ref), note="No beds this month")
    ref.refresh_from_db()
    assert ref.decline_reason == "No beds this month"


def test_a_partner_cannot_close_or_expire_a_referral(counsellor: Staff) -> None:
    ref = referral(open_case(counsellor), counsellor)
    for to in (ReferralStatus.CLOSED, ReferralStatus.EXPIRED, ReferralStatus.SENT):
        with pytest.raises(ReferralConflict):
            referral_move(ref, to, token=link(ref), note="done")


class TestEveryMove(HypothesisTestCase):
    """Over every pair of statuses: a move succeeds exactly when the lifecycle allows it."""

    @settings(max_examples=60, deadline=None)
    @given(
        start=st.sampled_from(ReferralStatus.values),
        to=st.sampled_from(ReferralStatus.values),
        by_partner=st.booleans(),
    )
    def test_moves_follow_the_table(self, start: str, to: str, by_partner: bool) -> None:
        counsellor = persona(Role.COUNSELLOR)
        ref = referral(open_case(counsellor), counsellor, status=start)
        allowed = to in TRANSITIONS[start] and (not by_partner or to in PARTNER_MOVES)
        kwargs = {"token": link(ref)} if by_partner else {"actor": counsellor}
        try:
            referral_move(ref, to, note="a reason", **kwargs)  # type: ignore[arg-type]
            moved = True
        except ReferralConflict:
            moved = False
        ref.refresh_from_db()
        assert moved is allowed
        assert ref.status == (to if allowed else start)
