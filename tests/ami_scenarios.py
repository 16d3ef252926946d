"""Event sequences as a real Asterisk 18 queue emits them over AMI (app_queue with `timestampevents=yes`,
PJSIP trunk and phones), for the AMI server in tests/ami_server.py.

Each recording is data: the events of one call in order, with their offset in seconds from the moment the
caller's channel was created and the fields that differ between events. `render()` expands a recording
into the full blocks Asterisk sends, field by field and in Asterisk's order: the caller's channel
snapshot (Channel .. Linkedid) on every event, the agent's channel snapshot (DestChannel .. DestLinkedid)
on the agent events, then the event's own fields. Noise events that the connector must ignore
(Newchannel, VarSet, DialBegin, DialEnd, BridgeEnter, Hangup, QueueMemberStatus) are part of the
recordings, as they are part of the real stream. QueueCallerLeave comes with every call (just before
AgentConnect when a member answers, after QueueCallerAbandon) and the connector does not follow it: a
caller the queue lets go unanswered is told by the QUEUESTATUS variable Queue() sets as it returns
(TIMEOUT_TO_VOICEMAIL), and one who left on an exit key by the Hangup of their channel (EXIT_KEY).

Times are real: HoldTime/TalkTime in seconds, AgentConnect's RingTime in seconds, AgentRingNoAnswer's
RingTime in milliseconds (as app_queue reports them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

QUEUE = "helpline"
DID = "1280"
T0 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC).timestamp()  # 10:00 in Phnom Penh

# Queue members: interface, member name (queues.conf `member => PJSIP/1001,0,Dara,PJSIP/1001`).
AGENTS = {
    "1001": ("PJSIP/1001", "Dara"),
    "1002": ("PJSIP/1002", "Sreymom"),
    "1003": ("PJSIP/1003", "Vibol"),
    "1009": ("PJSIP/1009", "Front desk"),  # an extension no staff member has
}

Step = tuple[float, str, dict[str, str]]  # (seconds after the caller's channel appeared, event, fields)


@dataclass(frozen=True)
class Recording:
    name: str
    caller: str  # CallerIDNum as the trunk presents it
    steps: Sequence[Step]
    note: str = ""


@dataclass(frozen=True)
class Call:
    """One rendering of a recording: the caller channel's ids and when it started."""

    uniqueid: str
    start: float
    trunk_channel: str
    first_agent_leg: int  # sequence number of the first agent channel Asterisk creates

    def at(self, offset: float) -> float:
        return self.start + offset


# ---------------------------------------------------------------------------------------------------------
# The recordings


ANSWERED = Recording(
    "answered",
    caller="012345678",
    note="answered by 1001 after 8 s, caller hangs up after 4 min 2 s",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.004, "VarSet", {"Variable": "__FROM_DID", "Value": DID}),
        (0.470, "VarSet", {"Variable": "QUEUENAME", "Value": QUEUE}),
        (0.481, "QueueCallerJoin", {"Position": "1", "Count": "1"}),
        (0.502, "QueueMemberStatus", {"agent": "1001", "Status": "6", "InCall": "0"}),
        (0.503, "AgentCalled", {"agent": "1001"}),
        (0.505, "DialBegin", {"agent": "1001"}),
        (8.611, "DialEnd", {"agent": "1001", "DialStatus": "ANSWER"}),
        (8.613, "QueueCallerLeave", {"Position": "1", "Count": "0"}),
        (8.614, "AgentConnect", {"agent": "1001", "HoldTime": "8", "RingTime": "8"}),
        (8.620, "BridgeEnter", {"agent": "1001"}),
        (250.702, "AgentComplete", {"agent": "1001", "HoldTime": "8", "TalkTime": "242", "Reason": "caller"}),
        (250.709, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)

ABANDONED = Recording(
    "abandoned",
    caller="+85512888777",
    note="rings 1001 and 1002 in turn, the caller hangs up after 40 s at position 1 (joined at 2)",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.391, "QueueCallerJoin", {"Position": "2", "Count": "2"}),
        (15.402, "AgentCalled", {"agent": "1001"}),
        (15.404, "DialBegin", {"agent": "1001"}),
        (30.410, "DialEnd", {"agent": "1001", "DialStatus": "NOANSWER"}),
        (30.411, "AgentRingNoAnswer", {"agent": "1001", "RingTime": "15000"}),
        (33.420, "AgentCalled", {"agent": "1002"}),
        (33.421, "DialBegin", {"agent": "1002"}),
        (40.390, "DialEnd", {"agent": "1002", "DialStatus": "CANCEL"}),
        (40.391, "QueueCallerAbandon", {"Position": "1", "OriginalPosition": "2", "HoldTime": "40"}),
        (40.392, "QueueCallerLeave", {"Position": "1", "Count": "0"}),
        (40.400, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)

SHORT_ABANDON = Recording(
    "short abandon",
    caller="0977123456",
    note="the caller hangs up after 3 s, before any member rings",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.402, "QueueCallerJoin", {"Position": "1", "Count": "1"}),
        (3.399, "QueueCallerAbandon", {"Position": "1", "OriginalPosition": "1", "HoldTime": "3"}),
        (3.400, "QueueCallerLeave", {"Position": "1", "Count": "0"}),
        (3.405, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)

NO_ANSWER_THEN_ANSWERED = Recording(
    "no answer then answered",
    caller="012555111",
    note="1001 rings 15 s unanswered; 1002 answers after 21 s in the queue; the agent hangs up",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.412, "QueueCallerJoin", {"Position": "1", "Count": "1"}),
        (0.430, "AgentCalled", {"agent": "1001"}),
        (0.431, "DialBegin", {"agent": "1001"}),
        (15.436, "DialEnd", {"agent": "1001", "DialStatus": "NOANSWER"}),
        (15.437, "AgentRingNoAnswer", {"agent": "1001", "RingTime": "15000"}),
        (15.440, "QueueMemberStatus", {"agent": "1001", "Status": "1", "InCall": "0"}),
        (17.441, "AgentCalled", {"agent": "1002"}),
        (17.443, "DialBegin", {"agent": "1002"}),
        (21.610, "DialEnd", {"agent": "1002", "DialStatus": "ANSWER"}),
        (21.611, "QueueCallerLeave", {"Position": "1", "Count": "0"}),
        (21.612, "AgentConnect", {"agent": "1002", "HoldTime": "21", "RingTime": "4"}),
        (21.620, "BridgeEnter", {"agent": "1002"}),
        (620.015, "AgentComplete", {"agent": "1002", "HoldTime": "21", "TalkTime": "598", "Reason": "agent"}),
        (620.020, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)

TRANSFERRED = Recording(
    "transferred",
    caller="011223344",
    note="1001 answers, transfers to 1002 after 2 min; 1002 talks 5 min and the caller hangs up",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.420, "QueueCallerJoin", {"Position": "1", "Count": "1"}),
        (0.433, "AgentCalled", {"agent": "1001"}),
        (0.434, "DialBegin", {"agent": "1001"}),
        (5.902, "DialEnd", {"agent": "1001", "DialStatus": "ANSWER"}),
        (5.903, "QueueCallerLeave", {"Position": "1", "Count": "0"}),
        (5.904, "AgentConnect", {"agent": "1001", "HoldTime": "5", "RingTime": "5"}),
        (5.910, "BridgeEnter", {"agent": "1001"}),
        (
            125.880,
            "AgentComplete",
            {"agent": "1001", "HoldTime": "5", "TalkTime": "120", "Reason": "transfer"},
        ),
        (125.881, "VarSet", {"Variable": "BLINDTRANSFER", "Value": "PJSIP/1001-00000000"}),
        (131.300, "AgentConnect", {"agent": "1002", "HoldTime": "5", "RingTime": "5", "leg": "2"}),
        (131.310, "BridgeEnter", {"agent": "1002", "leg": "2"}),
        (
            431.350,
            "AgentComplete",
            {"agent": "1002", "HoldTime": "5", "TalkTime": "300", "Reason": "caller", "leg": "2"},
        ),
        (431.360, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)

UNKNOWN_EXTENSION = Recording(
    "unknown extension",
    caller="012999000",
    note="answered on 1009, a desk phone in the queue that no staff member has as their extension",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.401, "QueueCallerJoin", {"Position": "1", "Count": "1"}),
        (0.420, "AgentCalled", {"agent": "1009"}),
        (0.421, "DialBegin", {"agent": "1009"}),
        (6.010, "DialEnd", {"agent": "1009", "DialStatus": "ANSWER"}),
        (6.012, "AgentConnect", {"agent": "1009", "HoldTime": "6", "RingTime": "6"}),
        (96.500, "AgentComplete", {"agent": "1009", "HoldTime": "6", "TalkTime": "90", "Reason": "caller"}),
        (96.510, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)

TRANSFERRED_OUT = Recording(
    "transferred out of the queue",
    caller="012606060",
    note="1001 answers and blind-transfers the caller to a number outside the queue (a partner service) "
    "after 90 s: AgentComplete Reason=transfer is the last queue event of the call; the caller's channel "
    "hangs up 4 min later",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.410, "QueueCallerJoin", {"Position": "1", "Count": "1"}),
        (0.425, "AgentCalled", {"agent": "1001"}),
        (4.810, "AgentConnect", {"agent": "1001", "HoldTime": "4", "RingTime": "4"}),
        (94.800, "VarSet", {"Variable": "BLINDTRANSFER", "Value": "PJSIP/1001-00000000"}),
        (94.802, "AgentComplete", {"agent": "1001", "HoldTime": "4", "TalkTime": "90", "Reason": "transfer"}),
        (334.900, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)

TIMEOUT_TO_VOICEMAIL = Recording(
    "queue timeout to voicemail",
    caller="012777666",
    note="nobody answers; after the queue's 60 s timeout the caller leaves the queue for voicemail "
    "(QueueCallerLeave, no QueueCallerAbandon) and hangs up after the message",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.405, "QueueCallerJoin", {"Position": "1", "Count": "1"}),
        (0.421, "AgentCalled", {"agent": "1001"}),
        (15.426, "AgentRingNoAnswer", {"agent": "1001", "RingTime": "15000"}),
        (20.430, "AgentCalled", {"agent": "1002"}),
        (35.433, "AgentRingNoAnswer", {"agent": "1002", "RingTime": "15000"}),
        (60.410, "QueueCallerLeave", {"Position": "1", "Count": "0"}),
        (60.415, "VarSet", {"Variable": "QUEUESTATUS", "Value": "TIMEOUT"}),
        (95.020, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)

RINGALL_DECLINE_THEN_ANSWER = Recording(
    "ringall: one member declines, another answers",
    caller="012404040",
    note="strategy ringall: 1001 and 1002 ring together; 1001 declines after 3 s (AgentRingNoAnswer puts "
    "the caller back to waiting) while 1002 still rings; 1002 answers after 9 s: QueueCallerLeave, then "
    "AgentConnect",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.402, "QueueCallerJoin", {"Position": "1", "Count": "1"}),
        (0.420, "AgentCalled", {"agent": "1001"}),
        (0.421, "AgentCalled", {"agent": "1002"}),
        (3.530, "DialEnd", {"agent": "1001", "DialStatus": "BUSY"}),
        (3.531, "AgentRingNoAnswer", {"agent": "1001", "RingTime": "3110"}),
        (9.400, "DialEnd", {"agent": "1002", "DialStatus": "ANSWER"}),
        (9.401, "QueueCallerLeave", {"Position": "1", "Count": "0"}),
        (9.402, "AgentConnect", {"agent": "1002", "HoldTime": "9", "RingTime": "9"}),
        (9.410, "BridgeEnter", {"agent": "1002"}),
        (129.500, "AgentComplete", {"agent": "1002", "HoldTime": "9", "TalkTime": "120", "Reason": "caller"}),
        (129.510, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)

EXIT_KEY = Recording(
    "exit key while a member rings",
    caller="012303030",
    note="1001 rings; the caller presses 0 for the information line (the queue's context): Queue() returns "
    "with QueueCallerLeave and no QUEUESTATUS; the caller hears the recording and hangs up 25 s later",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.410, "QueueCallerJoin", {"Position": "1", "Count": "1"}),
        (0.430, "AgentCalled", {"agent": "1001"}),
        (12.210, "DialEnd", {"agent": "1001", "DialStatus": "CANCEL"}),
        (12.211, "QueueCallerLeave", {"Position": "1", "Count": "0"}),
        (12.300, "VarSet", {"Variable": "QUEUEPOSITION", "Value": "1"}),
        (37.800, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)

# PBX restart mid-call: the stream stops right after AgentConnect (Asterisk sends Shutdown and closes the
# session); after the restart only the final AgentComplete arrives for the call (or, in the replay
# variant, the events already sent come again before it).
RESTART = Recording(
    "PBX restart mid-call",
    caller="012345000",
    note="connected to 1001 when the PBX restarts; AgentComplete arrives after the reconnect",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.400, "QueueCallerJoin", {"Position": "1", "Count": "1"}),
        (0.420, "AgentCalled", {"agent": "1001"}),
        (7.300, "DialEnd", {"agent": "1001", "DialStatus": "ANSWER"}),
        (7.302, "AgentConnect", {"agent": "1001", "HoldTime": "7", "RingTime": "7"}),
        # --- the PBX restarts here ---
        (187.900, "AgentComplete", {"agent": "1001", "HoldTime": "7", "TalkTime": "180", "Reason": "caller"}),
        (187.910, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)
RESTART_AFTER = "AgentConnect"  # the last event sent before the restart


# ---------------------------------------------------------------------------------------------------------
# Rendering into AMI blocks

PRIVILEGE = {
    "Newchannel": "call,all",
    "VarSet": "dialplan,all",
    "DialBegin": "call,all",
    "DialEnd": "call,all",
    "BridgeEnter": "call,all",
    "Hangup": "call,all",
    "QueueMemberStatus": "agent,all",
}
CHANNEL_STATES = {
    "down": ("0", "Down"),
    "ring": ("4", "Ring"),
    "ringing": ("5", "Ringing"),
    "up": ("6", "Up"),
}


@dataclass
class Renderer:
    """Expands recordings into blocks, handing out channel names and unique ids as Asterisk does:
    one counter for every channel the PBX creates, trunk channels named after the provider."""

    epoch: float = T0
    sequence: int = 2588
    channel_counter: int = 0x0A1C
    trunk: str = "PJSIP/metfone"
    calls: list[Call] = field(default_factory=list)
    # manager.conf `channelvars = FROM_DID,CDR(accountcode)`: Asterisk adds one `ChanVariable: NAME=value`
    # line per variable to every channel snapshot (`DestChanVariable:` for the agent's channel), so with
    # two or more the field repeats in every event.
    channelvars: Sequence[tuple[str, str]] = ()

    def new_call(self, start: float) -> Call:
        call = Call(
            uniqueid=f"{int(self.epoch)}.{self.sequence}",
            start=start,
            trunk_channel=f"{self.trunk}-{self.channel_counter:08x}",
            first_agent_leg=self.sequence + 1,
        )
        self.sequence += 8  # the caller's channel, agent legs, local channels
        self.channel_counter += 8
        self.calls.append(call)
        return call

    def render(
        self, recording: Recording, start: float | None = None
    ) -> tuple[Call, list[list[tuple[str, str]]]]:
        call = self.new_call(self.epoch if start is None else start)
        return call, [block(recording, call, step, self.channelvars) for step in recording.steps]


def _caller_snapshot(recording: Recording, call: Call, state: str) -> list[tuple[str, str]]:
    code, desc = CHANNEL_STATES[state]
    return [
        ("Channel", call.trunk_channel),
        ("ChannelState", code),
        ("ChannelStateDesc", desc),
        ("CallerIDNum", recording.caller),
        ("CallerIDName", "<unknown>"),
        ("ConnectedLineNum", "<unknown>"),
        ("ConnectedLineName", "<unknown>"),
        ("Language", "en"),
        ("AccountCode", ""),
        ("Context", "from-trunk"),
        ("Exten", DID),
        ("Priority", "4"),
        ("Uniqueid", call.uniqueid),
        ("Linkedid", call.uniqueid),
    ]


def _agent_snapshot(
    recording: Recording, call: Call, extension: str, leg: int, state: str
) -> list[tuple[str, str]]:
    interface, member = AGENTS[extension]
    code, desc = CHANNEL_STATES[state]
    epoch = call.uniqueid.split(".")[0]
    return [
        ("DestChannel", f"{interface}-{int(call.uniqueid.split('.')[1]) + leg:08x}"),
        ("DestChannelState", code),
        ("DestChannelStateDesc", desc),
        ("DestCallerIDNum", extension),
        ("DestCallerIDName", member),
        ("DestConnectedLineNum", recording.caller),
        ("DestConnectedLineName", "<unknown>"),
        ("DestLanguage", "en"),
        ("DestAccountCode", ""),
        ("DestContext", "from-queue"),
        ("DestExten", DID),
        ("DestPriority", "1"),
        ("DestUniqueid", f"{epoch}.{call.first_agent_leg + leg}"),
        ("DestLinkedid", call.uniqueid),
    ]


def block(
    recording: Recording, call: Call, step: Step, channelvars: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    offset, name, given = step
    fields = dict(given)
    agent = fields.pop("agent", "")
    leg = int(fields.pop("leg", "1")) if agent else 0
    # the agents rung for this call so far tell the legs apart (each ring is a new channel)
    if agent and leg == 1:
        rung = [s for s in recording.steps[: recording.steps.index(step) + 1] if s[1] == "AgentCalled"]
        leg = max(1, len(rung))
    state = fields.pop("state", "up")
    head = [
        ("Event", name),
        ("Privilege", PRIVILEGE.get(name, "agent,all")),
        ("Timestamp", f"{call.at(offset):.6f}"),
    ]
    if name == "QueueMemberStatus":
        interface, member = AGENTS[agent]
        return [
            *head,
            ("Queue", QUEUE),
            ("MemberName", member),
            ("Interface", interface),
            ("StateInterface", interface),
            ("Membership", "static"),
            ("Penalty", "0"),
            ("CallsTaken", "12"),
            ("LastCall", f"{int(call.at(offset)) - 600}"),
            ("LastPause", "0"),
            ("LoginTime", f"{int(call.at(offset)) - 7200}"),
            ("InCall", fields.get("InCall", "0")),
            ("Status", fields.get("Status", "1")),
            ("Paused", "0"),
            ("PausedReason", ""),
            ("Ringinuse", "0"),
            ("Wrapuptime", "0"),
        ]
    caller = _caller_snapshot(recording, call, state)
    caller += [("ChanVariable", f"{var}={value}") for var, value in channelvars]
    dest: list[tuple[str, str]] = []
    if agent:
        dest_state = "ringing" if name in {"AgentCalled", "DialBegin", "AgentRingNoAnswer"} else "up"
        dest = _agent_snapshot(recording, call, agent, leg, dest_state)
        dest += [("DestChanVariable", f"{var}={value}") for var, value in channelvars]
    if name == "AgentCalled":
        interface, member = AGENTS[agent]
        tail = [("Queue", QUEUE), ("Interface", interface), ("MemberName", member)]
    elif name == "AgentRingNoAnswer":
        interface, member = AGENTS[agent]
        tail = [
            ("Queue", QUEUE),
            ("Interface", interface),
            ("MemberName", member),
            ("RingTime", fields["RingTime"]),
        ]
    elif name == "AgentConnect":
        interface, member = AGENTS[agent]
        tail = [
            ("Queue", QUEUE),
            ("MemberName", member),
            ("Interface", interface),
            ("RingTime", fields["RingTime"]),
            ("HoldTime", fields["HoldTime"]),
        ]
    elif name == "AgentComplete":
        interface, member = AGENTS[agent]
        tail = [
            ("Queue", QUEUE),
            ("MemberName", member),
            ("Interface", interface),
            ("HoldTime", fields["HoldTime"]),
            ("TalkTime", fields["TalkTime"]),
            ("Reason", fields["Reason"]),
        ]
    elif name == "QueueCallerJoin":
        tail = [("Queue", QUEUE), ("Position", fields["Position"]), ("Count", fields["Count"])]
    elif name == "QueueCallerLeave":
        tail = [("Queue", QUEUE), ("Count", fields["Count"]), ("Position", fields["Position"])]
    elif name == "QueueCallerAbandon":
        tail = [
            ("Queue", QUEUE),
            ("Position", fields["Position"]),
            ("OriginalPosition", fields["OriginalPosition"]),
            ("HoldTime", fields["HoldTime"]),
        ]
    elif name == "DialBegin":
        tail = [("DialString", AGENTS[agent][0].split("/", 1)[1])]
    elif name == "DialEnd":
        tail = [("DialStatus", fields["DialStatus"])]
    elif name == "BridgeEnter":
        head = [
            *head[:3],
            (
                "BridgeUniqueid",
                f"9c3e{call.uniqueid.replace('.', '')[-8:]}-52b4-4a4e-9f4c-2b6e3d1a0c{leg:02d}",
            ),
            ("BridgeType", "basic"),
            ("BridgeTechnology", "simple_bridge"),
            ("BridgeCreator", "<unknown>"),
            ("BridgeName", "<unknown>"),
            ("BridgeNumChannels", "2"),
            ("BridgeVideoSourceMode", "none"),
        ]
        dest = []
        tail = []
    elif name == "Hangup":
        tail = [("Cause", fields["Cause"]), ("Cause-txt", fields["Cause-txt"])]
    elif name == "VarSet":
        tail = [("Variable", fields["Variable"]), ("Value", fields["Value"])]
    elif name == "Newchannel":
        tail = []
    else:
        tail = list(fields.items())
    return head + caller + dest + tail


def readable_by(blocks: list[list[tuple[str, str]]], *classes: str) -> list[list[tuple[str, str]]]:
    """The blocks an AMI user with `read = <classes>` receives: Asterisk sends an event only to sessions
    whose read permission holds one of the event's classes (its `Privilege:` line less "all")."""
    wanted = set(classes)
    return [b for b in blocks if wanted & (set(dict(b)["Privilege"].split(",")) - {"all"})]


def split_at(
    blocks: list[list[tuple[str, str]]], event: str
) -> tuple[list[list[tuple[str, str]]], list[list[tuple[str, str]]]]:
    """The blocks up to and including the first `event`, and the rest."""
    for n, fields in enumerate(blocks):
        if fields[0] == ("Event", event):
            return blocks[: n + 1], blocks[n + 1 :]
    raise ValueError(event)


EVENT_NAMES_FOLLOWED = frozenset(
    {
        "QueueCallerJoin",
        "AgentCalled",
        "AgentRingNoAnswer",
        "AgentConnect",
        "AgentComplete",
        "QueueCallerAbandon",
        # Followed too, but stored only when they end a call still waiting: VarSet of QUEUESTATUS and the
        # Hangup of the caller's channel. QueueCallerLeave is not followed.
    }
)


# ---------------------------------------------------------------------------------------------------------
# Many calls, for the bench

BENCH_CALL = Recording(
    "bench answered",
    caller="012345678",
    steps=[
        (0.000, "Newchannel", {"state": "ring"}),
        (0.400, "QueueCallerJoin", {"Position": "1", "Count": "1"}),
        (0.420, "AgentCalled", {"agent": "1001"}),
        (6.300, "AgentConnect", {"agent": "1001", "HoldTime": "6", "RingTime": "6"}),
        (186.900, "AgentComplete", {"agent": "1001", "HoldTime": "6", "TalkTime": "180", "Reason": "caller"}),
        (186.910, "Hangup", {"Cause": "16", "Cause-txt": "Normal Clearing"}),
    ],
)


def many_calls(
    count: int, extensions: Sequence[str], *, every: float = 7.0, epoch: float = T0
) -> Iterator[list[tuple[str, str]]]:
    """`count` answered calls (6 events each: 4 queue events and 2 of noise), one joining every `every`
    seconds and answered round-robin by `extensions` (which must be in AGENTS or added to it), with
    distinct callers; interleaved in time order as the PBX would send them."""
    renderer = Renderer(epoch=epoch)
    timed: list[tuple[float, int, list[tuple[str, str]]]] = []
    for n in range(count):
        extension = extensions[n % len(extensions)]
        steps = [
            (offset, name, {**fields, "agent": extension} if "agent" in fields else fields)
            for offset, name, fields in BENCH_CALL.steps
        ]
        recording = Recording(BENCH_CALL.name, caller=f"0{12000000 + n * 7919 % 9000000:08d}", steps=steps)
        _call, blocks = renderer.render(recording, start=epoch + n * every)
        for order, fields in enumerate(blocks):
            timed.append((float(dict(fields)["Timestamp"]), n * 16 + order, fields))
    timed.sort(key=lambda item: (item[0], item[1]))
    for _at, _order, fields in timed:
        yield fields


def bench_agents(count: int) -> list[str]:
    """Extensions 2001.. registered as queue members for the bench."""
    extensions = [str(2001 + n) for n in range(count)]
    for extension in extensions:
        AGENTS.setdefault(extension, (f"PJSIP/{extension}", f"Agent {extension}"))
    return extensions
