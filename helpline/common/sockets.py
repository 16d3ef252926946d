"""What every websocket consumer shares, the staff console's and the child's chat alike."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from channels.consumer import get_handler_name

from helpline.common.layers import layer_unavailable

log = logging.getLogger("helpline.sockets")

CLOSE_TRY_AGAIN = 1013  # something the socket needs is away for a moment: the client comes back


class DirectDispatch:
    """Hands each frame and pushed event straight to its handler. Channels first runs
    close_old_connections on the one shared database thread for every message; with hundreds of
    sockets that queue alone delays every event. Consumers using this touch the database only
    through database_sync_to_async, which closes stale connections itself."""

    closed = False  # this consumer sent websocket.close

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_until_closed(message: dict[str, Any]) -> None:
            # Once closed the server refuses anything more (uvicorn raises, a traceback in the log):
            # frames already on their way and pushed events are dropped here, quietly.
            if self.closed:
                return
            self.closed = message.get("type") == "websocket.close"
            await send(message)

        try:
            await super().__call__(scope, receive, send_until_closed)  # type: ignore[misc]
        except Exception as exc:
            # Redis went away under the socket (its wait for pushed events failed): without the
            # layer this socket can hear nothing, so it closes for its client to come back, which
            # it does once Redis answers again. Never a traceback per socket.
            if not layer_unavailable(exc):
                raise
            log.warning("the channel layer is unavailable (%s): a socket closed for its client to retry", exc)
            await self.layer_lost()
            with contextlib.suppress(Exception):  # cleaning up needs the layer too; it is away
                await self.disconnect(CLOSE_TRY_AGAIN)  # type: ignore[attr-defined]

    async def layer_lost(self) -> None:
        """Say goodbye on a socket whose channel layer is away (a consumer may first say why)."""
        if not self.closed:
            await self.close(code=CLOSE_TRY_AGAIN)  # type: ignore[attr-defined]

    async def dispatch(self, message: dict[str, Any]) -> None:
        if self.closed and message["type"] == "websocket.receive":
            return  # a frame sent before the client heard of the close: nobody is listening
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)
