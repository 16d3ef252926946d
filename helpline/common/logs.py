"""Logging filters that keep personal data out of the server's log."""

from __future__ import annotations

import logging
import re


class NoClientAddress(logging.Filter):
    """Blank the client address in uvicorn's websocket lines (`'%s - "WebSocket %s" …'`): on the
    chat socket it is a child's address. The path and outcome stay, for diagnosis."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith('%s - "WebSocket') and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = ("-", *args[1:])
        return True


_PARTNER_LINK = re.compile(r"/partner/[^/\s]+")


class NoPartnerLink(logging.Filter):
    """Blank the signed value in a partner's link (`/partner/<value>/`) wherever Django logs a
    request's path (a 404, a refused form): the value is the partner's whole key to a referral,
    and a near-miss of one must not be kept either."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _PARTNER_LINK.sub("/partner/-", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                _PARTNER_LINK.sub("/partner/-", a) if isinstance(a, str) else a for a in record.args
            )
        return True
