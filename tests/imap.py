"""A real IMAP server for tests: pymap with its in-memory backend, in a subprocess on a free port.
A test delivers mail into it with imaplib's APPEND, as a mail server would, and Helpline reads it
over IMAP as it reads the helpline's mailbox."""

from __future__ import annotations

import imaplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.servers import free_port

STARTUP_SECONDS = 20


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        with imaplib.IMAP4(self.host, self.port) as conn:
            conn.login(self.user, self.password)
            status, _data = conn.append(folder, None, None, raw)  # type: ignore[arg-type]
            assert status == "OK", status

    def unseen(self, folder: str = "INBOX") -> list[bytes]:
        with imaplib.IMAP4(self.host, self.port) as conn:
            conn.login(self.user, self.password)
            conn.select(folder)
            _status, data = conn.uid("SEARCH", None, "UNSEEN")  # type: ignore[arg-type]
            return (data[0] or b"").split()

    def django_settings(self) -> dict[str, Any]:
        return {
            "FEEDBACK_IMAP_HOST": self.host,
            "FEEDBACK_IMAP_PORT": self.port,
            "FEEDBACK_IMAP_SSL": False,
            "FEEDBACK_IMAP_USER": self.user,
            "FEEDBACK_IMAP_PASSWORD": self.password,
            "FEEDBACK_IMAP_FOLDER": "INBOX",
        }


@contextmanager
def imap_server(host: str = "127.0.0.1") -> Iterator[Mailbox]:
    port = free_port()
    pymap = Path(sys.executable).with_name("pymap")
    process = subprocess.Popen(
        [
            str(pymap),
            "--host",
            host,
            "--port",
            str(port),
            "--no-tls",
            "dict",
            "--demo-user",
            "feedback",
            "--demo-password",
            "imap-test-password",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                socket.create_connection((host, port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, "pymap exited at start"
                assert time.monotonic() < deadline, "pymap did not start listening"
                time.sleep(0.1)
        yield Mailbox(host=host, port=port, user="feedback", password="imap-test-password")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
