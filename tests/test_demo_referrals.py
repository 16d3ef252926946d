"""Demo referrals: the demo cases referred to partners in Phnom Penh, Siem Reap and Preah Sihanouk
(and a network serving every province), one referral in every state, one overdue for
acknowledgement that the scheduler then chases; written by the referral services, demo only,
seeding twice changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from helpline.audit.models import AuditEvent
from helpline.cases.models import CaseEvent, FollowUp, FollowUpKind
from helpline.referrals.delivery import email_partner_link
from helpline.referrals.loop import referrals_alert_overdue
from helpline.referrals.models import Partner, Referral, ReferralEvent, ReferralStatus, ReferralToken

KHMER = range(0x1780, 0x1800)


def khmer(text: str) -> bool:
    return any(ord(ch) in KHMER for ch in text)


def test_demo_referrals_are_refused_without_helpline_demo(db: None) -> None:
    with override_settings(DEMO=False), pytest.raises(CommandError, match="HELPLINE_DEMO=1"):
        call_command("seed_demo_referrals")
    assert not Referral.objects.exists()


@override_settings(DEMO=True)
def test_demo_referrals_cover_every_state_with_one_overdue(db: None) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert f"Demo referrals created: {len(ReferralStatus)}" in out.getvalue()

    statuses = dict(Referral.objects.values_list("status").annotate(n=Count("id")))
    assert set(statuses) == set(ReferralStatus.values)
    assert all(khmer(r.request) for r in Referral.objects.all())
    provinces = {p.code for partner in Partner.objects.all() for p in partner.provinces.all()}
    assert {"phnom_penh", "siem_reap", "preah_sihanouk"} <= provinces
    assert all(r.partner.may_receive for r in Referral.objects.select_related("partner"))

    now = timezone.now()
    [overdue] = Referral.objects.filter(status=ReferralStatus.SENT)
    assert overdue.acknowledge_by is not None and overdue.acknowledge_by < now
    assert overdue.overdue_alerted_at is None  # the scheduler's to raise
    # Every sent referral has its link and its steps on the case timeline.
    for referral in Referral.objects.exclude(status=ReferralStatus.DRAFT):
        assert ReferralToken.objects.filter(referral=referral).exists()
        assert CaseEvent.objects.filter(
            case=referral.case, kind="referral", detail__referral=referral.number
        ).exists()
    delivered = Referral.objects.get(status=ReferralStatus.DELIVERED)
    after = FollowUp.objects.filter(case=delivered.case).order_by("-created_at").first()
    assert after is not None and khmer(after.instructions)  # the follow-up with the child, safely
    assert Referral.objects.get(status=ReferralStatus.DECLINED).decline_reason

    rows = (Referral.objects.count(), ReferralEvent.objects.count(), Partner.objects.count())
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "Demo referrals already present." in again.getvalue()
    assert (Referral.objects.count(), ReferralEvent.objects.count(), Partner.objects.count()) == rows

    # The scheduler then chases the overdue one, once.
    assert referrals_alert_overdue() == 1
    assert FollowUp.objects.filter(case=overdue.case, kind=FollowUpKind.REFERRAL_CHECK).exists()
    assert AuditEvent.objects.filter(action="referral.alert", record_id=str(overdue.pk)).exists()
    assert referrals_alert_overdue() == 0


@override_settings(DEMO=True)
def test_demo_referrals_are_back_dated_send_no_email_and_leave_links_only_where_a_partner_is_awaited(
    db: None, mailoutbox: list
) -> None:
    call_command("seed_demo", stdout=StringIO())
    for referral in Referral.objects.exclude(status=ReferralStatus.DRAFT):
        assert referral.sent_at is not None
        steps = CaseEvent.objects.filter(
            case=referral.case, kind="referral", detail__referral=referral.number
        )
        sent_step = steps.get(detail__status="sent")
        assert sent_step.at == referral.sent_at  # on the timeline when it happened, not when seeded
        tokens = ReferralToken.objects.filter(referral=referral)
        assert all(t.send_state == "skipped" for t in tokens)  # made-up addresses: nothing is mailed
        for token in tokens:
            assert email_partner_link.call(str(token.pk)) == "skipped"
        working = [t for t in tokens if t.state == "active"]
        assert bool(working) == referral.awaits_partner, referral.status
    assert mailoutbox == []
