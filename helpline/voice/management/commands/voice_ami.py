"""Run the Asterisk Manager Interface connector: `python manage.py voice_ami` (ASTERISK_AMI_URL,
e.g. ami://user:secret@127.0.0.1:5038). Reconnects after the PBX restarts or the link drops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any
from urllib.parse import unquote, urlparse

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand, CommandError
from panoramisk import Manager

from helpline.channels.ami.adapter import EVENT_KINDS, to_call_event
from helpline.voice.services import EventRejected, voice_event

log = logging.getLogger("helpline.voice")


def manager_from_url(url: str, **extra: Any) -> Manager:
    parsed = urlparse(url)
    if parsed.scheme != "ami" or not parsed.hostname:
        raise CommandError("ASTERISK_AMI_URL must look like ami://user:secret@host:5038")
    return Manager(
        host=parsed.hostname,
        port=parsed.port or 5038,
        username=unquote(parsed.username or ""),
        secret=unquote(parsed.password or ""),
        ping_delay=10,
        ping_interval=10,
        reconnect_timeout=2,
        **extra,
    )


async def handle_event(manager: Any, message: Any) -> None:
    """Never let one bad event stop the connector: log it (without numbers) and carry on."""
    try:
        event = to_call_event(message)
        if event is not None:
            await sync_to_async(voice_event, thread_sensitive=True)(event)
    except EventRejected:
        log.warning("ami event skipped: %s could not be read", message.get("Event", "?"))
    except Exception:
        log.exception("ami event %s failed; the connector goes on", message.get("Event", "?"))


async def run(url: str, stop: asyncio.Event | None = None) -> None:
    manager = manager_from_url(url, loop=asyncio.get_running_loop())
    for name in EVENT_KINDS:
        manager.register_event(name, handle_event)
    delay = 1.0
    while True:  # the PBX may be down when we start: keep trying, as after a restart
        try:
            await manager.connect()
            break
        except OSError:
            log.warning("AMI not reachable; retrying in %.0f s", delay)
            if stop is not None and stop.is_set():
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
    try:
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        manager.close()


class Command(BaseCommand):
    help = "Follow the Asterisk queue over AMI and record every call as a contact."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default=os.environ.get("ASTERISK_AMI_URL", ""))

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["url"]:
            raise CommandError("set ASTERISK_AMI_URL (ami://user:secret@host:5038) or pass --url")
        self.stdout.write("Following the Asterisk queue over AMI (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run(options["url"]))
