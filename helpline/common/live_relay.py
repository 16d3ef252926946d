"""The server's side of live pushes made in other processes without Redis (see live.py): a task
started with the ASGI server reads the stored events every RELAY_SECONDS, hands each to this
process's channel layer and deletes what it read. A scheduler job deletes events no server took
(none is running, or it died), so the table never grows."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.utils import timezone

from helpline.common import live
from helpline.common.models import LiveEvent
from helpline.common.outage import database_unavailable

log = logging.getLogger("helpline.live")

RELAY_SECONDS = 0.5
BATCH = 500
# An event older than this was never going to be relayed: its server is gone.
KEEP = dt.timedelta(minutes=2)


def take(limit: int = BATCH) -> list[tuple[str, dict[str, Any]]]:
    """The stored events, oldest first, deleted as they are taken. Rows are deleted by id, not by
    range: on PostgreSQL a lower id can commit after a higher one was read."""
    rows = list(LiveEvent.objects.order_by("id").values_list("id", "group", "event")[:limit])
    if not rows:
        return []
    LiveEvent.objects.filter(id__in=[row[0] for row in rows]).delete()
    return [(group, event) for _id, group, event in rows]


def prune(now: dt.datetime | None = None) -> int:
    """Events no server took in time (scheduler job). Read first: a delete begins a transaction,
    which on SQLite takes the writer's lock even when nothing matches, and usually nothing does."""
    cutoff = (now or timezone.now()) - KEEP
    old = LiveEvent.objects.filter(created_at__lt=cutoff)
    if not old.exists():
        return 0
    deleted, _ = old.delete()
    return deleted


async def relay_once(layer: Any) -> int:
    events = await database_sync_to_async(take, thread_sensitive=False)()
    for group, message in events:
        try:
            await layer.group_send(group, message)
        except Exception:  # one event that cannot be sent must not stop the others
            log.warning("live relay to %s failed", group, exc_info=False)
    return len(events)


async def relay_forever(layer: Any, stop: asyncio.Event) -> None:
    away = False
    while not stop.is_set():
        try:
            taken = await relay_once(layer)
            if away:
                log.info("live relay: the database is back")
                away = False
        except Exception as exc:
            if not database_unavailable(exc):
                log.exception("live relay failed; trying again")
            elif not away:
                log.warning("live relay: the database is unavailable; trying again")
                away = True
            taken = 0
        if taken < BATCH:  # more waiting: take it at once
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RELAY_SECONDS)


def start() -> tuple[asyncio.Task[None], asyncio.Event] | None:
    """Called as the ASGI server starts: this process holds the sockets; without Redis it also
    relays what the worker, the scheduler and commands stored."""
    live.sockets_here()
    layer = get_channel_layer()
    if not isinstance(layer, InMemoryChannelLayer):
        return None
    stop = asyncio.Event()
    return asyncio.ensure_future(relay_forever(layer, stop)), stop


async def stop(running: tuple[asyncio.Task[None], asyncio.Event] | None) -> None:
    if running is None:
        return
    task, stopping = running
    stopping.set()
    try:
        await asyncio.wait_for(task, timeout=5)
    except (TimeoutError, asyncio.CancelledError, Exception):
        task.cancel()
