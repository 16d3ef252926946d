"""Logging filters that keep personal data out of the server's log."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import ItemsView
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


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


class ErrorTally(logging.Handler):
    """Counts this process's logged errors by type (the exception's class, or the logger's name
    when none was raised) for the /metrics endpoint (helpline.operations.metrics). Counts only:
    no message, no argument is kept."""

    counts: dict[tuple[str, str], int] = {}
    _lock = threading.Lock()

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else "logged"
        with self._lock:
            key = (record.name.split(".")[0] if record.name else "root", kind)
            ErrorTally.counts[key] = ErrorTally.counts.get(key, 0) + 1

    @classmethod
    def snapshot(cls) -> dict[tuple[str, str], int]:
        with cls._lock:
            return dict(cls.counts)


class NoClientDataReports(SafeExceptionReporterFilter):
    """Error reports (the mail to ADMINS, a DEBUG page) without what a request carried or a frame
    held: a failing view's POST and its local variables are a child's words and numbers. The
    traceback's file, line and code stay, for diagnosis."""

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, Any]:
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(
        self, request: HttpRequest | None, tb_frame: Any
    ) -> ItemsView[str, Any]:
        return dict.fromkeys(tb_frame.f_locals, self.cleansed_substitute).items()
