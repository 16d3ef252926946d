"""Logging filters that keep personal data out of the server's log."""

from __future__ import annotations

import logging


class NoClientAddress(logging.Filter):
    """Blank the client address in uvicorn's websocket lines (`'%s - "WebSocket %s" …'`): on the
    chat socket it is a child's address. The path and outcome stay, for diagnosis."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith('%s - "WebSocket') and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = ("-", *args[1:])
        return True
