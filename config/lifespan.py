"""The server process's start and stop (the ASGI lifespan): what must be ready before the first
request is built here, then the Asterisk connector starts (helpline.voice.in_process)."""

from __future__ import annotations

import asyncio
from typing import Any

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

    await voice_lifespan(scope, receive_prepared, send)
