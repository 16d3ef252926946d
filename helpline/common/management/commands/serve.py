"""Serve HTTP and websockets (uvicorn) together with the background workers and the scheduler;
Ctrl-C stops them all.

`serve` supervises its children: one that dies is started again after a back-off, while the others
keep running (the task worker itself waits out a database restart). Children end with `serve` even
when it is killed outright (see `helpline.common.supervise`), so no orphan keeps the port or a second
worker runs beside the next one.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from helpline.common import queues
from helpline.common.supervise import Child, Supervisor

SERVER_FIRST_START_SECONDS = 30.0


def server_argv(python: str, *, host: str, port: int, workers: int) -> list[str]:
    argv = [
        python,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-server-header",
        # No access log: webhook URLs carry a gateway secret, a child's number and their text.
        "--no-access-log",
        # Chat frames are a few hundred bytes: compressing them costs CPU on every frame and
        # a compressor's memory on every open socket, for next to no saving.
        "--ws-per-message-deflate",
        "false",
    ]
    if settings.BEHIND_PROXY:
        # The client's address (sign-in lockout, audit) comes from X-Forwarded-For only when the
        # connection is from a proxy we were told to trust; anyone else could forge it.
        argv += ["--proxy-headers", "--forwarded-allow-ips", ",".join(settings.TRUSTED_PROXIES)]
    else:
        # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: without a proxy, a client on
        # this machine (or a tunnel ending here) could pick its own address.
        argv.append("--no-proxy-headers")
    return argv


def worker_children(python: str) -> list[Child]:
    """A worker for the replies and emails, and one for report builds."""
    named = {queues.DEFAULT: "worker", queues.REPORTS: "report worker"}
    return [
        Child(named[queue], [python, "manage.py", "worker", "--interval", "1", "--queue-name", queue])
        for queue in queues.ALL
    ]


def answers(host: str, port: int) -> bool:
    """Whether something accepts connections on the port (an address that listens everywhere is
    asked on this machine's loopback)."""
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104  # nosec B104
    try:
        with socket.create_connection((target, port), timeout=0.2):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Run the ASGI server, the task worker and the scheduler until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1, help="server processes")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        children = [
            Child(
                "server",
                server_argv(python, host=options["host"], port=options["port"], workers=options["workers"]),
                # A taken port or bad settings show within this on a busy machine; a server that dies
                # later is started again. (It waits out a database outage: nothing makes it exit then.)
                first_start_seconds=SERVER_FIRST_START_SECONDS,
            ),
            # Helpline's workers: django-tasks' db_worker that waits out a database outage, and never
            # runs in a reloader's child (which would outlive a signal to its parent). One per queue,
            # so a report being built never holds up a child's reply (helpline/common/queues.py).
            *worker_children(python),
            # Periodic work (offer expiry, chat sweeps) runs here, never in a page view. Its live
            # pushes reach the server's sockets through Redis (REDIS_URL) or, without it, through
            # the server's relay (helpline/common/live_relay.py).
            Child("scheduler", [python, "manage.py", "scheduler"]),
        ]
        # With Redis the connector runs as its own process; without it, inside the server (see
        # helpline/voice/in_process.py), so that its screen-pops reach the counsellors' sockets.
        if os.environ.get("ASTERISK_AMI_URL") and os.environ.get("REDIS_URL"):
            children.append(Child("voice connector", [python, "manage.py", "voice_ami"]))
        supervisor = Supervisor(children, log=self.stderr.write)

        def stop(signum: int, frame: Any) -> None:
            supervisor.stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        supervisor.start_all()
        url = f"http://{options['host']}:{options['port']}/"
        # The server loads the segmenter and builds the triage model before it listens (15 s or
        # more on a small machine): "serving" only once the page would open, not a refused connection.
        self.stdout.write(f"Helpline is starting on {url}: it answers in a few seconds (Ctrl-C stops)")
        self.stdout.flush()  # seen at once in a log file too, not when the buffer fills
        announced = False
        try:
            while not supervisor.stopping:
                supervisor.tend(time.monotonic())
                if not announced and answers(options["host"], options["port"]):
                    self.stdout.write(f"Helpline is serving on {url} (Ctrl-C stops)")
                    self.stdout.flush()
                    announced = True
                time.sleep(0.5)
        finally:
            supervisor.stop_all()
