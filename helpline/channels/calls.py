"""The provider-neutral call event: what the AMI connector, the HTTP endpoint and queue_log all hand
to voice, whatever PBX sent it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from helpline.common.bounds import event_time_ok
from helpline.common.text import is_identifier

# "hangup": the caller's channel ended (AMI Hangup); it ends only a call still queued or ringing.
KINDS = {"join", "ring", "noanswer", "connect", "complete", "abandon", "transfer", "leave", "hangup"}
# Why the queue let a caller go unanswered. A leave says nothing by itself (Asterisk's QueueCallerLeave
# also comes just before AgentConnect), so only a leave with one of these reasons ends a call:
# queue_log's EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY; AMI's QUEUESTATUS variable; the HTTP endpoint.
LEAVE_REASONS = frozenset({"timeout", "empty", "full", "key", "withdrawn"})
# Keyed by the leg's start in whole seconds, not by the agent: AMI names the agent by interface,
# queue_log by member name. A copy from the other source may round to the next second.
LEG_KINDS = {"connect", "transfer", "complete"}


@dataclass(frozen=True)
class CallEvent:
    call_id: str
    kind: str
    at: dt.datetime
    caller: str = field(default="", repr=False)  # a child's number: never in a repr, log or error page
    queue: str = ""
    agent: str = ""  # the answering extension
    position: int | None = None
    hold: int | None = None
    talk: int | None = None
    hung_up_by: str = ""
    source: str = "ami"

    @property
    def key(self) -> str:
        return self.keys[0]

    @property
    def keys(self) -> tuple[str, ...]:
        """The key this event is stored under, then those the same event from another source may have
        been stored under. Whole seconds: AMI Timestamps carry microseconds, queue_log only seconds."""
        second = int(self.at.timestamp())
        if self.kind in {"ring", "noanswer"}:  # may repeat for one agent: their time tells them apart
            return (f"{self.call_id}:{self.kind}:{self.agent}:{second}"[:200],)
        if self.kind in LEG_KINDS:
            # One leg's connect and complete: by when the leg started (a complete's end minus its talk
            # time), so the same agent answering both legs of a transfer gives two legs, not a duplicate.
            start = second - self.talk if self.kind == "complete" and self.talk is not None else second
            return tuple(f"{self.call_id}:{self.kind}:@{s}" for s in (start, start - 1, start + 1))
        if self.kind == "leave":
            return (f"{self.call_id}:leave:{self.hung_up_by}"[:200],)
        return (f"{self.call_id}:{self.kind}:",)

    @property
    def valid(self) -> bool:
        """A known kind, a call id, identifiers a database keeps, and a time in the sane window
        (an event dated 9999 would break every page that shows the call's local time)."""
        return (
            self.kind in KINDS
            and bool(self.call_id)
            and len(self.call_id) <= 64
            and all(is_identifier(v) for v in (self.call_id, self.queue, self.agent, self.hung_up_by))
            and event_time_ok(self.at)
        )

    @property
    def says_nothing(self) -> bool:
        """A leave without one of LEAVE_REASONS: it may be the answer coming, so it ends nothing."""
        return self.kind == "leave" and self.hung_up_by not in LEAVE_REASONS
