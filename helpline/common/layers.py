"""The channel layer of a single-process install (no Redis).

Channels' in-memory layer walks every channel and every group membership, looking for expired
messages, on each receive and each group send. Every open socket waits in receive, so with
hundreds of children's chats and consoles open the walk ran hundreds of times a second and took a
tenth of the server's time (measured with bench/chat.py). Expiry is counted in seconds (a message
waits `expiry` seconds, a membership `group_expiry`), so walking once a second finds the same
things at most a second later."""

from __future__ import annotations

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
