"""What every websocket consumer shares, the staff console's and the child's chat alike."""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name


class DirectDispatch:
    """Hands each frame and pushed event straight to its handler. Channels first runs
    close_old_connections on the one shared database thread for every message; with hundreds of
    sockets that queue alone delays every event. Consumers using this touch the database only
    through database_sync_to_async, which closes stale connections itself."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)
