"""Django's PostgreSQL backend with its connection pool made to live through a database restart.

Django's pool (psycopg_pool) reconnects by itself, but as it stands an outage costs every request
the pool's whole timeout (20 s) and, once the database is back, retries scheduled with a doubling
delay can leave the pool empty for minutes. Here:

* every connection handed out is checked first (a connection the server dropped is replaced, not
  given to a request that would fail on it);
* each connection attempt tells the process's gate (helpline.common.outage) whether the database
  answered; while it is down, asking for a connection fails at once, but for one probe a second;
* a request waiting for a connection looks at the gate every WAIT_SLICE_SECONDS, so the requests
  already waiting when the database goes away fail within a second too;
* the pool gives up a failed reconnection after RECONNECT_SECONDS instead of five minutes, so that a
  connection is next attempted when someone needs one (the probe), not at a far-off scheduled time.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool, PoolTimeout

from helpline.common.outage import gate

WAIT_SLICE_SECONDS = 0.25
RECONNECT_SECONDS = 5.0


class DatabaseUnavailable(psycopg.OperationalError):
    """Not tried: the database failed moments ago (Django raises it as its OperationalError)."""


class ReportingConnection(psycopg.Connection[Any]):
    """A connection that tells the gate whether the database answered when it was opened."""

    @classmethod
    def connect(cls, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            opened = super().connect(*args, **kwargs)
        except psycopg.OperationalError as exc:
            gate.failed(type(exc).__name__)
            raise
        gate.succeeded()
        return opened


class GatedPool(ConnectionPool[Any]):
    def getconn(self, timeout: float | None = None) -> Any:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if not gate.may_try():
                raise DatabaseUnavailable("the database is unavailable (it failed moments ago)")
            left = deadline - time.monotonic()
            try:
                connection = super().getconn(max(0.001, min(WAIT_SLICE_SECONDS, left)))
            except PoolTimeout:
                if left <= WAIT_SLICE_SECONDS:
                    raise
                continue
            gate.succeeded()
            return connection


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> Any:
        # Django's own property, building a GatedPool with the options above.
        options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not options:
            return None
        pools: dict[str, Any] = self._connection_pools  # type: ignore[attr-defined]  # Django's, shared
        if self.alias not in pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # as Django's: it sets autocommit itself later
            pool = GatedPool(
                kwargs=connect_kwargs,
                open=False,
                configure=self._configure_connection,  # type: ignore[attr-defined]
                check=ConnectionPool.check_connection,
                connection_class=ReportingConnection,
                reconnect_timeout=RECONNECT_SECONDS,
                **({} if options is True else options),
            )
            pools.setdefault(self.alias, pool)
        return pools[self.alias]
