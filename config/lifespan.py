"""The server process's start and stop (the ASGI lifespan): what must be ready before the first
request is built here; while the server runs, this process holds the sockets, so it relays the
live events other processes stored when the channel layer is in memory (the worker's "sent", the
scheduler's offers: helpline.common.live_relay) and runs the Asterisk connector
(helpline.voice.in_process)."""

from __future__ import annotations

import asyncio
from typing import Any

from helpline.common import live_relay
from helpline.contacts.search_text import words
from helpline.routing import context
from helpline.voice.in_process import lifespan as voice_lifespan


def _prepare() -> None:
    # khmer-nltk's segmenter loads its model on first use (a second or two): every inbound Khmer
    # message needs it, so the first one should not wait for it, nor share the CPU with it.
    words("សួស្ដី")
    context.prepare()


async def lifespan(scope: Any, receive: Any, send: Any) -> None:
    async def receive_prepared() -> Any:
        message = await receive()
        if message["type"] == "lifespan.startup":
            # uvicorn listens only once startup completes: nothing is answered half-ready.
            await asyncio.to_thread(_prepare)
        return message

    relay = live_relay.start()
    try:
        await voice_lifespan(scope, receive_prepared, send)
    finally:
        await live_relay.stop(relay)
