"""Asterisk Manager Interface: queue events into CallEvents.

Follows a queue call's life: QueueCallerJoin, AgentCalled, AgentRingNoAnswer, AgentConnect,
AgentComplete, QueueCallerAbandon; how a caller left the queue unanswered from the QUEUESTATUS
variable Queue() sets when it returns (VarSet); and the Hangup of the caller's channel, which ends a
call still waiting. QueueCallerLeave is not followed: it comes just before AgentConnect too, so it
says nothing by itself. Each event is keyed by the caller channel's Uniqueid, so a reconnect that
replays events changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from helpline.voice.services import CallEvent

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


def to_call_event(message: Mapping[str, Any]) -> CallEvent | None:
    """The CallEvent for an AMI event, or None for events we do not follow or cannot read."""
    if any(isinstance(value, list) for value in message.values()):
        return None  # a block with a repeated field is not one event we can trust
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
