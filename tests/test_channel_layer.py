"""The single-process channel layer walks for expired messages and memberships at most once a
second, and still finds them."""

from __future__ import annotations

import asyncio
from unittest import mock

import pytest
from channels.exceptions import ChannelFull

from helpline.common import layers
from helpline.common.layers import ThrottledInMemoryChannelLayer


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_the_walk_for_expired_entries_runs_at_most_once_a_second() -> None:
    layer = ThrottledInMemoryChannelLayer()
    walks = []
    original = layers.InMemoryChannelLayer._clean_expired

    def counted(self: object) -> None:
        walks.append(1)
        original(self)

    async def scenario() -> None:
        await layer.group_add("g", "c.inmemory!a")
        with mock.patch.object(layers.InMemoryChannelLayer, "_clean_expired", counted):
            for _ in range(200):
                await layer.group_send("g", {"type": "x"})
                await layer.receive("c.inmemory!a")

    run(scenario())
    assert len(walks) == 1  # 400 calls within a second


def test_expired_messages_and_memberships_are_still_removed() -> None:
    layer = ThrottledInMemoryChannelLayer(expiry=1, group_expiry=1, capacity=2)
    now = [1000.0]

    async def scenario() -> None:
        with mock.patch("time.time", lambda: now[0]), mock.patch("time.monotonic", lambda: now[0]):
            await layer.group_add("g", "c.inmemory!a")
            await layer.send("c.inmemory!b", {"type": "old"})
            await layer.send("c.inmemory!b", {"type": "old"})
            with pytest.raises(ChannelFull):
                await layer.send("c.inmemory!b", {"type": "full"})
            now[0] += 5  # both messages and the membership have expired
            await layer.group_send("g", {"type": "after"})
            assert "c.inmemory!a" not in layer.groups.get("g", {})
            assert "c.inmemory!b" not in layer.channels
            await layer.send("c.inmemory!b", {"type": "new"})  # room again
            assert (await layer.receive("c.inmemory!b"))["type"] == "new"

    run(scenario())
