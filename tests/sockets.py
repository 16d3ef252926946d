"""ASGI scopes for websocket tests: the application is spoken to as uvicorn would."""

from __future__ import annotations

import asyncio
from typing import Any


def staff_scope(cookie: str) -> dict[str, Any]:
    """A console's /ws/staff/ socket from this site's own origin, with the session cookie."""
    return {
        "type": "websocket",
        "path": "/ws/staff/",
        "raw_path": b"/ws/staff/",
        "query_string": b"",
        "headers": [(b"cookie", cookie.encode()), (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
        "subprotocols": [],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


class StrictServer:
    """Speaks ASGI to the application as uvicorn does where it is strict: a message sent after the
    socket was closed is an error (uvicorn raises, and logs a traceback), and an exception that
    leaves the application is one too (uvicorn answers 500 and logs it)."""

    def __init__(self, scope: dict[str, Any]) -> None:
        self.scope = scope
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.closed = False

    async def _receive(self) -> dict[str, Any]:
        return await self.inbox.get()

    async def _send(self, message: dict[str, Any]) -> None:
        if self.closed:
            self.errors.append(f"{message['type']} after websocket.close")
            raise RuntimeError(f"Unexpected ASGI message {message['type']!r} after sending 'websocket.close'")
        self.closed = message["type"] == "websocket.close"
        self.sent.append(message)

    async def run(self, application: Any, frames: list[dict[str, Any]], settle: float = 0.5) -> None:
        """Connect, deliver each message in turn (a short pause between them), then disconnect."""
        task = asyncio.ensure_future(application(self.scope, self._receive, self._send))
        for message in [{"type": "websocket.connect"}, *frames]:
            await self.inbox.put(message)
            await asyncio.sleep(0.1)
        await asyncio.sleep(settle)
        await self.inbox.put({"type": "websocket.disconnect", "code": 1006})
        try:
            await asyncio.wait_for(task, 5)
        except Exception as exc:  # what uvicorn would log with a traceback
            self.errors.append(f"{type(exc).__name__}: {exc}")
