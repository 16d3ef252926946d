"""The HTTP call event format, for PBXs other than Asterisk: its signature and its parsing into a
CallEvent. The endpoint itself (POST /hooks/voice/events) is voice's: helpline/voice/webhooks.py.

Body (JSON): {"call_id", "event", "caller", "queue", "agent", "time", ["position", "hold", "talk",
"hung_up_by"]}; header X-Helpline-Signature: sha256=<hex HMAC-SHA256 of the raw body with the
integration's secret>. A replayed event is stored once; an unsigned one is refused and stores nothing.
"leave" must say why the queue let the caller go unanswered: hung_up_by one of "timeout", "empty",
"full", "key" (the caller pressed an exit key) or "withdrawn"; it ends the call as not answered, unless
a "connect" or "complete" for the call comes, before or after it. A caller who hangs up while waiting is
an "abandon". An event that could not be stored (a database fault) is answered 503: send it again."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

from helpline.channels.calls import CallEvent
from helpline.channels.config import _demo_secret
from helpline.common.bounds import event_time_ok
from helpline.common.text import is_identifier

EVENTS = {"join", "ring", "noanswer", "connect", "complete", "abandon", "transfer", "leave"}
MAX_BODY = 4096


class SignatureRefused(Exception):
    """The signature is missing or wrong: nothing of the body may be read."""


def voice_secret() -> str:
    return settings.HELPLINE_ENV.get("HELPLINE_VOICE_SECRET") or _demo_secret("voice_secret")


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, given: str) -> None:
    secret = voice_secret()
    if not secret or not given or not hmac.compare_digest(given, sign(body, secret)):
        raise SignatureRefused


def _int(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 86_400:
        raise ValueError(name)
    return int(value)


def _str(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit or not is_identifier(value):
        raise ValueError(name)
    return value


def parse_event(body: bytes) -> CallEvent:
    """A verified body as a CallEvent; ValueError naming the bad field otherwise."""
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("body")
    kind = _str(data, "event", 16)
    if kind not in EVENTS:
        raise ValueError("event")
    at = dt.datetime.fromisoformat(_str(data, "time", 40))
    if not event_time_ok(at):  # a naive time, or one outside the sane window
        raise ValueError("time")
    event = CallEvent(
        call_id=_str(data, "call_id", 64),
        kind=kind,
        at=at,
        caller=_str(data, "caller", 40),
        queue=_str(data, "queue", 64),
        agent=_str(data, "agent", 32),
        position=_int(data, "position"),
        hold=_int(data, "hold"),
        talk=_int(data, "talk"),
        hung_up_by=_str(data, "hung_up_by", 16),
        source="http",
    )
    if not event.call_id:
        raise ValueError("call_id")
    if event.says_nothing:
        raise ValueError("hung_up_by")  # a leave that does not say why could be the answer coming
    return event
