"""Live pushes to counsellors' consoles over the channel layer (Redis or in-memory)."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger("helpline.live")

CONSOLE_GROUP = "console"


def staff_group(staff_id: UUID | str) -> str:
    return f"staff-{staff_id}"


def chat_group(conversation_id: UUID | str) -> str:
    return f"chat-{conversation_id}"


def push(group: str, event: dict[str, Any]) -> None:
    """Best effort: a push that fails must never undo or block the write that caused it."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "console.event", **event})
    except Exception:  # the page still shows the truth on its next load
        log.warning("live push to %s failed", group, exc_info=False)


def contact_changed(contact_id: UUID | str, *, reason: str) -> None:
    push(CONSOLE_GROUP, {"contact": str(contact_id), "reason": reason})
