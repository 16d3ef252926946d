"""The real AMI connector (`voice_ami.run`) against a server speaking Asterisk's manager protocol over TCP
(tests/ami_server.py), replaying event sequences of a real app_queue (tests/ami_scenarios.py).

The connector runs on its own event loop in a thread, as it runs inside the ASGI server's loop in
production; the events reach the database in batches through `voice_events` on the `sync_to_async`
worker thread, so these tests use transactional database access."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from channels.layers import get_channel_layer

from helpline.accounts.models import Staff
from helpline.channels.ami.adapter import to_call_event
from helpline.contacts.models import Channel, Contact, Status
from helpline.voice.models import CallState, VoiceCall, VoiceEvent
from tests import ami_scenarios as sc
from tests.ami_server import ConnectorThread, ThreadedAMIServer, encode

# Transactional: the connector's thread must see what the test wrote, and the test what it wrote.
pytestmark = pytest.mark.django_db(transaction=True)

Blocks = list[list[tuple[str, str]]]
CALLERS = [
    r.caller
    for r in (
        sc.ANSWERED,
        sc.ABANDONED,
        sc.SHORT_ABANDON,
        sc.NO_ANSWER_THEN_ANSWERED,
        sc.TRANSFERRED,
        sc.UNKNOWN_EXTENSION,
        sc.RESTART,
        sc.TIMEOUT_TO_VOICEMAIL,
        sc.TRANSFERRED_OUT,
        sc.RINGALL_DECLINE_THEN_ANSWER,
        sc.EXIT_KEY,
    )
]


def at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(sc.T0 + seconds, tz=dt.UTC)


def wait_until(check: Callable[[], bool], timeout: float = 10, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def call_state(call_id: str, state: str) -> Callable[[], bool]:
    return lambda: VoiceCall.objects.filter(call_id=call_id, state=state).exists()


def events_of(call_id: str) -> list[str]:
    return list(VoiceEvent.objects.filter(call__call_id=call_id).values_list("kind", flat=True))


class Records(logging.Handler):
    """Every log record of the process at the production level (INFO), formatted as the console handler
    would (tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._guard:
            self.lines.append(self.format(record))

    def text(self) -> str:
        with self._guard:
            return "\n".join(self.lines)


@pytest.fixture
def logs() -> Iterator[Records]:
    handler = Records()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        text = handler.text()
        for number in CALLERS:  # never a phone number in the logs, whatever happened
            assert number not in text and number.lstrip("+0") not in text, f"{number} logged"


@pytest.fixture
def pbx() -> Iterator[ThreadedAMIServer]:
    with ThreadedAMIServer() as server:
        yield server


@pytest.fixture
def connector(pbx: ThreadedAMIServer, agents: dict[str, Staff], logs: Records) -> Iterator[ConnectorThread]:
    running = ConnectorThread(pbx.url).start()
    try:
        pbx.wait_for_logins(1)
        yield running
        assert running.running, f"the connector stopped: {running.error!r}"
    finally:
        running.stop()
        layer = get_channel_layer()
        if layer is not None:
            asyncio.run(layer.flush())


class Subscriber:
    """A channel in the in-memory layer, in a group, receiving on the connector's loop: in the server
    process the connector, the layer's sends and the consumers share one loop, and so they do here.

    (The layer is one object per process, but not thread-safe across loops: a receiver awaiting on another
    thread's loop, e.g. `asyncio.run()` in the test thread, is handed the message by `Queue.put_nowait`
    from the connector's loop without being woken, and only sees it when its own loop next wakes up.)"""

    def __init__(self, connector: ConnectorThread, group: str) -> None:
        self.connector = connector
        self.layer = get_channel_layer()
        assert self.layer is not None
        self.name = connector.call(self.layer.new_channel())
        connector.call(self.layer.group_add(group, self.name))

    def receive(self, timeout: float = 5) -> dict[str, Any]:
        return self.connector.call(asyncio.wait_for(self.layer.receive(self.name), timeout), timeout + 2)

    def until(self, reason: str, timeout: float = 5) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(max(0.05, deadline - time.monotonic()))
            if message.get("reason") == reason:
                return message

    def pending(self) -> list[dict[str, Any]]:
        found = []
        while True:
            try:
                found.append(self.receive(0.2))
            except TimeoutError:
                return found


def render(recording: sc.Recording) -> tuple[sc.Call, Blocks]:
    return sc.Renderer().render(recording)


def only_contact() -> Contact:
    assert Contact.objects.count() == 1
    contact = Contact.objects.get()
    assert contact.channel == Channel.VOICE
    return contact


# ---------------------------------------------------------------------------------------------------------


def test_the_server_speaks_ami_as_asterisk_does(pbx: ThreadedAMIServer) -> None:
    """The protocol this suite relies on, checked at the byte level: banner, login, ping, events."""
    import socket

    with socket.create_connection(("127.0.0.1", pbx.server.port), timeout=5) as s:
        reader = s.makefile("rb")
        assert reader.readline() == b"Asterisk Call Manager/7.0.3\r\n"
        s.sendall(b"Action: Ping\r\nActionID: p0\r\n\r\n")
        assert b"Authentication Required" in read_block(reader)
        s.sendall(b"Action: Login\r\nActionID: a1\r\nUsername: helpline\r\nSecret: ami-secret\r\n\r\n")
        assert read_block(reader) == (
            b"Response: Success\r\nActionID: a1\r\nMessage: Authentication accepted\r\n\r\n"
        )
        assert read_block(reader).startswith(b"Event: FullyBooted\r\nPrivilege: system,all\r\nTimestamp: ")
        s.sendall(b"Action: Ping\r\nActionID: a2\r\n\r\n")
        pong = read_block(reader)
        assert pong.startswith(b"Response: Success\r\nActionID: a2\r\nPing: Pong\r\nTimestamp: ")
        _call, blocks = render(sc.ANSWERED)
        pbx.send(blocks[:1])
        assert read_block(reader) == encode(blocks[0])
    with socket.create_connection(("127.0.0.1", pbx.server.port), timeout=5) as s:
        reader = s.makefile("rb")
        reader.readline()
        s.sendall(b"Action: Login\r\nActionID: a3\r\nUsername: helpline\r\nSecret: wrong\r\n\r\n")
        assert b"Response: Error\r\nActionID: a3\r\nMessage: Authentication failed" in read_block(reader)
        assert reader.read() == b""  # and the session is closed


def read_block(reader: Any) -> bytes:
    lines = []
    while True:
        line = reader.readline()
        assert line, "connection closed"
        lines.append(line)
        if line == b"\r\n":
            return b"".join(lines)


def test_answered_call_becomes_one_contact_with_times_and_a_screen_pop(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff]
) -> None:
    dara = agents["1001"]
    pops = Subscriber(connector, f"staff-{dara.pk}")
    call, blocks = render(sc.ANSWERED)
    before_connect, rest = sc.split_at(blocks, "AgentConnect")

    pbx.send(before_connect, pace=0.002)
    message = pops.until("screen_pop")
    contact = only_contact()
    assert message == {"type": "console.event", "reason": "screen_pop", "contact": str(contact.pk)}
    assert contact.status == Status.ACTIVE and contact.counsellor == dara

    pbx.send(rest)
    wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the call to complete")
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert voice.call_id == call.uniqueid and voice.queue == sc.QUEUE and voice.source == "ami"
    assert voice.joined_at == at(0.481) and contact.arrived_at == at(0.481)
    assert voice.answered_at == at(8.614) and contact.answered_at == at(8.614)
    assert voice.ended_at == at(250.702) and contact.ended_at == at(250.702)
    assert (voice.wait_seconds, voice.hold_seconds, voice.talk_seconds) == (8, 8, 242)
    assert (contact.wait_seconds, contact.talk_seconds) == (8, 242)
    assert voice.agent_extension == "1001" and voice.hung_up_by == "caller"
    assert contact.counsellor == dara and list(contact.handlers.all()) == [dara]
    assert contact.caller is not None and not contact.caller_withheld
    assert events_of(call.uniqueid) == ["join", "ring", "connect", "complete"]
    assert [m["reason"] for m in pops.pending()] == []  # one screen-pop, no more


def test_abandoned_calls_with_position_and_short_abandons(
    connector: ConnectorThread, pbx: ThreadedAMIServer
) -> None:
    renderer = sc.Renderer()
    expected = {}
    for recording, start, wait, short in ((sc.ABANDONED, 0, 40, False), (sc.SHORT_ABANDON, 60, 3, True)):
        call, blocks = renderer.render(recording, start=sc.T0 + start)
        abandon = next(
            float(dict(b)["Timestamp"]) for b in blocks if dict(b)["Event"] == "QueueCallerAbandon"
        )
        expected[call.uniqueid] = (wait, short, at(abandon - sc.T0))
        pbx.send(blocks)
    for call_id in expected:
        wait_until(call_state(call_id, CallState.ABANDONED), what="the abandon")
    assert Contact.objects.count() == 2
    for call_id, (wait, short, ended) in expected.items():
        voice = VoiceCall.objects.get(call_id=call_id)
        contact = voice.contact
        assert contact.channel == Channel.VOICE
        assert (voice.wait_seconds, voice.abandon_position, voice.short_abandon) == (wait, 1, short)
        assert voice.answered_at is None and voice.hung_up_by == "caller"
        assert (
            contact.status == Status.ABANDONED and contact.counsellor is None and contact.wait_seconds == wait
        )
        assert contact.ended_at == voice.ended_at == ended


def test_no_answer_then_answered_by_another_agent(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff]
) -> None:
    dara, sreymom = agents["1001"], agents["1002"]
    pops_dara = Subscriber(connector, f"staff-{dara.pk}")
    pops_sreymom = Subscriber(connector, f"staff-{sreymom.pk}")
    call, blocks = render(sc.NO_ANSWER_THEN_ANSWERED)
    pbx.send(blocks)
    wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the call to complete")
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert voice.agent_extension == "1002" and contact.counsellor == sreymom
    assert list(contact.handlers.all()) == [sreymom]  # 1001 only rang
    assert voice.answered_at == at(21.612) and (voice.wait_seconds, voice.talk_seconds) == (21, 598)
    assert voice.hung_up_by == "agent"
    assert events_of(call.uniqueid) == ["join", "ring", "noanswer", "ring", "connect", "complete"]
    assert pops_sreymom.until("screen_pop")["contact"] == str(contact.pk)
    assert "screen_pop" not in [m.get("reason") for m in pops_dara.pending()]


def test_transfer_hands_the_contact_to_the_second_agent(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff]
) -> None:
    dara, sreymom = agents["1001"], agents["1002"]
    call, blocks = render(sc.TRANSFERRED)
    pbx.send(blocks)
    wait_until(
        lambda: VoiceCall.objects.filter(call_id=call.uniqueid, talk_seconds=120 + 300).exists(),
        what="the second agent's AgentComplete",
    )
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert voice.state == CallState.COMPLETED and voice.ended_at == at(431.350)
    assert voice.answered_at == at(5.904) and voice.wait_seconds == 5
    assert set(contact.handlers.all()) == {dara, sreymom}
    assert voice.agent_extension == "1002" and contact.counsellor == sreymom
    # Both legs count: 2 min with the first agent, 5 with the second.
    assert voice.talk_seconds == contact.talk_seconds == 120 + 300 and voice.hung_up_by == "caller"
    assert contact.ended_at == at(431.350)


def test_a_call_transferred_out_of_the_queue_ends(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff]
) -> None:
    call, blocks = render(sc.TRANSFERRED_OUT)
    pbx.send(blocks)
    wait_until(lambda: len(events_of(call.uniqueid)) == 4, what="join, ring, connect and the transfer")
    time.sleep(0.3)  # the Hangup was sent after them
    voice = VoiceCall.objects.get()
    assert voice.state == CallState.COMPLETED and voice.ended_at is not None
    assert voice.talk_seconds == 90 and voice.hung_up_by == "transfer"
    assert voice.ended_at == at(94.802) and voice.answered_at == at(4.810)
    contact = only_contact()
    assert contact.counsellor == agents["1001"] and contact.ended_at == at(94.802)
    assert contact.talk_seconds == 90 and contact.status == Status.ACTIVE  # still to be written up


def test_unknown_extension_answers_without_a_counsellor_and_logs_no_number(
    connector: ConnectorThread, pbx: ThreadedAMIServer, logs: Records
) -> None:
    from helpline.routing.selectors import waiting_queue

    call, blocks = render(sc.UNKNOWN_EXTENSION)
    pbx.send(blocks)
    wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the call to complete")
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert voice.agent_extension == "1009" and voice.answered_at == at(6.012)
    assert contact.answered_at == at(6.012) and contact.counsellor is None
    assert not contact.handlers.exists()
    assert contact.status != Status.WAITING  # answered: not left in the waiting queue
    assert not waiting_queue().filter(pk=contact.pk).exists()
    warnings = [line for line in logs.lines if line.startswith("WARNING helpline.voice")]
    assert any("extension that belongs to nobody" in line for line in warnings), warnings
    assert sc.UNKNOWN_EXTENSION.caller not in logs.text()


def test_a_caller_who_leaves_on_the_queue_timeout_is_not_left_waiting(
    connector: ConnectorThread, pbx: ThreadedAMIServer
) -> None:
    from helpline.routing.selectors import waiting_queue

    renderer = sc.Renderer()
    call, blocks = renderer.render(sc.TIMEOUT_TO_VOICEMAIL)
    assert dict(blocks[-1])["Event"] == "Hangup"
    pbx.send(blocks[:-1])  # without the Hangup: QUEUESTATUS=TIMEOUT alone ends the wait
    wait_until(call_state(call.uniqueid, CallState.ABANDONED), what="the call to end on the timeout")
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert not waiting_queue().filter(pk=contact.pk).exists()
    # Missed, not answered: on the supervisors' list, but not a short abandon (the caller waited).
    assert voice.hung_up_by == "timeout" and not voice.short_abandon
    assert voice.ended_at == at(60.415) and voice.wait_seconds == 60 and voice.answered_at is None
    assert (
        contact.status == Status.ABANDONED and contact.counsellor is None and contact.ended_at == at(60.415)
    )
    assert events_of(call.uniqueid) == ["join", "ring", "noanswer", "ring", "noanswer", "leave"]
    # The caller hangs up after the voicemail: the call had ended already. Another call after it shows
    # when the connector has read it (events are applied in order).
    later, later_blocks = renderer.render(sc.SHORT_ABANDON, start=sc.T0 + 120)
    pbx.send(blocks[-1:] + later_blocks)
    wait_until(call_state(later.uniqueid, CallState.ABANDONED), what="the next call")
    assert events_of(call.uniqueid) == ["join", "ring", "noanswer", "ring", "noanswer", "leave"]
    assert VoiceCall.objects.get(call_id=call.uniqueid).ended_at == at(60.415)


@pytest.mark.parametrize(
    ("how", "pbx_resends"),
    [
        ("restart", "only the AgentComplete"),
        ("restart", "the whole call again"),
        ("link drop", "the whole call again"),
    ],
)
def test_reconnects_after_a_pbx_restart_and_records_the_call_once(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff], pbx_resends: str, how: str
) -> None:
    dara = agents["1001"]
    pops = Subscriber(connector, f"staff-{dara.pk}")
    call, blocks = render(sc.RESTART)
    before, after = sc.split_at(blocks, sc.RESTART_AFTER)
    pbx.send(before)
    pops.until("screen_pop")
    wait_until(call_state(call.uniqueid, CallState.CONNECTED), what="the call to connect")

    if how == "restart":  # Shutdown event, sessions closed, port closed for a while, then back
        pbx.restart(down_for=0.5)
    else:  # the TCP session just ends
        pbx.stop(announce=False)
        pbx.start()
    pbx.wait_for_logins(2, timeout=15)  # panoramisk logged in again by itself
    pbx.send((before if pbx_resends == "the whole call again" else []) + after)

    wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the call to complete")
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert events_of(call.uniqueid) == ["join", "ring", "connect", "complete"]
    assert VoiceEvent.objects.count() == 4
    assert voice.answered_at == at(7.302) and (voice.wait_seconds, voice.talk_seconds) == (7, 180)
    assert contact.counsellor == dara and list(contact.handlers.all()) == [dara]
    assert "screen_pop" not in [m.get("reason") for m in pops.pending()]  # no second pop on replay


def test_one_session_after_the_pbx_was_down_for_a_while_at_start(
    pbx: ThreadedAMIServer, agents: dict[str, Staff], logs: Records
) -> None:
    pbx.stop()
    running = ConnectorThread(pbx.url).start()
    try:
        time.sleep(1.5)  # run()'s one connect failed at 0 s: panoramisk tries again every 2 s
        pbx.start()
        wait_until(lambda: pbx.logins >= 1, timeout=8, what="a login")
        time.sleep(2.2)  # every pending try has fired by now
        assert pbx.logins == 1
    finally:
        running.stop()


def test_a_connector_started_while_the_pbx_is_down_connects_when_it_comes_up(
    pbx: ThreadedAMIServer, agents: dict[str, Staff], logs: Records
) -> None:
    pbx.stop()
    running = ConnectorThread(pbx.url).start()
    try:
        time.sleep(0.5)
        pbx.start()
        call, blocks = render(sc.ANSWERED)
        wait_until(lambda: pbx.logins >= 1 or not running.running, timeout=8, what="a login")
        assert running.running, f"the connector ended: {running.error!r}"
        pbx.send(blocks)
        wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the call to complete")
        assert running.running and running.error is None
    finally:
        running.stop()


def test_malformed_blocks_are_skipped_and_later_events_still_apply(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff], logs: Records
) -> None:
    call, blocks = render(sc.ANSWERED)
    join, rest = blocks[:4], blocks[4:]
    pbx.send(join)
    wait_until(lambda: VoiceCall.objects.filter(call_id=call.uniqueid).exists(), what="the join")
    uid = call.uniqueid
    malformed = [
        b"this is not AMI at all\r\n\r\n",
        b"Foo: bar\r\nUniqueid: " + uid.encode() + b"\r\n\r\n",  # no Event
        # no Uniqueid
        b"Event: AgentConnect\r\nPrivilege: agent,all\r\nQueue: helpline\r\nInterface: PJSIP/1001\r\n\r\n",
        b"Event: AgentConnect\r\nUniqueid: "
        + b"9" * 300
        + b"\r\nInterface: PJSIP/1001\r\n\r\n",  # id too long
        b"Event: AgentConnect\r\nUniqueid: \xff\xfe\xfd\r\nInterface: PJSIP/1001\r\n\r\n",  # not UTF-8
        b"Event: AgentRingNoAnswer\r\nUniqueid: " + uid.encode() + b"\r\nTimestamp: yesterday\r\n"
        b"Interface: PJSIP/1001\r\nRingTime: lots\r\n\r\n",  # unreadable time and numbers, call not ringing
        b"Event: QueueCallerAbandon\r\nUniqueid: \r\nQueue: helpline\r\nHoldTime: 40\r\n\r\n",  # empty id
        b"Event:\r\nUniqueid: " + uid.encode() + b"\r\n\r\n",  # empty event name
        b"\r\n\r\n\r\n\r\n",  # blank lines only
        b"Event: AgentCalled\r\nUniqueid: " + uid.encode() + b"\r\nInterface: \r\nQueue: helpline\r\n"
        b"Timestamp: 1e400\r\n\r\n",  # no interface, an overflowing time
    ]
    for data in malformed:
        pbx.send_raw(data)
    pbx.send(rest)
    wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the call to complete after bad blocks")
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert VoiceCall.objects.count() == 1 and Contact.objects.count() == 1
    assert voice.answered_at == at(8.614) and (voice.wait_seconds, voice.talk_seconds) == (8, 242)
    assert contact.counsellor == agents["1001"]
    assert connector.running and pbx.logins == 1  # never dropped the session


def test_a_block_with_a_repeated_event_line_does_not_drop_the_session(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff]
) -> None:
    call, blocks = render(sc.ANSWERED)
    pbx.send(blocks[:4])
    wait_until(lambda: VoiceCall.objects.filter(call_id=call.uniqueid).exists(), what="the join")
    pbx.send_raw(
        b"Event: AgentConnect\r\nEvent: AgentConnect\r\nUniqueid: " + call.uniqueid.encode() + b"\r\n\r\n"
    )
    pbx.send(blocks[4:])
    wait_until(call_state(call.uniqueid, CallState.COMPLETED), timeout=3, what="the call to complete")
    assert pbx.logins == 1


def test_a_block_with_a_repeated_uniqueid_creates_no_call(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff]
) -> None:
    call, blocks = render(sc.ANSWERED)
    pbx.send_raw(
        b"Event: QueueCallerJoin\r\nTimestamp: 1795143600.5\r\nUniqueid: 1795143600.1\r\n"
        b"Uniqueid: 1795143600.2\r\nQueue: helpline\r\nPosition: 1\r\nCount: 1\r\n\r\n"
    )
    pbx.send(blocks)
    wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the call to complete")
    assert list(VoiceCall.objects.values_list("call_id", flat=True)) == [call.uniqueid]


def test_events_out_of_order_end_in_the_same_record(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff]
) -> None:
    """AgentComplete first, then the connect, the ring and the join (a replay from a log, a slow link)."""
    call, blocks = render(sc.ANSWERED)
    queue_blocks = [
        b
        for b in blocks
        if dict(b)["Event"] in {"QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete"}
    ]
    pbx.send(list(reversed(queue_blocks)))
    wait_until(lambda: len(events_of(call.uniqueid)) == 4, what="all four events")
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert voice.state == CallState.COMPLETED
    assert voice.joined_at == at(0.481) and contact.arrived_at == at(0.481)
    assert abs((voice.answered_at - at(8.614)).total_seconds()) < 1  # from the complete: end - talk time
    assert (voice.wait_seconds, voice.talk_seconds) == (8, 242)
    assert contact.counsellor == agents["1001"]


def test_a_wrong_secret_changes_nothing_and_is_logged_without_the_secret(
    pbx: ThreadedAMIServer, agents: dict[str, Staff], logs: Records
) -> None:
    url = pbx.url.replace(":ami-secret@", ":not-the-secret@")
    running = ConnectorThread(url).start()
    try:
        wait_until(lambda: pbx.server.failed_logins >= 1, what="a refused login")
        assert pbx.logins == 0  # refused: the connector holds no session to receive calls on
        assert "not-the-secret" not in logs.text()
    finally:
        running.stop()


def test_ringall_a_member_who_declines_does_not_turn_the_answer_into_a_missed_call(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff]
) -> None:
    """1001 declines while 1002 still rings, so the caller is back to waiting when 1002 answers and
    Asterisk sends QueueCallerLeave just before AgentConnect: the answer stands, with its screen-pop."""
    from helpline.routing.selectors import waiting_queue

    sreymom = agents["1002"]
    pops = Subscriber(connector, f"staff-{sreymom.pk}")
    call, blocks = render(sc.RINGALL_DECLINE_THEN_ANSWER)
    before_connect, rest = sc.split_at(blocks, "AgentConnect")
    pbx.send(before_connect)
    assert pops.until("screen_pop")["contact"] == str(only_contact().pk)
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert voice.state == CallState.CONNECTED and voice.answered_at == at(9.402) and voice.ended_at is None
    assert contact.status == Status.ACTIVE and contact.counsellor == sreymom and contact.ended_at is None
    assert not waiting_queue().filter(pk=contact.pk).exists()
    pbx.send(rest)
    wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the call to complete")
    voice = VoiceCall.objects.get()
    assert (voice.wait_seconds, voice.talk_seconds, voice.hung_up_by) == (9, 120, "caller")
    assert events_of(call.uniqueid) == ["join", "ring", "ring", "noanswer", "connect", "complete"]


def test_a_caller_who_leaves_on_an_exit_key_is_not_left_waiting(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff]
) -> None:
    """An exit key sets no QUEUESTATUS: the Hangup of the caller's channel ends the wait."""
    from helpline.routing.selectors import waiting_queue

    call, blocks = render(sc.EXIT_KEY)
    pbx.send(blocks)
    wait_until(call_state(call.uniqueid, CallState.ABANDONED), what="the call to end on the Hangup")
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert contact.status == Status.ABANDONED and not waiting_queue().filter(pk=contact.pk).exists()
    assert voice.ended_at == contact.ended_at == at(37.800) and voice.answered_at is None
    assert voice.hung_up_by == "caller" and voice.wait_seconds == 37 and not voice.short_abandon
    assert events_of(call.uniqueid) == ["join", "ring", "hangup"]


def _blocks_into(connector: Any, *blocks: Blocks) -> None:
    for part in blocks:
        for block in part:
            connector.on_event(None, dict(block))


def _close_worker_connections() -> None:
    from asgiref.sync import sync_to_async
    from django.db import connections

    asyncio.run(sync_to_async(connections.close_all, thread_sensitive=True)())


def test_events_are_kept_and_applied_after_the_database_connection_drops(
    agents: dict[str, Staff], logs: Records
) -> None:
    """The database server went away under the connector (a restart, a failover): the events of that
    moment wait and are applied once it is back, and so is every later event."""
    from asgiref.sync import sync_to_async
    from django.db import connection

    from helpline.voice.management.commands.voice_ami import Connector

    renderer = sc.Renderer()
    _first, first_blocks = renderer.render(sc.ANSWERED)
    second, second_blocks = renderer.render(sc.ABANDONED, start=sc.T0 + 30)
    third, third_blocks = renderer.render(sc.SHORT_ABANDON, start=sc.T0 + 90)

    def drop() -> None:  # on the connector's database thread: its connection dies
        connection.connection.close()

    async def scenario() -> Connector:
        connector = Connector()
        _blocks_into(connector, first_blocks)
        await connector.apply_pending()
        await sync_to_async(drop, thread_sensitive=True)()
        _blocks_into(connector, second_blocks)
        await connector.apply_pending()
        _blocks_into(connector, third_blocks)
        await connector.apply_pending()
        return connector

    try:
        connector = asyncio.run(scenario())
    finally:
        _close_worker_connections()
    assert not connector.pending
    assert VoiceCall.objects.get(call_id=second.uniqueid).state == CallState.ABANDONED
    assert VoiceCall.objects.get(call_id=third.uniqueid).state == CallState.ABANDONED
    assert VoiceCall.objects.filter(state=CallState.COMPLETED).count() == 1
    # (PostgreSQL: the pool replaces the dead connection at the next batch; SQLite: the batch is retried.)
    assert "failed" not in logs.text() and "skipped" not in logs.text()


def test_events_left_at_shutdown_are_logged_by_call_id(agents: dict[str, Staff], logs: Records) -> None:
    """The database is held by another writer for longer than the connector may wait at shutdown."""
    from django.db import connection, transaction

    from helpline.voice.management.commands.voice_ami import Connector
    from helpline.voice.models import VoiceSettings

    renderer = sc.Renderer()
    first, first_blocks = renderer.render(sc.ABANDONED)
    second, second_blocks = renderer.render(sc.SHORT_ABANDON, start=sc.T0 + 30)
    connector = Connector()
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("LOCK TABLE voice_voicecall IN ACCESS EXCLUSIVE MODE")
            else:  # SQLite: an IMMEDIATE transaction holds the write lock
                VoiceSettings.objects.update_or_create(pk=1)
            _blocks_into(connector, first_blocks, second_blocks)
            asyncio.run(connector.drain(0.5))
        followed = [b for b in first_blocks + second_blocks if to_call_event(dict(b)) is not None]
        assert len(connector.pending) == len(followed) == 9  # none applied, none dropped
        line = next(line for line in logs.lines if "not applied" in line)
        assert line.startswith("ERROR helpline.voice stopped with")
        assert f"of calls: {first.uniqueid} {second.uniqueid};" in line and "voice_reconcile" in line
        asyncio.run(connector.drain(10))  # the lock is gone: a later start would apply them
        assert not connector.pending
        assert VoiceCall.objects.filter(state=CallState.ABANDONED).count() == 2
    finally:
        _close_worker_connections()


# --- What real PBXs send (issue 11, point 10) -------------------------------------------------------------


def test_two_channelvars_in_manager_conf_do_not_drop_the_calls(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff], logs: Records
) -> None:
    """`channelvars = FROM_DID,CDR(accountcode)`: every channel event repeats `ChanVariable:` (and the agent
    events `DestChanVariable:`); panoramisk turns a repeated field into a list. The calls are recorded."""
    renderer = sc.Renderer(channelvars=[("FROM_DID", sc.DID), ("CDR(accountcode)", "hotline")])
    call, blocks = renderer.render(sc.ANSWERED)
    assert sum(1 for key, _value in blocks[0] if key == "ChanVariable") == 2
    abandoned, abandoned_blocks = renderer.render(sc.ABANDONED, start=sc.T0 + 30)
    pbx.send(blocks + abandoned_blocks)
    wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the answered call")
    wait_until(call_state(abandoned.uniqueid, CallState.ABANDONED), what="the abandoned call")
    voice = VoiceCall.objects.get(call_id=call.uniqueid)
    assert voice.answered_at == at(8.614) and (voice.wait_seconds, voice.talk_seconds) == (8, 242)
    assert voice.contact.counsellor == agents["1001"]
    assert events_of(call.uniqueid) == ["join", "ring", "connect", "complete"]
    assert "skipped" not in logs.text()


def test_a_block_whose_followed_field_repeats_is_skipped_with_a_log_line_naming_it(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff], logs: Records
) -> None:
    call, blocks = render(sc.ANSWERED)
    pbx.send_raw(
        b"Event: QueueCallerJoin\r\nTimestamp: 1795143600.5\r\nUniqueid: 1795143600.1\r\n"
        b"CallerIDNum: 012345678\r\nQueue: helpline\r\nQueue: other\r\nPosition: 1\r\n\r\n"
    )
    pbx.send(blocks)
    wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the call to complete")
    assert list(VoiceCall.objects.values_list("call_id", flat=True)) == [call.uniqueid]
    skipped = [line for line in logs.lines if "skipped" in line]
    assert skipped == ["WARNING helpline.voice ami QueueCallerJoin skipped: repeated field Queue"], skipped


def _answer_pings(pbx: ThreadedAMIServer) -> int:
    return sum(1 for action in pbx.server.actions if action.get("Action", "").lower() == "ping")


def test_a_hung_pbx_is_noticed_and_the_connector_logs_in_again(
    pbx: ThreadedAMIServer, agents: dict[str, Staff], logs: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PBX keeps the socket open but answers nothing (not even Ping): the connector drops that session
    and logs in again, and calls after it are recorded. Timers shortened here; the production ones are
    checked against the 30 s bound below."""
    from helpline.voice.management.commands import voice_ami

    monkeypatch.setattr(voice_ami, "PING_SECONDS", 1)
    monkeypatch.setattr(voice_ami, "SILENCE_SECONDS", 2.5)
    monkeypatch.setattr(voice_ami, "WATCH_SECONDS", 0.2)
    running = ConnectorThread(pbx.url).start()
    try:
        pbx.wait_for_logins(1)
        wait_until(lambda: _answer_pings(pbx) >= 2, what="pings answered")  # a healthy link stays up
        assert pbx.logins == 1
        hung_at = time.monotonic()
        assert pbx.hang() == 1
        pbx.wait_for_logins(2, timeout=10)
        noticed = time.monotonic() - hung_at
        assert 2.5 <= noticed < 2.5 + 1 + 0.2 + 2 + 1.5, noticed  # silence + ping + watch + reconnect
        call, blocks = render(sc.ANSWERED)
        pbx.send(blocks)
        wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="a call after the reconnect")
        assert running.running and running.error is None
        assert "the PBX sent nothing for" in logs.text()
    finally:
        running.stop()


def test_a_hung_pbx_is_noticed_within_30_seconds_with_the_production_timers() -> None:
    from helpline.voice.management.commands import voice_ami

    # The last answer came just before the PBX froze: silence is noticed at most SILENCE_SECONDS later
    # (at the next check), then panoramisk connects again after its reconnect_timeout.
    worst = voice_ami.SILENCE_SECONDS + voice_ami.WATCH_SECONDS + voice_ami.RECONNECT_SECONDS
    assert voice_ami.PING_SECONDS < voice_ami.SILENCE_SECONDS / 2  # two pings unanswered, not one slow one
    assert worst <= 30
    manager = voice_ami.manager_from_url("ami://u:s@127.0.0.1:5038")
    assert (manager.ping_interval, manager.reconnect_timeout) == (
        voice_ami.PING_SECONDS,
        voice_ami.RECONNECT_SECONDS,
    )


@pytest.mark.parametrize("hangup", ["with the caller's Hangup right after", "with no Hangup"])
def test_a_queue_timeout_with_read_call_agent_is_a_timeout_with_its_wait(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff], logs: Records, hangup: str
) -> None:
    """The README's `read = call,agent` gives no dialplan events (no QUEUESTATUS): a QueueCallerLeave that
    no AgentConnect follows is the queue letting the caller go unanswered, at the leave's time."""
    from helpline.routing.selectors import waiting_queue

    call, blocks = render(sc.TIMEOUT_TO_VOICEMAIL)
    visible = sc.readable_by(blocks, "call", "agent")
    assert [dict(b)["Event"] for b in visible if dict(b)["Event"] == "VarSet"] == []
    if hangup == "with no Hangup":
        visible = visible[:-1]
    pbx.send(visible)
    wait_until(call_state(call.uniqueid, CallState.ABANDONED), what="the call to end on the queue timeout")
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert voice.hung_up_by == "timeout" and not voice.short_abandon and voice.answered_at is None
    assert voice.ended_at == contact.ended_at == at(60.410) and voice.wait_seconds == 60
    assert contact.status == Status.ABANDONED and not waiting_queue().filter(pk=contact.pk).exists()
    assert events_of(call.uniqueid) == ["join", "ring", "noanswer", "ring", "noanswer", "leave"]
    assert "read = call,agent,dialplan" in logs.text()  # said once, so the operator can give the reason


@pytest.mark.parametrize(
    "recording", [sc.ANSWERED, sc.RINGALL_DECLINE_THEN_ANSWER, sc.TRANSFERRED], ids=lambda r: r.name
)
def test_answered_calls_with_read_call_agent_are_never_marked_left(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff], recording: sc.Recording
) -> None:
    from helpline.audit.models import AuditEvent

    call, blocks = render(recording)
    pbx.send(sc.readable_by(blocks, "call", "agent"))
    wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the call to complete")
    time.sleep(1.2 * 1.5)  # past the time a leave is held for an answer
    voice = VoiceCall.objects.get()
    assert voice.state == CallState.COMPLETED and voice.hung_up_by == "caller"
    assert "leave" not in events_of(call.uniqueid)
    assert not AuditEvent.objects.filter(action="call.leave").exists()


def test_an_exit_key_with_dialplan_events_still_ends_on_the_hangup(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff]
) -> None:
    """With `dialplan` readable the connector sees VarSets, so a leave without QUEUESTATUS is an exit key
    (not a timeout): the caller's Hangup ends the wait, as before."""
    call, blocks = render(sc.EXIT_KEY)
    pbx.send(blocks)
    wait_until(call_state(call.uniqueid, CallState.ABANDONED), what="the call to end on the Hangup")
    time.sleep(1.5 * 1.2)
    voice = VoiceCall.objects.get()
    assert voice.hung_up_by == "caller" and voice.ended_at == at(37.800)
    assert events_of(call.uniqueid) == ["join", "ring", "hangup"]


def test_a_call_first_heard_of_at_agent_complete_arrives_before_it_was_answered(
    connector: ConnectorThread, pbx: ThreadedAMIServer, agents: dict[str, Staff]
) -> None:
    """The connector (re)started mid-call: AgentComplete is the first it hears of the call. Arrival is
    the complete's end less talk and hold time, never after the answer."""
    call, blocks = render(sc.RESTART)
    _before, after = sc.split_at(blocks, sc.RESTART_AFTER)
    pbx.send(after)
    wait_until(call_state(call.uniqueid, CallState.COMPLETED), what="the call to complete")
    voice = VoiceCall.objects.get()
    contact = only_contact()
    assert contact.arrived_at <= contact.answered_at <= contact.ended_at
    assert voice.joined_at == contact.arrived_at and voice.answered_at == contact.answered_at
    assert voice.answered_at == at(187.900) - dt.timedelta(seconds=180)
    assert contact.arrived_at == at(187.900) - dt.timedelta(seconds=180 + 7)
    assert (voice.wait_seconds, voice.talk_seconds) == (7, 180) and contact.wait_seconds == 7
