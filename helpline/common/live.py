"""Live pushes to counsellors' consoles and children's chat sockets over the channel layer (Redis or
in-memory).

Who hears what: a change to the queue (a contact arrives, is taken, leaves) goes to every console;
a change inside a conversation someone holds (a message, a reply, a delivery report) goes to its
holder and the supervisors only, so a busy floor does not flood every console with every message.
A change of a contact's state also goes to the contact's own group, where a child's chat socket
listens to learn at once that a counsellor answered or the chat ended.

Without Redis the channel layer lives in the memory of one process, and only the server process
holds sockets. A push made anywhere else (the task worker marking a reply sent, the scheduler
moving an offer, a command) is written to a small table instead, which the server reads twice a
second and hands to its own layer (helpline.common.live_relay). With Redis every process sends
straight to the shared layer."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any
from uuid import UUID

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from helpline.common.models import LiveEvent

log = logging.getLogger("helpline.live")

CONSOLE_GROUP = "console"
SUPERVISORS_GROUP = "supervisors"
STAFF_GROUP = "staff"  # every staff member's live connection, whatever their role
# Not for the browser: tells a staff socket to check its person's access again (and end if gone).
ACCESS_CHANGED = "access_changed"

# Changes inside one conversation: only its holder (and supervisors) need them.
THREAD_REASONS = frozenset({"message", "reply", "sent", "delivery", "failed"})
# Changes of a contact's state that the person on the other end must learn of.
STATE_REASONS = frozenset({"assigned", "taken", "requeued", "closed", "left"})


def staff_group(staff_id: UUID | str) -> str:
    return f"staff-{staff_id}"


def chat_group(conversation_id: UUID | str) -> str:
    return f"chat-{conversation_id}"


def contact_group(contact_id: UUID | str) -> str:
    return f"contact-{contact_id}"


def push(group: str, event: dict[str, Any]) -> None:
    """Best effort: a push that fails must never undo or block the write that caused it.

    Called from a request or socket handler (a thread of the server's event loop), the send is
    handed to that loop and not waited for: waiting would hold the thread, and with it the next
    database call of every socket in the process, for as long as the loop is busy. With Redis two
    such sends may overtake each other; chat frames carry their seq and the widget orders by it.
    Elsewhere (the task worker, commands) it is sent before returning, or, without Redis, stored
    for the server process to relay once the caller's transaction commits."""
    push_to([group], event)


def push_to(groups: list[str], event: dict[str, Any]) -> None:
    """push() of one event to several groups; stored for the relay, they are one write."""
    layer = get_channel_layer()
    if layer is None or not groups:
        return
    message = {"type": "console.event", **event}
    loop = _server_loop()
    if loop is None and _relayed(layer):
        transaction.on_commit(lambda: _store(groups, message))
        return
    for group in groups:
        _send(layer, loop, group, message)


def _send(layer: Any, loop: asyncio.AbstractEventLoop | None, group: str, message: dict[str, Any]) -> None:
    if loop is not None:
        try:
            loop.call_soon_threadsafe(_start_send, layer, group, message)
            return
        except RuntimeError:  # the loop closed meanwhile (shutting down): send it here instead
            pass
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the page still shows the truth on its next load
        log.warning("live push to %s failed", group, exc_info=False)


_sending: set[asyncio.Task[None]] = set()
_holds_sockets = False


def sockets_here() -> None:
    """This process serves the sockets (called as the ASGI server starts): its pushes go straight
    to its own layer, and it relays what other processes stored."""
    global _holds_sockets
    _holds_sockets = True


def _relayed(layer: Any) -> bool:
    """Whether a push from this process must go through the database to reach any socket: the layer
    is in this process's memory and no socket is served here. LIVE_SOCKETS_HERE says a process
    holds sockets without an ASGI server's start (the suite's in-process sockets)."""
    return (
        isinstance(layer, InMemoryChannelLayer)
        and not _holds_sockets
        and not getattr(settings, "LIVE_SOCKETS_HERE", False)
    )


def _store(groups: list[str], message: dict[str, Any]) -> None:
    now = timezone.now()
    try:
        LiveEvent.objects.bulk_create([LiveEvent(group=g, event=message, created_at=now) for g in groups])
    except Exception:  # best effort, as a push: the page shows the truth on its next load
        log.warning("live push to %s could not be stored for the server", ", ".join(groups), exc_info=False)


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop that called this thread through sync_to_async, if any."""
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    loop: asyncio.AbstractEventLoop | None = getattr(local, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() and not loop.is_closed() else None


def _start_send(layer: Any, group: str, message: dict[str, Any]) -> None:
    task = asyncio.ensure_future(layer.group_send(group, message))
    _sending.add(task)  # a task nobody references may be collected before it runs
    task.add_done_callback(_sent)


def _sent(task: asyncio.Task[None]) -> None:
    _sending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("live push failed: %s", type(task.exception()).__name__)


def contact_changed(contact_id: UUID | str, *, reason: str, holder: UUID | str | None = None) -> None:
    """Tell those who need to know that a contact changed. `holder` is the counsellor holding it,
    when the caller knows; without it the change goes to every console."""
    event = {"contact": str(contact_id), "reason": reason}
    if reason in THREAD_REASONS and holder is not None:
        groups = [staff_group(holder), SUPERVISORS_GROUP]
    else:
        groups = [CONSOLE_GROUP]
    if reason in STATE_REASONS:
        groups.append(contact_group(contact_id))
    push_to(groups, event)


def access_changed(sender: Any, *, staff_ids: list[str] | None, **kwargs: Any) -> None:
    """Receiver of accounts.signals.access_changed: the sockets of those concerned check again."""
    event = {"reason": ACCESS_CHANGED}
    push_to([STAFF_GROUP] if staff_ids is None else [staff_group(s) for s in staff_ids], event)
