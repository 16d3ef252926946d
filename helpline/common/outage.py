"""While the database is away (a PostgreSQL restart, a failover): fail fast, say so plainly, and
notice its return.

One gate per process. The PostgreSQL backend (helpline.common.postgresql) marks it down when a
connection attempt fails and up when one succeeds; while it is down, asking for a connection fails at
once instead of waiting for the pool's timeout, except for one caller a second (the probe) that
lets the pool try again. Pages, the API and webhooks then answer 503 with a short translated page
or JSON (gateways send again later); sockets and background work use `database_unavailable()` to
tell this apart from a fault of their own. SQLite has no server to lose, but its disk can fill and
its one write lock can be held longer than a writer waits: both are answered the same way.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from helpline.common.requests import wants_json

log = logging.getLogger("helpline.database")

PROBE_SECONDS = 1.0  # while the database is down, one caller this often may try it
RETRY_AFTER_SECONDS = 5  # what a 503 asks gateways and browsers to wait
FLAG = "helpline_database_unavailable"


class DatabaseGate:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._probe_at = 0.0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, reason: str) -> None:
        with self._lock:
            if self._down_since is None:
                self._down_since = self._clock()
                self._probe_at = self._down_since + PROBE_SECONDS
                log.warning("database unavailable (%s); answering 503 until it is back", reason)

    def succeeded(self) -> None:
        if self._down_since is None:  # the common case: no lock
            return
        with self._lock:
            if self._down_since is not None:
                log.warning("database back after %.1f s", self._clock() - self._down_since)
                self._down_since = None

    def may_try(self) -> bool:
        """True when a connection may be attempted: always while the database is up; while it is
        down, for one caller every PROBE_SECONDS."""
        if self._down_since is None:
            return True
        with self._lock:
            now = self._clock()
            if self._down_since is None or now >= self._probe_at:
                self._probe_at = now + PROBE_SECONDS
                return True
            return False


gate = DatabaseGate()


SQLITE_STORAGE_ERRORS = ("database or disk is full", "disk I/O error")


def storage_full(exc: BaseException | None) -> bool:
    """SQLite could not write because its disk is full (or failing: with no room for its WAL and
    shared-memory files even opening a connection fails with an I/O error). The transaction was
    rolled back whole (SQLite never keeps part of one), so the request is refused like an outage,
    and a gateway sends again once an administrator has freed space."""
    return (
        isinstance(exc, OperationalError)
        and connection.vendor == "sqlite"
        and any(text in str(exc) for text in SQLITE_STORAGE_ERRORS)
    )


def database_busy(exc: BaseException | None) -> bool:
    """SQLite gave up waiting for its single write lock ("database is locked", after its busy
    timeout, or "... (waited for another writer in this process)" from helpline.common.sqlite3):
    another writer held it too long. Nothing was written; the same work succeeds once it is free,
    so it is answered and retried like an outage, never a 500."""
    return (
        isinstance(exc, OperationalError)
        and connection.vendor == "sqlite"
        and "database is locked" in str(exc)
    )


_full_logged_at = 0.0
_locked_logged_at = 0.0


def database_unavailable(exc: BaseException | None) -> bool:
    """Is this error the database being unreachable (or its link broken, or its disk full, or its
    write lock held too long) rather than a fault of the code or the data? Of PostgreSQL's, any
    OperationalError; of SQLite's only a full disk or a lock it gave up waiting for (its
    OperationalError also means a missing table or a syntax error)."""
    if isinstance(exc, OperationalError | InterfaceError) and connection.vendor == "postgresql":
        return True
    if database_busy(exc):
        global _locked_logged_at
        if time.monotonic() - _locked_logged_at > 60:  # each refusal is logged where it is made
            _locked_logged_at = time.monotonic()
            log.warning("another writer held the database too long (%s): refused, to be tried again", exc)
        return True
    if storage_full(exc):
        global _full_logged_at
        if time.monotonic() - _full_logged_at > 60:  # once a minute, not once a request
            _full_logged_at = time.monotonic()
            log.error("the disk holding the database is full or failing (%s): answering 503 until fixed", exc)
        return True
    return False


def mark(request: HttpRequest) -> None:
    """This request is answered 503 because the database is away (logged as one line)."""
    setattr(request, FLAG, True)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 in the reader's language, without touching the database (no user, no session)."""
    mark(request)
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    language = cookie if cookie in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        if wants_json(request):
            response: HttpResponse = JsonResponse(
                {"detail": _("The database is unavailable for a moment. Try again shortly.")}, status=503
            )
        else:
            body = render_to_string("503.html", {"LANGUAGE_CODE": language})
            response = HttpResponse(body, status=503)
            response["Content-Language"] = language
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def note_request_exception(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """got_request_exception: mark a request that failed because the database is away (the error is
    only at hand here; the middleware below turns the 500 made from it into a 503)."""
    if request is not None and database_unavailable(sys.exc_info()[1]):
        mark(request)


class DatabaseUnavailableMiddleware:
    """Outside every middleware that reads the session or the user: their failure while the
    database is away becomes a 503, never a 500 or (with debug on) a page of traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, FLAG, False) and response.status_code == 500:
            response = unavailable_response(request)
            response._has_been_logged = True  # type: ignore[attr-defined]  # the failure was, once
        return response


class OutageLogLine(logging.Filter):
    """django.request logs every failed request (with its traceback) and every 503 as an error:
    during an outage, one per request for a cause already logged once. Each becomes one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and getattr(request, FLAG, False):
            record.msg, record.args = "database unavailable: answered 503 to %s", (request.path,)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


class PoolWarnings(logging.Filter):
    """psycopg.pool warns at every failed attempt to connect (each probe, each of the pool's own
    retries) and at every broken connection it discards: during an outage a flood of lines for a
    cause the gate logs once ("database unavailable ...", then "database back after ..."). While
    the gate is down they are dropped; otherwise one of a kind per REPEAT_SECONDS is kept (a dropped
    database breaks every pooled connection at once, before the gate knows)."""

    REPEAT_SECONDS = 60.0

    def __init__(
        self, watched: DatabaseGate | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._gate = watched or gate
        self._clock = clock
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.levelno >= logging.ERROR:
            return True
        if self._gate.down:
            return False
        now, kind = self._clock(), str(record.msg)
        last = self._last.get(kind)
        if last is not None and now - last < self.REPEAT_SECONDS:
            return False
        self._last[kind] = now
        return True
