"""A partner's link works only while the referral waits for the partner: closing or expiring the
referral revokes its links in the same transaction, a link of a referral closed earlier opens
nothing, the email task sends nothing for it, and a note to a closed referral is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.referrals.delivery import email_partner_link
from helpline.referrals.lifecycle import ReferralConflict, referral_move
from helpline.referrals.links import Refusal, link_issue, link_resolve
from helpline.referrals.loop import referrals_expire
from helpline.referrals.models import (
    LinkChannel,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    ReferralToken,
)
from helpline.referrals.portal import portal_note
from helpline.referrals.services import referral_close
from tests.case_factories import open_case
from tests.referral_factories import referral

pytestmark = pytest.mark.django_db


def linked(counsellor: Staff, status: str = ReferralStatus.SENT) -> tuple[Referral, ReferralToken, str]:
    ref = referral(open_case(counsellor, nickname="Dara"), counsellor, status=status)
    token, value = link_issue(ref, channel=LinkChannel.EMAIL, sent_to="p@example.org", actor=counsellor)
    return ref, token, value


def test_closing_a_referral_revokes_its_links_and_the_page_refuses_them(counsellor: Staff) -> None:
    ref, token, value = linked(counsellor)
    referral_close(counsellor, ref, "the family moved away")
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == counsellor
    assert link_resolve(value) == Refusal.REVOKED
    assert ReferralEvent.objects.filter(
        referral=ref, kind=ReferralEventKind.LINK_REVOKED, token=token
    ).exists()
    assert AuditEvent.objects.filter(action=AuditAction.REFERRAL_LINK_REVOKE, record_id=str(ref.pk)).exists()
    response = Client().get(f"/partner/{value}/")
    assert response.status_code == 410 and b"Dara" not in response.content


def test_an_expired_referral_has_its_links_revoked_by_the_scheduler(counsellor: Staff) -> None:
    ref, token, value = linked(counsellor)
    Referral.objects.filter(pk=ref.pk).update(sent_at=timezone.now() - dt.timedelta(days=60))
    assert referrals_expire() == 1
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by is None
    assert link_resolve(value) == Refusal.REVOKED


def test_a_link_of_a_referral_closed_before_the_fix_opens_nothing(counsellor: Staff) -> None:
    ref, _token, value = linked(counsellor)
    Referral.objects.filter(pk=ref.pk).update(status=ReferralStatus.CLOSED)  # an old row: link not revoked
    assert link_resolve(value) == Refusal.REVOKED


def test_the_email_task_sends_nothing_once_the_referral_no_longer_waits(
    counsellor: Staff, mailoutbox: list
) -> None:
    ref, token, _value = linked(counsellor)
    Referral.objects.filter(pk=ref.pk).update(status=ReferralStatus.DECLINED)  # before the worker ran
    assert email_partner_link.call(str(token.pk)) == "skipped"
    assert mailoutbox == []


def test_a_note_on_a_closed_referral_is_refused_even_through_a_link_still_held(counsellor: Staff) -> None:
    ref, token, _value = linked(counsellor)
    Referral.objects.filter(pk=ref.pk).update(status=ReferralStatus.EXPIRED)  # link left working (old row)
    with pytest.raises(ReferralConflict):
        portal_note(token, note="we can still help")
    assert not ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.NOTE).exists()


def test_a_declined_referral_keeps_its_link_for_the_partners_notes(counsellor: Staff) -> None:
    ref, token, value = linked(counsellor)
    referral_move(ref, ReferralStatus.DECLINED, token=token, note="no bed free")
    assert link_resolve(value) == token
    portal_note(token, note="a bed frees up next week")
    assert ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.NOTE).count() == 1
