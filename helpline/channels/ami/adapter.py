"""Asterisk Manager Interface: queue events into CallEvents.

Follows a queue call's life: QueueCallerJoin, AgentCalled, AgentRingNoAnswer, AgentConnect,
AgentComplete, QueueCallerAbandon; how a caller left the queue unanswered from the QUEUESTATUS
variable Queue() sets when it returns (VarSet, readable with `read = dialplan` only); and the Hangup
of the caller's channel, which ends a call still waiting. Each event is keyed by the caller channel's
Uniqueid, so a reconnect that replays events changes nothing.

QueueCallerLeave says nothing by itself: it also comes just before AgentConnect. `Reader` holds it for
a moment: an AgentConnect (or the QUEUESTATUS, or an abandon) settles it; when none comes and the AMI
user reads no dialplan events at all (the README's `read = call,agent`), the queue let the caller go
unanswered at that moment, which is recorded as a queue timeout (the usual reason; an exit key or an
emptied queue look the same without QUEUESTATUS)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from helpline.channels.calls import CallEvent

log = logging.getLogger("helpline.voice")

EVENT_KINDS = {
    "QueueCallerJoin": "join",
    "AgentCalled": "ring",
    "AgentRingNoAnswer": "noanswer",
    "AgentConnect": "connect",
    "AgentComplete": "complete",
    "QueueCallerAbandon": "abandon",
    "VarSet": "leave",  # only QUEUESTATUS, and only the values below
    "Hangup": "hangup",  # of any channel: only the caller's (its Uniqueid is the call's) can match a call
}
# QUEUESTATUS as app_queue sets it when it lets a caller go unanswered. CONTINUE (an answered caller
# goes on in the dialplan) is not a leave; an exit key sets none: that wait ends on the caller's Hangup.
QUEUE_STATUS = {
    "TIMEOUT": "timeout",
    "FULL": "full",
    "JOINEMPTY": "empty",
    "LEAVEEMPTY": "empty",
    "JOINUNAVAIL": "empty",
    "LEAVEUNAVAIL": "empty",
    "WITHDRAW": "withdrawn",
}
INTERFACE = re.compile(r"^(?:[A-Za-z0-9]+/)?(?P<ext>[^@/\-;]+)")


def extension_of(interface: str) -> str:
    """PJSIP/1001 -> 1001, SIP/1001-0000002a -> 1001, Local/1001@from-queue/n -> 1001."""
    match = INTERFACE.match(interface.strip())
    return match.group("ext")[:32] if match else ""


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= 86_400 else None


def _time(message: Mapping[str, Any]) -> dt.datetime:
    stamp = message.get("Timestamp")
    if stamp:
        try:
            return dt.datetime.fromtimestamp(float(stamp), tz=dt.UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            pass
    return timezone.now()


# The fields read from an event. Any other field may repeat: with two or more `channelvars` in
# manager.conf every channel event carries several `ChanVariable:` lines (panoramisk makes a list).
READ_FIELDS = (
    "Event",
    "Uniqueid",
    "Timestamp",
    "Reason",
    "Variable",
    "Value",
    "Interface",
    "MemberName",
    "DestChannel",
    "CallerIDNum",
    "Queue",
    "Position",
    "HoldTime",
    "TalkTime",
)


def _repeated(message: Mapping[str, Any]) -> list[str]:
    return [name for name in READ_FIELDS if isinstance(message.get(name), list)]


def to_call_event(message: Mapping[str, Any]) -> CallEvent | None:
    """The CallEvent for an AMI event, or None for events we do not follow or cannot read."""
    repeated = _repeated(message)
    if repeated:
        name = message.get("Event")
        if not isinstance(name, str) or name in EVENT_KINDS or name == "QueueCallerLeave":
            # Which of its values would be the event's? Not one we can trust: skipped, and said so
            # (field names only: values hold callers' numbers).
            log.warning(
                "ami %s skipped: repeated field %s",
                name if isinstance(name, str) else "block",
                ", ".join(repeated),
            )
        return None
    kind = EVENT_KINDS.get(str(message.get("Event", "")))
    call_id = str(message.get("Uniqueid", "") or "").strip()
    if kind is None or not call_id or len(call_id) > 64:
        return None
    reason = str(message.get("Reason", "")).lower()
    if kind == "leave":
        if message.get("Variable") != "QUEUESTATUS":
            return None
        reason = QUEUE_STATUS.get(str(message.get("Value", "")).strip().upper(), "")
        if not reason:
            return None
    elif kind == "hangup":
        reason = "caller"
    interface = str(message.get("Interface") or message.get("MemberName") or message.get("DestChannel") or "")
    return CallEvent(
        call_id=call_id,
        kind=kind,
        at=_time(message),
        caller=str(message.get("CallerIDNum", "") or "")[:40],
        queue=str(message.get("Queue", "") or "")[:64],
        agent=extension_of(interface) if kind in {"ring", "noanswer", "connect", "complete"} else "",
        position=_int(message.get("Position")),
        hold=_int(message.get("HoldTime")),
        talk=_int(message.get("TalkTime")),
        hung_up_by=reason if kind in {"leave", "hangup"} or reason in {"caller", "agent", "transfer"} else "",
        source="ami",
    )


# How long a QueueCallerLeave waits for the AgentConnect that follows it when a member answers (Asterisk
# sends the two together) or for the QUEUESTATUS VarSet that follows it when the queue lets go.
LEAVE_HOLD_SECONDS = 1.5
_SETTLE_LEAVE = {"connect", "transfer", "complete", "abandon", "leave"}


@dataclass
class Reader:
    """AMI messages into CallEvents, with what one message alone cannot tell: whether a QueueCallerLeave
    was an answer, the queue letting the caller go, or (with dialplan events readable) an exit key."""

    hold_seconds: float = LEAVE_HOLD_SECONDS
    dialplan_visible: bool = False  # a VarSet came: the AMI user reads dialplan events (QUEUESTATUS)
    held: dict[str, tuple[CallEvent, float]] = field(default_factory=dict)  # call id -> (leave, due)
    # Calls just abandoned: Asterisk sends QueueCallerAbandon, then QueueCallerLeave.
    abandoned: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    _told: bool = False

    def read(self, message: Mapping[str, Any], now: float) -> list[CallEvent]:
        """The events this message makes, in order: a held leave it settles comes first."""
        name = message.get("Event")
        if name == "VarSet":
            self.dialplan_visible = True
        if name == "QueueCallerLeave":
            left = _leave_of(message)
            if left is not None and left.call_id not in self.abandoned:
                self.held.setdefault(left.call_id, (left, now + self.hold_seconds))
            return []
        event = to_call_event(message)
        if event is None:
            return []
        if event.kind == "abandon":
            self.abandoned.append(event.call_id)
        found: list[CallEvent] = []
        held = self.held.pop(event.call_id, None)
        if held is not None and event.kind not in _SETTLE_LEAVE:
            found += self._inferred([held[0]])  # a ring or a hang-up after the leave: no answer came
        return [*found, event]

    def due(self, now: float) -> list[CallEvent]:
        """Held leaves that nothing settled in time."""
        over = [call_id for call_id, (_left, due) in self.held.items() if due <= now]
        return self._inferred([self.held.pop(call_id)[0] for call_id in over])

    def _inferred(self, leaves: list[CallEvent]) -> list[CallEvent]:
        if self.dialplan_visible or not leaves:
            # QUEUESTATUS would have said if the queue let the caller go: this was an exit key, and the
            # caller's Hangup ends the wait.
            return []
        if not self._told:
            self._told = True
            log.warning(
                "a caller left the queue unanswered and the AMI user reads no dialplan events: "
                "recorded as a queue timeout (give it read = call,agent,dialplan for the exact reason)"
            )
        return leaves


def _leave_of(message: Mapping[str, Any]) -> CallEvent | None:
    """A QueueCallerLeave as the queue timeout it is when nothing else follows it."""
    if _repeated(message):
        to_call_event(message)  # logs the skip
        return None
    call_id = str(message.get("Uniqueid", "") or "").strip()
    if not call_id or len(call_id) > 64:
        return None
    return CallEvent(
        call_id=call_id,
        kind="leave",
        at=_time(message),
        queue=str(message.get("Queue", "") or "")[:64],
        position=_int(message.get("Position")),
        hung_up_by="timeout",
        source="ami",
    )
