"""Overdue referrals have a lasting place: the supervisor's wallboard lists them (number, partner,
due since), where the scheduler's alarm was only a live push. The alarm reaches every owner who
can take the case, and the follow-ups the loop makes go to the first owner who can take it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.cases import services as case_services
from helpline.cases.models import CaseEvent, EventKind, FollowUp, FollowUpKind
from helpline.common import live
from helpline.referrals import loop
from helpline.referrals.lifecycle import referral_move, referral_takers
from helpline.referrals.models import Referral, ReferralStatus, ReferralToken
from tests.factories import persona
from tests.referral_drafts import child_case, indexed_partner, sent

pytestmark = pytest.mark.django_db


def test_the_wallboard_lists_overdue_referrals_with_partner_and_due_since(
    counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    case = child_case(counsellor, nickname="Bopha")
    late = sent(counsellor, case, indexed_partner("Late Shelter"))
    on_time = sent(counsellor, case, indexed_partner("Prompt Shelter"))
    due = timezone.now() - dt.timedelta(hours=3)
    Referral.objects.filter(pk=late.pk).update(acknowledge_by=due)
    board = client_for(supervisor).get(reverse("console:wallboard")).content.decode()
    block = board[board.index('id="overdue-referrals"') :]
    assert "Overdue referrals" in block and late.number in block and "Late Shelter" in block
    assert timezone.localtime(due).isoformat()[:16] in block  # <time datetime="..."> of its deadline
    assert on_time.number not in block and "Bopha" not in block
    refused = client_for(counsellor).get(reverse("console:wallboard"))
    assert refused.status_code in (403, 404)


def test_the_alarm_reaches_every_owner_who_can_take_the_case(
    counsellor: Staff,
    supervisor: Staff,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    case = child_case(counsellor)
    sender = persona(Role.COUNSELLOR, username="sender")
    case_services.case_assign(supervisor, case=case, assignee=counsellor, reason="Her counsellor")
    ref = sent(counsellor, case, indexed_partner())
    Referral.objects.filter(pk=ref.pk).update(sent_by=sender)
    case_services.case_assign(supervisor, case=case, assignee=sender, reason="Shift change")
    ref.refresh_from_db()
    assert ref.acknowledge_by is not None
    later = ref.acknowledge_by + dt.timedelta(minutes=1)
    pushed: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(live, "push_to", lambda groups, event: pushed.append((groups, event)))
    with django_capture_on_commit_callbacks(execute=True):
        assert loop.referrals_alert_overdue(later) == 1
    assert {s.username for s in referral_takers(ref)} == {"counsellor", "sender"}
    [groups] = [g for g, event in pushed if event.get("reason") == loop.OVERDUE]
    assert {live.staff_group(counsellor.pk), live.staff_group(sender.pk)} <= set(groups)  # not only the first


def test_the_follow_up_after_delivery_goes_to_an_owner_who_can_take_the_case(
    counsellor: Staff, supervisor: Staff
) -> None:
    case = child_case(counsellor)
    ref = sent(counsellor, case, indexed_partner())
    other = persona(Role.COUNSELLOR, username="other")
    case_services.case_assign(supervisor, case=case, assignee=other, reason="Shift change")
    counsellor.is_active = False  # the sender left the helpline
    counsellor.save(update_fields=["is_active"])
    token = ReferralToken.objects.get(referral=ref)
    referral_move(ref, ReferralStatus.ACCEPTED, token=token)
    referral_move(ref, ReferralStatus.DELIVERED, token=token)
    [follow_up] = FollowUp.objects.filter(case=case, kind=FollowUpKind.CALL_BACK)
    assert follow_up.owner == other
    scheduled = CaseEvent.objects.filter(case=case, kind=EventKind.FOLLOW_UP_SCHEDULED).latest("at")
    assert scheduled.actor_label == "partner"  # set off by the partner's answer, not by a clock
