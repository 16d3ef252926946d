"""Child processes that are restarted when they die and that never outlive their supervisor.

Used by `manage.py serve`. A child that exits is started again after a back-off (1 s, doubling to
30 s, back to 1 s once it has stayed up a minute): a database restart makes the task worker exit,
and the helpline must come back by itself. A child that fails on its very first start (the port is
taken, the settings are wrong) stops everything instead, so the mistake is seen at once.

On Linux each child asks the kernel for SIGTERM when its parent dies (`PR_SET_PDEATHSIG`), so a
`kill -9` of the supervisor, or the out-of-memory killer, takes the children with it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess  # nosec B404  # serve's own children, fixed argv
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

PR_SET_PDEATHSIG = 1
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
# A child that has stayed up this long is healthy again: its next failure waits the first back-off.
SETTLED_SECONDS = 60.0
# A child that exits this soon after its very first start is misconfigured, not unlucky. A child may
# say how long its own start can take (the server's imports on a busy machine take longer than this).
FIRST_START_SECONDS = 5.0


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        # The parent may have died between fork and prctl: then nobody would send the signal.
        if os.getppid() != parent:
            os._exit(1)

    return preexec


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    first_start_seconds: float = FIRST_START_SECONDS
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    starts: int = 0
    backoff: float = FIRST_BACKOFF_SECONDS
    restart_at: float | None = None

    def start(self, now: float) -> None:
        # Fixed argv built by our own code, never from input.
        self.process = subprocess.Popen(list(self.argv), preexec_fn=_die_with_parent(os.getpid()))  # noqa: S603  # nosec B603
        self.started_at = now
        self.starts += 1
        self.restart_at = None


@dataclass
class Supervisor:
    children: list[Child]
    log: Callable[[str], object]
    stopping: bool = False
    exit_code: int = 0
    _clock: Callable[[], float] = field(default=time.monotonic)

    def start_all(self) -> None:
        now = self._clock()
        for child in self.children:
            child.start(now)

    def tend(self, now: float) -> None:
        """Notice children that exited and start them again when their back-off is over."""
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self.log(f"starting the {child.name} again")
                    child.start(now)
                continue
            if child.process is None or child.process.poll() is None:
                continue
            code = child.process.returncode
            up_for = now - child.started_at
            if child.starts == 1 and up_for < child.first_start_seconds:
                self.log(f"{child.name} could not start (exit {code}); stopping all")
                self.exit_code = code or 1
                self.stopping = True
                return
            if up_for >= SETTLED_SECONDS:
                child.backoff = FIRST_BACKOFF_SECONDS
            self.log(f"{child.name} stopped (exit {code}); starting it again in {child.backoff:.0f} s")
            child.restart_at = now + child.backoff
            child.backoff = min(child.backoff * 2, MAX_BACKOFF_SECONDS)

    def stop_all(self, timeout: float = 10) -> None:
        running = [c.process for c in self.children if c.process is not None and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = self._clock() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - self._clock()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self.exit_code:
            raise SystemExit(self.exit_code)
