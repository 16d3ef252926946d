"""Serve HTTP and websockets (uvicorn) together with the background worker; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the ASGI server and the task worker until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1, help="server processes")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        commands = [
            [
                python,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                options["host"],
                "--port",
                str(options["port"]),
                "--workers",
                str(options["workers"]),
                "--no-server-header",
                "--proxy-headers",
                # No access log: webhook URLs carry a gateway secret, a child's number and their text.
                "--no-access-log",
                # Chat frames are a few hundred bytes: compressing them costs CPU on every frame and
                # a compressor's memory on every open socket, for next to no saving.
                "--ws-per-message-deflate",
                "false",
            ],
            [python, "manage.py", "db_worker", "--interval", "1"],
        ]
        names = ["server", "worker"]
        # With Redis the connector runs as its own process; without it, inside the server (see
        # helpline/voice/in_process.py), so that its screen-pops reach the counsellors' sockets.
        if os.environ.get("ASTERISK_AMI_URL") and os.environ.get("REDIS_URL"):
            commands.append([python, "manage.py", "voice_ami"])
            names.append("voice connector")
        children = [subprocess.Popen(cmd) for cmd in commands]  # noqa: S603 (fixed argv)
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(f"Helpline is serving on {url} (Ctrl-C stops)")
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, child in zip(names, children, strict=True):
                    if child.poll() is not None:
                        self.stderr.write(f"{name} stopped (exit {child.returncode}); stopping all")
                        exit_code = child.returncode or 1
                        stopping = True
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        if exit_code:
            raise SystemExit(exit_code)
