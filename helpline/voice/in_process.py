"""Run the AMI connector inside the ASGI server when there is no shared channel layer (no
REDIS_URL): the in-memory layer only reaches sockets of its own process."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from helpline.voice.management.commands.voice_ami import run

log = logging.getLogger("helpline.voice")


def wanted() -> bool:
    return bool(os.environ.get("ASTERISK_AMI_URL")) and not os.environ.get("REDIS_URL")


async def lifespan(scope: Any, receive: Any, send: Any) -> None:
    task: asyncio.Task[None] | None = None
    stop = asyncio.Event()
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if wanted():
                task = asyncio.ensure_future(run(os.environ["ASTERISK_AMI_URL"], stop))
                log.info("Asterisk connector running inside the server")
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            stop.set()
            if task is not None:
                try:
                    await asyncio.wait_for(task, timeout=5)
                except (TimeoutError, asyncio.CancelledError, Exception):
                    task.cancel()
            await send({"type": "lifespan.shutdown.complete"})
            return
