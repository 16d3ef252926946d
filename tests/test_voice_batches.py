"""`voice_events`: the AMI connector applies what arrived since its last batch in one transaction. A batch
must record exactly what the same events one at a time record, store each event once, audit every write
of a contact (and no ring), and cost a failing event only itself."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.channels.ami.adapter import to_call_event
from helpline.channels.calls import CallEvent
from helpline.contacts.models import Contact
from helpline.voice import services
from helpline.voice.models import VoiceCall, VoiceEvent
from helpline.voice.services import voice_event, voice_events
from tests import ami_scenarios as sc

pytestmark = pytest.mark.django_db

MORNING = [  # (recording, seconds after T0): every scenario of the AMI suite in one stream
    (sc.ANSWERED, 0),
    (sc.ABANDONED, 20),
    (sc.SHORT_ABANDON, 40),
    (sc.NO_ANSWER_THEN_ANSWERED, 60),
    (sc.TRANSFERRED, 80),
    (sc.UNKNOWN_EXTENSION, 100),
    (sc.TIMEOUT_TO_VOICEMAIL, 120),
    (sc.TRANSFERRED_OUT, 140),
]


def morning() -> list[CallEvent]:
    """The calls interleaved in time, as the PBX sends them."""
    renderer = sc.Renderer()
    timed = []
    for recording, start in MORNING:
        _call, blocks = renderer.render(recording, start=sc.T0 + start)
        timed += [(float(dict(b)["Timestamp"]), len(timed), b) for b in blocks]
    events = [to_call_event(dict(b)) for _at, _n, b in sorted(timed)]
    return [e for e in events if e is not None]


def recorded(audits_after: int = 0) -> list[tuple[object, ...]]:
    calls = VoiceCall.objects.order_by("call_id").values_list(
        "call_id",
        "state",
        "joined_at",
        "answered_at",
        "ended_at",
        "wait_seconds",
        "hold_seconds",
        "talk_seconds",
        "agent_extension",
        "abandon_position",
        "short_abandon",
        "hung_up_by",
        "contact__status",
        "contact__counsellor",
        "contact__arrived_at",
        "contact__answered_at",
        "contact__ended_at",
        "contact__wait_seconds",
        "contact__talk_seconds",
    )
    handlers = Contact.handlers.through.objects.order_by("contact__voice_call__call_id", "staff__username")
    audits = AuditEvent.objects.filter(action__startswith="call.", seq__gt=audits_after).order_by("seq")
    return [
        *calls,
        *handlers.values_list("contact__voice_call__call_id", "staff__username"),
        *VoiceEvent.objects.order_by("key").values_list("key", "kind", "at"),
        *audits.values_list("record_id", "action", "actor_label"),
    ]


# What each call of MORNING must end as (from the recordings' notes): state, wait, talk, agent extension,
# who hung up, short abandon, the contact's status and counsellor.
EXPECTED = [
    ("completed", 8, 242, "1001", "caller", False, "active", "dara"),
    ("abandoned", 40, None, "", "caller", False, "abandoned", None),
    ("abandoned", 3, None, "", "caller", True, "abandoned", None),
    ("completed", 21, 598, "1002", "agent", False, "active", "sreymom"),
    ("completed", 5, 120 + 300, "1002", "caller", False, "active", "sreymom"),
    ("completed", 6, 90, "1009", "caller", False, "active", None),
    ("abandoned", 60, None, "", "timeout", False, "abandoned", None),
    ("completed", 4, 90, "1001", "transfer", False, "active", "dara"),
]


def outcomes_by_call() -> list[tuple[object, ...]]:
    return list(
        VoiceCall.objects.order_by("call_id").values_list(
            "state",
            "wait_seconds",
            "talk_seconds",
            "agent_extension",
            "hung_up_by",
            "short_abandon",
            "contact__status",
            "contact__counsellor__username",
        )
    )


def test_one_batch_records_what_the_events_one_at_a_time_record(agents: dict[str, Staff]) -> None:
    events = morning()
    for event in events:
        voice_event(event)
    assert outcomes_by_call() == EXPECTED
    one_at_a_time = recorded()
    # The audit rows name contacts by their random ids: compare them by call instead.
    by_call = dict(VoiceCall.objects.values_list("contact_id", "call_id"))
    one_at_a_time = [tuple(by_call.get(_uuid(v), v) for v in row) for row in one_at_a_time]
    last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    for model in (VoiceEvent, VoiceCall, Contact):  # the audit trail is append-only: compare what follows
        model.objects.all().delete()

    outcomes, pushes = voice_events(events)
    assert set(outcomes) <= {"applied", "ignored"}
    assert outcomes_by_call() == EXPECTED
    by_call = dict(VoiceCall.objects.values_list("contact_id", "call_id"))
    assert [tuple(by_call.get(_uuid(v), v) for v in row) for row in recorded(last_seq)] == one_at_a_time
    assert len(one_at_a_time) > 8 * 3  # calls, handlers, events and audit rows were compared

    # Pushes: one screen-pop per answer (the transferred call's second agent too), one refresh per contact.
    popped = {(str(staff), by_call[contact]) for staff, contact in pushes.pops}
    answered_by = {call.call_id for call in VoiceCall.objects.exclude(contact__counsellor=None)}
    assert {call_id for _staff, call_id in popped} == answered_by
    assert len(pushes.pops) == len(answered_by) + 1  # TRANSFERRED pops for 1001, then 1002
    assert set(pushes.changed) == set(by_call)


def _uuid(value: object) -> object:
    import uuid

    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            return value
    return value


def test_a_batch_stores_each_event_once_within_it_and_across_batches(agents: dict[str, Staff]) -> None:
    _call, blocks = sc.Renderer().render(sc.ANSWERED)
    events = [e for b in blocks if (e := to_call_event(dict(b))) is not None]
    queue_events = [e for e in events if e.kind != "hangup"]  # after the complete: ignored, not stored
    outcomes, _pushes = voice_events([*queue_events, *queue_events])  # a reconnect replays within one read
    assert outcomes == ["applied"] * 4 + ["duplicate"] * 4
    assert voice_events(queue_events)[0] == ["duplicate"] * 4
    assert VoiceEvent.objects.count() == 4 and VoiceCall.objects.count() == Contact.objects.count() == 1


def test_contact_writes_are_audited_and_rings_are_not(agents: dict[str, Staff]) -> None:
    _call, blocks = sc.Renderer().render(sc.NO_ANSWER_THEN_ANSWERED)
    voice_events([e for b in blocks if (e := to_call_event(dict(b))) is not None])
    contact = Contact.objects.get()
    actions = list(
        AuditEvent.objects.filter(record_id=str(contact.pk)).order_by("seq").values_list("action", flat=True)
    )
    # Created, answered, ended: three writes of the record. Two rings and a no-answer changed only the call.
    assert actions == ["call.join", "call.connect", "call.complete"]
    assert set(AuditEvent.objects.values_list("actor_label", flat=True)) == {"pbx:ami"}


def test_an_event_that_fails_costs_only_itself(
    agents: dict[str, Staff], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Fault injection: applying one call's connect raises (a bug, a value the database refuses). The batch
    is rolled back and its events applied one by one: that event is lost and logged, the others stay."""
    renderer = sc.Renderer()
    good, good_blocks = renderer.render(sc.ANSWERED)
    bad, bad_blocks = renderer.render(sc.ANSWERED, start=sc.T0 + 30)
    events = [
        e
        for b in good_blocks + bad_blocks
        if (e := to_call_event(dict(b))) is not None and e.kind != "hangup"
    ]
    real_apply = services._apply

    def failing_apply(batch: Any, work: Any, event: CallEvent, **kw: Any) -> Any:
        if event.call_id == bad.uniqueid and event.kind == "connect":
            raise RuntimeError("injected")
        return real_apply(batch, work, event, **kw)

    monkeypatch.setattr(services, "_apply", failing_apply)
    outcomes, _pushes = voice_events(events)
    assert outcomes == ["applied"] * 4 + ["applied", "applied", "failed", "applied"]
    assert "call event connect failed" in caplog.text
    assert VoiceCall.objects.get(call_id=good.uniqueid).contact.counsellor == agents["1001"]
    bad_call = VoiceCall.objects.get(call_id=bad.uniqueid)
    assert bad_call.state == "completed" and bad_call.talk_seconds == 242  # the complete carried enough
    assert not VoiceEvent.objects.filter(call=bad_call, kind="connect").exists()
