"""Real Helpline processes for tests that talk to it from outside: a uvicorn server (and, when
asked, the task worker) in subprocesses, on a free port, with their own SQLite data directory.

Used by the Kannel tests and the `simulate` command test. Nothing here touches the database
in-process; tests read Helpline's SQLite file read-only (`HelplineServer.query`) or run
`manage.py shell -c` with the server's environment (`HelplineServer.shell`).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

PROJECT_DIR = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 120  # a loaded 2-CPU machine took over 60 s to seed the demo and start

# Variables that would point a child at another database, channel layer or settings module
# (pytest-django sets the test settings in this process).
_INHERITED_DROP = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The parent's environment minus anything Helpline-specific, plus a development server on its
    own SQLite data directory (no demo mode: gateway secrets come from `extra`)."""
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED_DROP and not k.startswith("HELPLINE_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        HELPLINE_DEBUG="1",
        HELPLINE_HTTPS="0",
        HELPLINE_DATA_DIR=str(data_dir),
        HELPLINE_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def manage(env: Mapping[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args[:2])} failed (exit {result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def log_tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


@dataclass
class Children:
    """Subprocesses started for a test session, each logging to its own file; stopped in reverse."""

    started: list[tuple[str, subprocess.Popen[bytes], Path]] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str],
        cwd: Path = PROJECT_DIR,
        stdin: int = subprocess.DEVNULL,
    ) -> subprocess.Popen[bytes]:
        log = log_path.open("ab")
        self._logs.append(log)
        process = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT, stdin=stdin
        )
        self.started.append((name, process, log_path))
        return process

    def check_alive(self) -> None:
        for name, process, log_path in self.started:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with status {process.returncode}:\n{log_tail(log_path)}")

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 10) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def stop_all(self, timeout: float = 10) -> None:
        """Terminate everything at once (so slow shutdowns overlap), then kill what is left."""
        for _name, process, _log in reversed(self.started):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for _name, process, _log in reversed(self.started):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for log in self._logs:
            log.close()
        self._logs.clear()


@dataclass(frozen=True)
class HelplineServer:
    url: str
    port: int
    data_dir: Path
    env: dict[str, str]
    log_path: Path
    worker_log_path: Path | None

    @property
    def database(self) -> Path:
        return self.data_dir / "helpline.sqlite3"

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows from Helpline's own SQLite database, opened read-only."""
        with closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)) as db:
            return list(db.execute(sql, params).fetchall())

    def shell(self, code: str, timeout: float = 60) -> str:
        """Run Python in `manage.py shell -c` with the server's environment; its stdout."""
        return manage(self.env, "shell", "-c", code, timeout=timeout).stdout

    def log_tail(self, lines: int = 60) -> str:
        text = f"--- server log\n{log_tail(self.log_path, lines)}"
        if self.worker_log_path is not None:
            text += f"\n--- worker log\n{log_tail(self.worker_log_path, lines)}"
        return text


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with status {process.returncode} before answering /healthz:\n"
                + log_tail(log_path)
            )
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200 and json.loads(response.read()).get("status") == "ok":
                    return
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last_error = exc
        time.sleep(0.1)
    raise RuntimeError(
        f"the server did not answer /healthz within {STARTUP_SECONDS}s ({last_error}):\n" + log_tail(log_path)
    )


@contextmanager
def helpline_server(
    base: Path,
    *,
    extra_env: Mapping[str, str] | None = None,
    worker: bool = False,
    port: int | None = None,
    children: Children | None = None,
) -> Iterator[HelplineServer]:
    """Migrate a fresh SQLite data dir under `base`, then run uvicorn (and the db_worker when
    `worker`) until the block ends. With `children`, the caller owns the processes' shutdown."""
    data_dir = base / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = server_env(data_dir, extra_env)
    manage(env, "migrate", "--noinput", "-v", "0")
    own = children is None
    procs = children if children is not None else Children()
    server = HelplineServer(
        url=url,
        port=port,
        data_dir=data_dir,
        env=env,
        log_path=base / "server.log",
        worker_log_path=base / "worker.log" if worker else None,
    )
    try:
        process = procs.start(
            "helpline server",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-server-header",
            ],
            server.log_path,
            env=env,
        )
        if worker and server.worker_log_path is not None:
            procs.start(
                "task worker",
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--interval",
                    "0.2",
                    "--no-reload",  # DEBUG turns the autoreloader on; its child would outlive terminate()
                    "--no-startup-delay",
                ],
                server.worker_log_path,
                env=env,
            )
        wait_until_healthy(url, process, server.log_path)
        yield server
    finally:
        if own:
            procs.stop_all()
