"""Run the Asterisk Manager Interface connector: `python manage.py voice_ami` (ASTERISK_AMI_URL,
e.g. ami://user:secret@127.0.0.1:5038). Reconnects after the PBX restarts or the link drops, and
after the PBX hangs: a session on which nothing (not even the answer to a Ping) arrives for
SILENCE_SECONDS is dropped and opened again.

panoramisk reads the stream on the event loop; each queue event is put in a queue and one task
applies what has arrived since its last batch, in one transaction on the database thread. A quiet
line gives batches of one (the screen-pop goes out at once); a busy one gives larger batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlparse

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connection
from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol

from helpline.channels.ami.adapter import EVENT_KINDS, Reader
from helpline.channels.calls import CallEvent
from helpline.voice.services import DatabaseUnavailable, voice_events

log = logging.getLogger("helpline.voice")

BATCH_MAX = 100  # events per transaction: bounds how long a screen-pop may wait behind a batch
# Seconds between tries while the database is unreachable: short at the top, so that the events
# kept meanwhile are applied within seconds of its return (a try costs nothing while it is away).
RETRY_FIRST, RETRY_MAX = 0.5, 5.0
DRAIN_SECONDS = 4  # at shutdown, for the events already read
# A hung PBX keeps its socket open and answers nothing. panoramisk pings every PING_SECONDS and never
# looks at the answer: a session that has heard nothing for SILENCE_SECONDS (two pings unanswered) is
# dropped, checked every WATCH_SECONDS, and panoramisk connects again after RECONNECT_SECONDS. At
# worst a hang is noticed and a new session opened SILENCE + WATCH + RECONNECT = 23 s after it began.
PING_SECONDS = 5
SILENCE_SECONDS = 20.0
WATCH_SECONDS = 1.0
RECONNECT_SECONDS = 2


class SafeAMIProtocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk handles every block of one read in a loop, and a block it cannot handle (two
    `Event:` lines make the event name a list) raises out of data_received: asyncio then drops the
    session and the rest of the read. Here such a block is skipped and the others go on. It also
    notes when the PBX last sent anything, for the watch on a hung PBX."""

    last_heard: float = 0.0

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.last_heard = time.monotonic()

    def data_received(self, data: bytes) -> None:
        self.last_heard = time.monotonic()
        super().data_received(data)

    def handle_message(self, message: Any) -> None:
        try:
            super().handle_message(message)
        except Exception:
            log.warning("ami block skipped: it could not be read as one event")


def manager_from_url(url: str, **extra: Any) -> Manager:
    parsed = urlparse(url)
    if parsed.scheme != "ami" or not parsed.hostname:
        raise CommandError("ASTERISK_AMI_URL must look like ami://user:secret@host:5038")
    return Manager(
        host=parsed.hostname,
        port=parsed.port or 5038,
        username=unquote(parsed.username or ""),
        secret=unquote(parsed.password or ""),
        ping_delay=PING_SECONDS,
        ping_interval=PING_SECONDS,
        reconnect_timeout=RECONNECT_SECONDS,
        protocol_factory=SafeAMIProtocol,
        **extra,
    )


def apply_batch(events: Sequence[CallEvent]) -> list[str]:
    """On the database thread: apply the batch, then push to consoles once it has committed. Raises
    DatabaseUnavailable, with the connection closed so that the next try opens a new one."""
    with contextlib.suppress(DatabaseError):  # a connection the server dropped meanwhile is replaced
        close_old_connections()
    try:
        outcomes, pushes = voice_events(events)
    except DatabaseUnavailable:
        with contextlib.suppress(DatabaseError):
            connection.close()
        raise
    pushes.send()
    for event, outcome in zip(events, outcomes, strict=True):
        if outcome in {"rejected", "failed"}:
            log.warning("ami event %s skipped: it could not be applied", event.kind)
    return outcomes


class Connector:
    """Events in, batches out: never lets one bad event stop the connector."""

    def __init__(self) -> None:
        self.pending: deque[CallEvent] = deque()
        self.arrived = asyncio.Event()
        self.reader = Reader()

    def on_event(self, manager: Any, message: Any) -> None:
        """panoramisk's callback, on the loop: read the block (cheap) and queue it."""
        try:
            events = self.reader.read(message, time.monotonic())
        except Exception:
            log.exception("ami event %s could not be read; the connector goes on", message.get("Event", "?"))
            return
        self._queue(events)

    def flush_held(self, *, all_of_them: bool = False) -> None:
        """Queue the held queue leaves that nothing settled in time (see adapter.Reader); at shutdown
        every one, as nothing will settle them now."""
        self._queue(self.reader.due(float("inf") if all_of_them else time.monotonic()))

    def _queue(self, events: list[CallEvent]) -> None:
        if events:
            self.pending.extend(events)
            self.arrived.set()

    async def apply_forever(self) -> None:
        while True:
            await self.arrived.wait()
            self.arrived.clear()
            await self.apply_pending()

    async def apply_pending(self) -> None:
        delay = RETRY_FIRST
        while self.pending:
            batch = [self.pending.popleft() for _ in range(min(len(self.pending), BATCH_MAX))]
            try:
                await sync_to_async(apply_batch, thread_sensitive=True)(batch)
            except DatabaseUnavailable:
                # Not the events' fault: keep them, in order, and try again. Events already stored
                # (a commit that failed only to answer) are skipped then as duplicates.
                self.pending.extendleft(reversed(batch))
                log.warning(
                    "database unavailable; %d ami events kept, trying again in %.1f s",
                    len(self.pending),
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            except asyncio.CancelledError:
                self.pending.extendleft(reversed(batch))  # may have been applied: then a duplicate later
                raise
            except Exception:
                log.exception("ami events failed (%d); the connector goes on", len(batch))
            delay = RETRY_FIRST

    async def drain(self, timeout: float) -> None:
        """At shutdown: what already arrived is applied, for `timeout` seconds at most (the PBX will not
        send it again); what is left is logged by call id, never by number, for voice_reconcile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.apply_pending(), timeout=timeout)
        if self.pending:
            calls = sorted({event.call_id for event in self.pending})
            log.error(
                "stopped with %d ami events not applied (the database was unavailable or slow), "
                "of calls: %s; run voice_reconcile on the queue_log for them",
                len(self.pending),
                " ".join(calls),
            )


async def watch(manager: Manager, connector: Connector) -> None:
    """Every WATCH_SECONDS: queue the leaves held long enough, and drop a session the PBX went silent
    on (panoramisk then connects again, as after a dropped link)."""
    while True:
        await asyncio.sleep(WATCH_SECONDS)
        connector.flush_held()
        protocol = manager.protocol
        if not isinstance(protocol, SafeAMIProtocol) or protocol.closed:
            continue
        silent = time.monotonic() - protocol.last_heard
        if silent > SILENCE_SECONDS:
            log.warning("the PBX sent nothing for %.0f s (Ping unanswered); connecting again", silent)
            protocol.transport.abort()  # asyncio calls connection_lost: panoramisk reconnects


async def run(url: str, stop: asyncio.Event | None = None) -> None:
    manager = manager_from_url(url, loop=asyncio.get_running_loop())
    connector = Connector()
    for name in (*EVENT_KINDS, "QueueCallerLeave"):
        manager.register_event(name, connector.on_event)
    applying = asyncio.ensure_future(connector.apply_forever())
    watching = asyncio.ensure_future(watch(manager, connector))
    try:
        # Connect once: when the PBX is down, panoramisk itself tries again every reconnect_timeout
        # seconds, as after a dropped link. A second loop of ours would start a second chain of
        # tries, and each chain logs in when the PBX returns.
        try:
            await manager.connect()
        except OSError:
            log.warning("AMI not reachable; trying again every %d s", manager.reconnect_timeout)
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        watching.cancel()
        manager.close()
        connector.flush_held(all_of_them=True)
        applying.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await applying
        await connector.drain(DRAIN_SECONDS)


class Command(BaseCommand):
    help = "Follow the Asterisk queue over AMI and record every call as a contact."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default=os.environ.get("ASTERISK_AMI_URL", ""))

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["url"]:
            raise CommandError("set ASTERISK_AMI_URL (ami://user:secret@host:5038) or pass --url")
        self.stdout.write("Following the Asterisk queue over AMI (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run(options["url"]))
