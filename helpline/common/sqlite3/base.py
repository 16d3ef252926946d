"""SQLite with the writers of one process queued on a lock of their own.

SQLite lets one writer in at a time. Every other writer that tries meanwhile sleeps in SQLite's
busy handler, waking at growing intervals (1, 2, 5 ... 100 ms) to try again; under a burst of
writes (a busy chat floor) those sleeps, not the work, make the slow answers. Writers in the same
process instead wait on a lock here and are woken the moment the previous transaction ends. Other
processes (the task worker) still meet at SQLite's own lock, as before.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.db.backends.sqlite3 import base

# How long a writer waits here for the writers before it (then, at most, SQLite's own busy timeout
# for another process's writer).
WAIT_SECONDS = 30.0

_writer = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer = False

    def _start_transaction_under_autocommit(self) -> None:
        # Transactions here begin IMMEDIATE (settings): each takes SQLite's write lock at BEGIN.
        if getattr(settings, "SQLITE_WRITER_QUEUE", True):
            if not _writer.acquire(timeout=WAIT_SECONDS):
                raise OperationalError("database is locked (waited for another writer in this process)")
            self._holds_writer = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            _writer.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()
