"""Who hears which live event: queue changes reach every console; changes inside a held
conversation reach its holder and the supervisors only; state changes reach the contact's group."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from helpline.common import live


def listen(groups: dict[str, list[str]], action: Any) -> dict[str, list[dict[str, Any]]]:
    """Subscribe one channel per name to its groups, run `action` (sync), and collect what each got."""
    layer = get_channel_layer()
    assert layer is not None

    async def scenario() -> dict[str, list[dict[str, Any]]]:
        channels = {name: await layer.new_channel() for name in groups}
        for name, names in groups.items():
            for group in names:
                await layer.group_add(group, channels[name])
        # As a request or socket handler runs: on a thread called from the server's loop, so the
        # pushes take the same hand-off to the loop as in production.
        await sync_to_async(action, thread_sensitive=False)()
        got: dict[str, list[dict[str, Any]]] = {name: [] for name in groups}
        for name, channel in channels.items():
            while True:
                try:
                    got[name].append(await asyncio.wait_for(layer.receive(channel), 0.2))
                except TimeoutError:
                    break
        for name, names in groups.items():
            for group in names:
                await layer.group_discard(group, channels[name])
        return got

    return async_to_sync(scenario)()


def test_a_message_in_a_held_conversation_reaches_only_its_holder_and_supervisors() -> None:
    holder, other, contact = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    got = listen(
        {
            "holder": [live.CONSOLE_GROUP, live.staff_group(holder)],
            "other": [live.CONSOLE_GROUP, live.staff_group(other)],
            "supervisor": [live.SUPERVISORS_GROUP],
        },
        lambda: live.contact_changed(contact, reason="message", holder=holder),
    )
    assert [e["contact"] for e in got["holder"]] == [str(contact)]
    assert got["other"] == []
    assert [e["reason"] for e in got["supervisor"]] == ["message"]


def test_queue_changes_and_unheld_messages_reach_every_console() -> None:
    contact = uuid.uuid4()

    def changes() -> None:
        live.contact_changed(contact, reason="message")  # waiting: nobody holds it yet
        live.contact_changed(contact, reason="taken")

    got = listen(
        {"a": [live.CONSOLE_GROUP], "b": [live.CONSOLE_GROUP], "child": [live.contact_group(contact)]},
        changes,
    )
    assert [e["reason"] for e in got["a"]] == ["message", "taken"]
    assert [e["reason"] for e in got["b"]] == ["message", "taken"]
    assert [e["reason"] for e in got["child"]] == ["taken"]  # the child learns of the answer only
