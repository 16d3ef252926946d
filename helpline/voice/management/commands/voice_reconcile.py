"""Fill in calls whose events were missed, from Asterisk's queue_log; never duplicates."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from helpline.channels.ami.adapter import extension_of
from helpline.channels.calls import CallEvent
from helpline.voice.models import VoiceCall
from helpline.voice.services import voice_events

BATCH = 200

# queue_log: epoch|callid|queue|agent|event|data1|data2|data3...
# Each line we read: (event kind, reason or who hung up, where in the data are position, hold and talk).
LINES: dict[str, tuple[str, str, int | None, int | None, int | None]] = {
    "ENTERQUEUE": ("join", "", None, None, None),  # |url|caller id|position
    "RINGNOANSWER": ("noanswer", "", None, None, None),  # |ring ms
    "CONNECT": ("connect", "", None, 0, None),  # |hold|agent channel id|ring
    "COMPLETECALLER": ("complete", "caller", None, 0, 1),  # |hold|talk|position
    "COMPLETEAGENT": ("complete", "agent", None, 0, 1),
    "TRANSFER": ("complete", "transfer", None, 2, 3),  # |extension|context|hold|talk|position
    "ABANDON": ("abandon", "", 0, 2, None),  # |position|original position|wait
    # The queue let the caller go unanswered (reasons as services.LEAVE_REASONS).
    "EXITWITHTIMEOUT": ("leave", "timeout", 0, 2, None),  # |position|original position|wait
    "EXITEMPTY": ("leave", "empty", 0, 2, None),
    "EXITWITHKEY": ("leave", "key", 1, 3, None),  # |key|position|original position|wait
}


def parse_line(line: str) -> CallEvent | None:
    parts = line.rstrip("\n").split("|")
    if len(parts) < 5 or parts[4] not in LINES:
        return None
    try:
        at = dt.datetime.fromtimestamp(float(parts[0]), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None
    call_id, queue, agent, name = parts[1], parts[2], parts[3], parts[4]
    data = [*parts[5:], "", "", "", ""]
    kind, reason, position, hold, talk = LINES[name]

    def number(at: int | None) -> int | None:
        text = data[at] if at is not None else ""
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
        position=number(position),
        hold=number(hold),
        talk=number(talk),
        hung_up_by=reason,
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
        parsed = [parse_line(line) for line in lines]
        events = [e for e in parsed if e is not None]
        outcomes: Counter[str] = Counter(skipped=len(parsed) - len(events))
        ids = {e.call_id for e in events}
        before = set(VoiceCall.objects.filter(call_id__in=ids).values_list("call_id", flat=True))
        new_calls: set[str] = set()
        for start in range(0, len(events), BATCH):
            chunk = events[start : start + BATCH]
            # Applied in batches, as the connector does; no live pushes: these calls are history,
            # and a screen-pop of one would open an old record on a counsellor's console.
            results, _pushes = voice_events(chunk)
            for event, outcome in zip(chunk, results, strict=True):
                outcomes["skipped" if outcome == "rejected" else outcome] += 1
                if outcome == "applied" and event.call_id not in before:
                    new_calls.add(event.call_id)
        self.stdout.write(
            f"queue_log: {len(lines)} lines; added {len(new_calls)} calls and {outcomes['applied']} events; "
            f"{outcomes['duplicate']} already recorded; {outcomes['ignored']} out of date; "
            f"{outcomes['skipped']} lines not about queue calls"
            + (f"; {outcomes['failed']} could not be applied (see the log)" if outcomes["failed"] else "")
        )
        for call_id in sorted(new_calls):
            self.stdout.write(f"  added call {call_id}")
