"""Calls as contacts through the provider-neutral, signed HTTP endpoint; the same idempotency and
results as the AMI path; figures; missed calls and the call-back policy."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.channels.calls import CallEvent
from helpline.channels.voice_http import sign
from helpline.contacts.models import Contact, Direction, Status
from helpline.voice.models import CallState, VoiceCall, VoiceEvent, VoiceSettings
from helpline.voice.selectors import call_figures
from helpline.voice.services import voice_event

SECRET = "voice-test-secret-0123456789"
ClientFor = Callable[[Staff], Client]
T0 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def voice_secret() -> Any:
    with override_settings(HELPLINE_ENV={"HELPLINE_VOICE_SECRET": SECRET}):
        yield


def post(event: dict[str, Any], *, secret: str = SECRET, signed: bool = True) -> Any:
    body = json.dumps(event).encode()
    headers = {"HTTP_X_HELPLINE_SIGNATURE": sign(body, secret)} if signed else {}
    return Client().post("/hooks/voice/events", body, content_type="application/json", **headers)


def ev(call: str, kind: str, seconds: int, **extra: Any) -> dict[str, Any]:
    return {
        "call_id": call,
        "event": kind,
        "time": (T0 + dt.timedelta(seconds=seconds)).isoformat(),
        "queue": "1280",
        **extra,
    }


@pytest.fixture
def agent(counsellor: Staff) -> Staff:
    counsellor.extension = "1001"
    counsellor.save()
    return counsellor


def answered_call(call: str = "c1", caller: str = "+85512345678") -> list[dict[str, Any]]:
    return [
        ev(call, "join", 0, caller=caller),
        ev(call, "ring", 8, agent="1001"),
        ev(call, "connect", 12, agent="1001", hold=12),
        ev(call, "complete", 312, agent="1001", hold=12, talk=300, hung_up_by="caller"),
    ]


def test_an_answered_call_becomes_one_contact_with_its_times(agent: Staff) -> None:
    for event in answered_call():
        assert post(event).json()["result"] == "applied"
    contact = Contact.objects.get()
    call = VoiceCall.objects.get()
    assert contact.channel == "voice" and contact.counsellor == agent and contact.status == Status.ACTIVE
    assert contact.arrived_at == T0 and contact.answered_at == T0 + dt.timedelta(seconds=12)
    assert contact.wait_seconds == 12 and contact.talk_seconds == 300
    assert call.state == CallState.COMPLETED and call.hung_up_by == "caller"
    assert contact.caller is not None  # linked to the caller's history
    assert AuditEvent.objects.filter(action="call.connect", record_id=str(contact.pk)).exists()


def test_a_replayed_event_changes_nothing(agent: Staff) -> None:
    for event in answered_call() + answered_call():
        post(event)
    assert Contact.objects.count() == 1 and VoiceEvent.objects.count() == 4
    assert post(answered_call()[2]).json()["result"] == "duplicate"


def test_events_out_of_order_end_in_the_same_record(agent: Staff) -> None:
    events = answered_call()
    for event in [events[3], events[0], events[2], events[1]]:
        assert post(event).status_code == 200
    call = VoiceCall.objects.get()
    contact = call.contact
    assert call.state == CallState.COMPLETED and contact.counsellor == agent
    assert contact.arrived_at == T0 and call.talk_seconds == 300
    assert Contact.objects.count() == 1


def test_abandoned_calls_and_short_abandons(db: None) -> None:
    post(ev("long", "join", 0, caller="+85512000001"))
    post(ev("long", "abandon", 40, position=2, hold=40))
    post(ev("short", "join", 0, caller="+85512000002"))
    post(ev("short", "abandon", 3, position=1, hold=3))
    long, short = VoiceCall.objects.get(call_id="long"), VoiceCall.objects.get(call_id="short")
    assert long.state == CallState.ABANDONED and not long.short_abandon and long.abandon_position == 2
    assert short.short_abandon and short.wait_seconds == 3
    assert long.contact.status == Status.ABANDONED


def test_withheld_number_is_a_valid_caller(db: None) -> None:
    post(ev("w", "join", 0, caller="anonymous"))
    contact = Contact.objects.get()
    assert contact.caller is None and contact.caller_withheld


def test_unknown_extension_answers_without_a_counsellor(db: None, caplog: pytest.LogCaptureFixture) -> None:
    post(ev("u", "join", 0, caller="+85512345678"))
    assert post(ev("u", "connect", 5, agent="9999", hold=5)).status_code == 200
    contact = Contact.objects.get()
    assert contact.counsellor is None and contact.answered_at is not None
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "extension that belongs to nobody" in logged and "12345678" not in logged


def test_a_transfer_moves_the_contact_with_both_handlers(agent: Staff, db: None) -> None:
    from tests.factories import persona

    second = persona("volunteer", username="vol")
    second.extension = "1002"
    second.save()
    for event in answered_call()[:3]:
        post(event)
    post(ev("c1", "transfer", 60, agent="1002"))
    contact = Contact.objects.get()
    assert contact.counsellor == second and set(contact.handlers.all()) == {agent, second}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"event": "connect", "time": T0.isoformat()}, 400),  # no call id
        ({"call_id": "x", "event": "explode", "time": T0.isoformat()}, 400),
        ({"call_id": "x", "event": "join", "time": "yesterday"}, 400),
        ({"call_id": "x", "event": "join", "time": "2026-11-20T03:00:00"}, 400),  # no time zone
        ({"call_id": "x" * 65, "event": "join", "time": T0.isoformat()}, 400),
        ({"call_id": "x", "event": "join", "time": T0.isoformat(), "hold": -5}, 400),
        ({"call_id": "x", "event": "join", "time": T0.isoformat(), "caller": ["a"]}, 400),
        ([1, 2, 3], 400),
    ],
)
def test_bad_events_are_refused_and_change_nothing(body: Any, status: int, db: None) -> None:
    assert post(body).status_code == status
    assert not VoiceCall.objects.exists() and not Contact.objects.exists()


def test_unsigned_or_wrongly_signed_events_are_refused(db: None) -> None:
    event = answered_call()[0]
    assert post(event, signed=False).status_code == 403
    assert post(event, secret="someone-else").status_code == 403
    body = json.dumps(event).encode()
    tampered = json.dumps({**event, "caller": "+85599999999"}).encode()
    response = Client().post(
        "/hooks/voice/events",
        tampered,
        content_type="application/json",
        HTTP_X_HELPLINE_SIGNATURE=sign(body, SECRET),
    )
    assert response.status_code == 403
    assert not VoiceCall.objects.exists()


def test_the_http_and_ami_paths_give_the_same_record(agent: Staff) -> None:
    from helpline.channels.ami.adapter import to_call_event

    ami = [
        {
            "Event": "QueueCallerJoin",
            "Uniqueid": "a1",
            "CallerIDNum": "012345678",
            "Queue": "1280",
            "Position": "1",
            "Timestamp": str(T0.timestamp()),
        },
        {
            "Event": "AgentConnect",
            "Uniqueid": "a1",
            "Interface": "PJSIP/1001",
            "HoldTime": "12",
            "Queue": "1280",
            "Timestamp": str((T0 + dt.timedelta(seconds=12)).timestamp()),
        },
        {
            "Event": "AgentComplete",
            "Uniqueid": "a1",
            "Interface": "PJSIP/1001",
            "HoldTime": "12",
            "TalkTime": "300",
            "Reason": "caller",
            "Timestamp": str((T0 + dt.timedelta(seconds=312)).timestamp()),
        },
    ]
    for message in ami:
        event = to_call_event(message)
        assert event is not None
        voice_event(event)
    for event in answered_call("h1", caller="012345678"):
        post(event)
    a, h = VoiceCall.objects.get(call_id="a1"), VoiceCall.objects.get(call_id="h1")
    for name in ("state", "wait_seconds", "talk_seconds", "agent_extension", "joined_at", "answered_at"):
        assert getattr(a, name) == getattr(h, name), name
    assert a.contact.caller_id == h.contact.caller_id and a.contact.counsellor == h.contact.counsellor


def test_ami_extension_parsing() -> None:
    from helpline.channels.ami.adapter import extension_of

    assert extension_of("PJSIP/1001") == "1001"
    assert extension_of("SIP/1001-0000002a") == "1001"
    assert extension_of("Local/1001@from-queue/n") == "1001"


def test_call_figures(db: None) -> None:
    VoiceSettings.objects.update_or_create(pk=1, defaults={"service_level_seconds": 20})
    waits = [5, 10, 15, 30, 60]
    for i, wait in enumerate(waits):
        voice_event(CallEvent(f"a{i}", "join", T0, caller="+85512000000"))
        voice_event(CallEvent(f"a{i}", "connect", T0 + dt.timedelta(seconds=wait), agent="1", hold=wait))
        voice_event(
            CallEvent(
                f"a{i}", "complete", T0 + dt.timedelta(seconds=wait + 100), agent="1", hold=wait, talk=100
            )
        )
    voice_event(CallEvent("x1", "join", T0))
    voice_event(CallEvent("x1", "abandon", T0 + dt.timedelta(seconds=40), hold=40, position=1))
    voice_event(CallEvent("x2", "join", T0))
    voice_event(CallEvent("x2", "abandon", T0 + dt.timedelta(seconds=2), hold=2, position=1))
    total, buckets = call_figures(T0 - dt.timedelta(hours=1), T0 + dt.timedelta(hours=1), by="hour")
    assert (total.offered, total.answered, total.abandoned, total.short_abandoned) == (7, 5, 2, 1)
    assert total.average_wait == 24 and total.p90_wait == 60 and total.average_talk == 100
    assert total.service_level == pytest.approx(3 / 6)  # 3 answered within 20 s, of 7 offered less 1 short
    assert len(buckets) == 1 and buckets[0].offered == 7


def test_missed_calls_and_the_call_back_policy(supervisor: Staff, client_for: ClientFor) -> None:
    """Who may call back, the safe-contact note and the number shown: tests/test_callbacks.py."""
    now = timezone.now()
    voice_event(CallEvent("m1", "join", now - dt.timedelta(minutes=5), caller="+85512345678"))
    voice_event(CallEvent("m1", "abandon", now - dt.timedelta(minutes=4), hold=60, position=1))
    missed = VoiceCall.objects.get(call_id="m1")
    client = client_for(supervisor)
    page = client.get("/calls/missed/")
    assert page.status_code == 200 and "Call-backs are off" in page.content.decode()
    refused = client.post(f"/calls/missed/{missed.contact_id}/call-back/", {"reason": "check on the child"})
    assert refused.status_code == 403
    assert not Contact.objects.filter(direction=Direction.OUTBOUND).exists()
    asked = client.post(
        f"/calls/missed/{missed.contact_id}/call-back/",
        {"reason": "she asked us to call at 5", "caller_asked": "on"},
    )
    assert asked.status_code == 302
    outbound = Contact.objects.get(direction=Direction.OUTBOUND)
    assert outbound.caller_id == missed.contact.caller_id and outbound.callback_of.missed == missed  # type: ignore[attr-defined]
    VoiceSettings.objects.update_or_create(pk=1, defaults={"callbacks_allowed": True})
    assert (
        client.post(f"/calls/missed/{missed.contact_id}/call-back/", {"reason": "policy allows"}).status_code
        == 302
    )


def test_figures_page_is_for_supervisors(supervisor: Staff, agent: Staff, client_for: ClientFor) -> None:
    assert client_for(supervisor).get("/calls/figures/").status_code == 200
    assert client_for(supervisor).get("/calls/figures/?by=hour").status_code == 200
    assert client_for(agent).get("/calls/figures/").status_code == 403


def test_a_caller_the_queue_let_go_is_a_missed_call(agent: Staff) -> None:
    post(ev("t1", "join", 0, caller="+85512345678"))
    post(ev("t1", "ring", 1, agent="1001"))
    post(ev("t1", "noanswer", 16, agent="1001"))
    assert post(ev("t1", "leave", 60, hung_up_by="timeout", position=1)).json()["result"] == "applied"
    call = VoiceCall.objects.get()
    assert (call.state, call.hung_up_by, call.wait_seconds, call.short_abandon) == (
        CallState.ABANDONED,
        "timeout",
        60,
        False,
    )
    assert call.contact.status == Status.ABANDONED and call.contact.ended_at == T0 + dt.timedelta(seconds=60)
    assert post(ev("t1", "leave", 60, hung_up_by="timeout", position=1)).json()["result"] == "duplicate"


def test_a_leave_that_does_not_say_why_is_refused(agent: Staff) -> None:
    """A leave may be the answer coming (Asterisk sends QueueCallerLeave just before AgentConnect):
    without its reason it is refused, and changes nothing."""
    post(ev("a1", "join", 0, caller="+85512345678"))
    post(ev("a1", "ring", 1, agent="1001"))
    for reason in ({}, {"hung_up_by": ""}, {"hung_up_by": "queue"}):
        refused = post(ev("a1", "leave", 8, **reason))
        assert refused.status_code == 400 and refused.json() == {"detail": "bad or missing field: hung_up_by"}
    assert VoiceCall.objects.get().state == CallState.RINGING
    post(ev("a1", "connect", 8, agent="1001", hold=8))
    call = VoiceCall.objects.get()
    assert call.state == CallState.CONNECTED and call.contact.counsellor == agent
    assert list(call.events.values_list("kind", flat=True)) == ["join", "ring", "connect"]
