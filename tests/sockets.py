"""ASGI scopes for websocket tests: the application is spoken to as uvicorn would."""

from __future__ import annotations

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
