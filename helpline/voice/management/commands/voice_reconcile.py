"""Fill in calls whose events were missed, from Asterisk's queue_log; never duplicates."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from helpline.channels.ami.adapter import extension_of
from helpline.voice.models import VoiceCall
from helpline.voice.services import CallEvent, EventRejected, voice_event

# queue_log: epoch|callid|queue|agent|event|data1|data2|data3...
KINDS = {
    "ENTERQUEUE": "join",
    "RINGNOANSWER": "noanswer",
    "CONNECT": "connect",
    "COMPLETECALLER": "complete",
    "COMPLETEAGENT": "complete",
    "ABANDON": "abandon",
    # The queue let the caller go unanswered: data is position|original position|wait, as ABANDON's.
    "EXITWITHTIMEOUT": "leave",
    "EXITEMPTY": "leave",
}
EXITS = {"EXITWITHTIMEOUT": "timeout", "EXITEMPTY": "empty"}


def parse_line(line: str) -> CallEvent | None:
    parts = line.rstrip("\n").split("|")
    if len(parts) < 5 or parts[4] not in KINDS:
        return None
    try:
        at = dt.datetime.fromtimestamp(float(parts[0]), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None
    call_id, queue, agent, name = parts[1], parts[2], parts[3], parts[4]
    data = [*parts[5:], "", "", ""]
    kind = KINDS[name]

    def number(text: str) -> int | None:
        return int(text) if text.isdigit() and int(text) <= 86_400 else None

    if not call_id or call_id == "NONE" or len(call_id) > 64:
        return None
    return CallEvent(
        call_id=call_id,
        kind=kind,
        at=at,
        queue=queue[:64],
        caller=data[1][:40] if name == "ENTERQUEUE" else "",
        agent=extension_of(agent) if kind in {"connect", "complete", "noanswer"} and agent != "NONE" else "",
        position=number(data[0]) if kind in {"abandon", "leave"} else None,
        hold=number(data[2] if kind in {"abandon", "leave"} else data[0])
        if kind in {"connect", "complete", "abandon", "leave"}
        else None,
        talk=number(data[1]) if kind == "complete" else None,
        hung_up_by=("caller" if name == "COMPLETECALLER" else "agent")
        if kind == "complete"
        else EXITS.get(name, ""),
        source="queue_log",
    )


class Command(BaseCommand):
    help = "Read Asterisk's queue_log and add the calls and events that were missed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("queue_log")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["queue_log"])
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        before = set(VoiceCall.objects.values_list("call_id", flat=True))
        outcomes: Counter[str] = Counter()
        new_calls: set[str] = set()
        for line in lines:
            event = parse_line(line)
            if event is None:
                outcomes["skipped"] += 1
                continue
            try:
                outcome = voice_event(event)
            except EventRejected:
                outcomes["skipped"] += 1
                continue
            outcomes[outcome] += 1
            if outcome == "applied" and event.call_id not in before:
                new_calls.add(event.call_id)
        self.stdout.write(
            f"queue_log: {len(lines)} lines; added {len(new_calls)} calls and {outcomes['applied']} events; "
            f"{outcomes['duplicate']} already recorded; {outcomes['ignored']} out of date; "
            f"{outcomes['skipped']} lines not about queue calls"
        )
        for call_id in sorted(new_calls):
            self.stdout.write(f"  added call {call_id}")
