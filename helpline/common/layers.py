"""The channel layer of a single-process install (no Redis).

Channels' in-memory layer walks every channel and every group membership, looking for expired
messages, on each receive and each group send. Every open socket waits in receive, so with
hundreds of children's chats and consoles open the walk ran hundreds of times a second and took a
tenth of the server's time (measured with bench/chat.py). Expiry is counted in seconds (a message
waits `expiry` seconds, a membership `group_expiry`), so walking once a second finds the same
things at most a second later."""

from __future__ import annotations

import logging
import time

from channels.layers import InMemoryChannelLayer

CLEAN_EVERY_SECONDS = 1.0


class ThrottledInMemoryChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]  # channels is untyped
    _cleaned_at = -CLEAN_EVERY_SECONDS

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at < CLEAN_EVERY_SECONDS:
            return
        self._cleaned_at = now
        super()._clean_expired()


def layer_unavailable(exc: BaseException | None) -> bool:
    """Is this error the channel layer's server (Redis) being unreachable, rather than a fault of
    ours? channels-redis raises redis-py's connection and timeout errors; a refused or reset socket
    can also surface as the OSError beneath them."""
    if exc is None:
        return False
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # no Redis client installed: the in-memory layer cannot go away
        return False
    return isinstance(exc, RedisConnectionError | RedisTimeoutError | ConnectionError)


class LayerTaskNoise:
    """channels-redis leaves a clean-up task of its own failing when Redis goes away, and asyncio
    logs it ("Task exception was never retrieved") with a traceback, once per socket. The outage is
    logged once by the sockets (helpline.common.sockets); this one becomes a line without its
    traceback. Anything else asyncio says passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if record.name == "asyncio" and layer_unavailable(exc):
            record.msg, record.args = "channel layer task failed: %s", (type(exc).__name__,)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True
