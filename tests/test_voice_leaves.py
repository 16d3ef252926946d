"""How a call ends when the caller leaves the queue, and what an answer after it does; talk time summed
over transfer legs once, whichever source (AMI, queue_log, HTTP) names the agent how."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.channels.calls import CallEvent
from helpline.contacts.models import Kind, Status
from helpline.contacts.services import contact_close_quick
from helpline.routing.models import Offer
from helpline.routing.selectors import waiting_queue
from helpline.voice.models import CallState, VoiceCall, VoiceEvent
from helpline.voice.services import voice_events

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)


def ev(kind: str, seconds: float, call: str = "c1", **extra: Any) -> CallEvent:
    return CallEvent(
        call_id=call, kind=kind, at=T0 + dt.timedelta(seconds=seconds), queue="helpline", **extra
    )


def test_a_leave_without_a_reason_ends_nothing(agents: dict[str, Staff]) -> None:
    outcomes, _pushes = voice_events(
        [
            ev("join", 0, caller="012345678"),
            ev("ring", 1, agent="1001"),
            ev("noanswer", 4, agent="1001"),
            ev("leave", 8),
            ev("leave", 8, hung_up_by="queue"),
        ]
    )
    assert outcomes[3:] == ["ignored", "ignored"]
    call = VoiceCall.objects.get()
    assert call.state == CallState.QUEUED and call.contact.status == Status.WAITING
    assert list(call.events.values_list("kind", flat=True)) == ["join", "ring", "noanswer"]


@pytest.mark.parametrize("apart", [True, False], ids=["in two batches", "in one batch"])
def test_a_connect_after_a_queue_leave_reopens_the_call_with_its_screen_pop(
    agents: dict[str, Staff], apart: bool
) -> None:
    dara = agents["1001"]
    first = [ev("join", 0, caller="012345678"), ev("leave", 60, hung_up_by="timeout", position=1)]
    then = [ev("connect", 8, agent="1001", hold=8)]
    if apart:
        voice_events(first)
        assert VoiceCall.objects.get().state == CallState.ABANDONED
        outcomes, pushes = voice_events(then)
    else:
        outcomes, pushes = voice_events(first + then)
    assert outcomes[-1] == "applied"
    call = VoiceCall.objects.get()
    contact = call.contact
    assert call.state == CallState.CONNECTED and call.answered_at == T0 + dt.timedelta(seconds=8)
    assert (call.ended_at, call.hung_up_by, call.abandon_position, call.wait_seconds) == (None, "", None, 8)
    assert contact.status == Status.ACTIVE and contact.counsellor == dara and contact.ended_at is None
    assert pushes.pops == [(dara.pk, contact.pk)]
    # the leave that came first cannot end it again
    assert voice_events([ev("leave", 60, hung_up_by="timeout")])[0] == ["duplicate"]
    voice_events([ev("leave", 61, hung_up_by="empty"), ev("hangup", 62, hung_up_by="caller")])
    assert VoiceCall.objects.get().state == CallState.CONNECTED


def test_a_hangup_while_ringing_ends_the_call_and_withdraws_its_offer(agents: dict[str, Staff]) -> None:
    voice_events([ev("join", 0, caller="012345678"), ev("ring", 1, agent="1001")])
    contact = VoiceCall.objects.get().contact
    now = timezone.now()
    Offer.objects.create(contact=contact, staff=agents["1002"], offered_at=now, expires_at=now)
    outcomes, _pushes = voice_events([ev("hangup", 12, hung_up_by="caller")])
    assert outcomes == ["applied"]
    call = VoiceCall.objects.get()
    assert call.state == CallState.ABANDONED and call.hung_up_by == "caller" and call.wait_seconds == 12
    assert call.contact.status == Status.ABANDONED and not waiting_queue().filter(pk=contact.pk).exists()
    assert not Offer.objects.exists()


def test_an_answer_withdraws_the_offer_of_the_caller(agents: dict[str, Staff]) -> None:
    voice_events([ev("join", 0, caller="012345678")])
    contact = VoiceCall.objects.get().contact
    now = timezone.now()
    Offer.objects.create(contact=contact, staff=agents["1002"], offered_at=now, expires_at=now)
    voice_events([ev("connect", 8, agent="1001", hold=8)])
    assert not Offer.objects.exists()


def test_a_hangup_of_a_channel_we_do_not_follow_records_nothing(agents: dict[str, Staff]) -> None:
    assert voice_events([ev("hangup", 5, call="agent-leg", hung_up_by="caller")])[0] == ["ignored"]
    assert not VoiceCall.objects.exists() and not VoiceEvent.objects.exists()


def test_talk_time_is_counted_once_whichever_source_names_the_agent(agents: dict[str, Staff]) -> None:
    """AMI names the agent by interface (1001), queue_log by member name (Dara); a replay adds nothing."""
    voice_events(
        [
            ev("join", 0.481, caller="012345678"),
            ev("connect", 8.614, agent="1001", hold=8),
            ev("complete", 250.702, agent="1001", hold=8, talk=242, hung_up_by="caller"),
        ]
    )
    log = {"source": "queue_log"}
    outcomes, _pushes = voice_events(
        [
            ev("connect", 8, agent="Dara", hold=8, **log),
            ev("complete", 250, agent="Dara", hold=8, talk=242, hung_up_by="caller", **log),
        ]
    )
    assert outcomes == ["duplicate", "duplicate"]
    call = VoiceCall.objects.get()
    assert call.talk_seconds == call.contact.talk_seconds == 242 and call.agent_extension == "1001"


def test_the_same_agent_answering_both_legs_of_a_transfer_counts_both(agents: dict[str, Staff]) -> None:
    dara = agents["1001"]
    outcomes, pushes = voice_events(
        [
            ev("join", 0, caller="012345678"),
            ev("connect", 5, agent="1001", hold=5),
            ev("complete", 125, agent="1001", hold=5, talk=120, hung_up_by="transfer"),
            ev("connect", 131, agent="1001", hold=5),  # the transfer came back to the same member
            ev("complete", 431, agent="1001", hold=5, talk=300, hung_up_by="caller"),
        ]
    )
    assert outcomes == ["applied"] * 5
    call = VoiceCall.objects.get()
    assert call.talk_seconds == call.contact.talk_seconds == 420 and call.hung_up_by == "caller"
    assert call.ended_at == T0 + dt.timedelta(seconds=431)
    assert pushes.pops == [(dara.pk, call.contact.pk)] * 2


def test_a_contact_the_counsellor_closed_stays_closed_when_the_transfer_goes_on(
    agents: dict[str, Staff],
) -> None:
    voice_events(
        [
            ev("join", 0, caller="012345678"),
            ev("connect", 5, agent="1001", hold=5),
            ev("complete", 125, agent="1001", hold=5, talk=120, hung_up_by="transfer"),
        ]
    )
    closed_at = T0 + dt.timedelta(seconds=125)  # the end of the first leg
    call = VoiceCall.objects.get()
    contact = contact_close_quick(agents["1001"], contact=call.contact, kind=Kind.SILENT)
    assert contact.status == Status.CLOSED and contact.ended_at == closed_at
    voice_events([ev("connect", 131, agent="1002", hold=5)])
    call.refresh_from_db()
    contact.refresh_from_db()
    assert call.state == CallState.CONNECTED and call.ended_at is None  # the call goes on with 1002
    assert contact.status == Status.CLOSED and contact.ended_at == closed_at
    voice_events([ev("complete", 431, agent="1002", hold=5, talk=300, hung_up_by="caller")])
    call.refresh_from_db()
    contact.refresh_from_db()
    assert call.ended_at == T0 + dt.timedelta(seconds=431) and call.talk_seconds == 420
    assert contact.status == Status.CLOSED and contact.ended_at == closed_at
