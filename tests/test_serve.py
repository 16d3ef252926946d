"""`manage.py serve` as it runs on a helpline's machine: a real process tree on a free port.

Its children die with it (kill -9 leaves nothing behind), a child that dies is started again while
the server keeps answering, forwarded headers are believed only from a configured proxy, and the
chat socket's log line carries no address.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.servers import PROJECT_DIR, free_port, log_tail, manage, server_env, wait_until_healthy


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path
    env: dict[str, str]


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (children of children included)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: the fields after it are fixed.
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def worker_pids(serve: Served, queue: str = "") -> set[int]:
    """serve's workers, or the one for `queue` (each queue has its own)."""
    wanted = f"manage.py worker --interval 1 --queue-name {queue}" if queue else "manage.py worker"
    return {pid for pid in descendants(serve.process.pid) if wanted in command_line(pid)}


def scheduler_pids(serve: Served) -> set[int]:
    return {pid for pid in descendants(serve.process.pid) if "manage.py scheduler" in command_line(pid)}


@contextmanager
def serving(tmp_path: Path, **extra: str) -> Iterator[Served]:
    env = server_env(tmp_path / "data", extra)
    (tmp_path / "data").mkdir(exist_ok=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(process, f"http://127.0.0.1:{port}", port, log, env)
    try:
        wait_until_healthy(served.url, process, log)
        yield served
    finally:
        left = descendants(process.pid)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for pid in left:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def wait_for(predicate: object, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s\n{log_tail(log)}")


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_kill_9_of_serve_leaves_no_process_and_frees_the_port(tmp_path: Path) -> None:
    with serving(tmp_path) as serve:
        wait_for(lambda: worker_pids(serve), 20, "the worker runs", serve.log)
        wait_for(lambda: scheduler_pids(serve), 20, "the scheduler runs", serve.log)
        tree = descendants(serve.process.pid)
        assert len(tree) >= 4  # the server, two workers and the scheduler at least
        # A child in a chat holds a socket open: the server must not wait for it to go.
        with connect(f"ws://127.0.0.1:{serve.port}/ws/chat/", origin=serve.url) as chat:
            chat.send(json.dumps({"type": "start", "language": "km"}))
            assert json.loads(chat.recv(timeout=10))["type"] == "started"
            serve.process.send_signal(signal.SIGKILL)
            serve.process.wait(timeout=5)
            wait_for(lambda: not any(alive(pid) for pid in tree), 20, "every child of serve ended", serve.log)
        assert port_free(serve.port)


def test_a_worker_that_dies_is_started_again_and_the_server_keeps_answering(tmp_path: Path) -> None:
    with serving(tmp_path) as serve:
        wait_for(lambda: len(worker_pids(serve)) == 2, 20, "both workers run", serve.log)
        (first,) = worker_pids(serve, "default")
        (reports,) = worker_pids(serve, "reports")
        time.sleep(6)  # past the first-start window, in which a failure stops everything
        os.kill(first, signal.SIGKILL)
        with urllib.request.urlopen(serve.url + "/healthz", timeout=5) as response:
            assert response.status == 200
        wait_for(lambda: worker_pids(serve, "default") - {first}, 20, "a new worker started", serve.log)
        assert serve.process.poll() is None
        assert worker_pids(serve, "reports") == {reports}  # the other worker ran on
        assert "worker stopped (exit -9); starting it again in 1 s" in serve.log.read_text()
        # The worker started again dies with serve too.
        tree = descendants(serve.process.pid)
        assert worker_pids(serve) <= tree
        serve.process.send_signal(signal.SIGKILL)
        serve.process.wait(timeout=5)
        wait_for(lambda: not any(alive(pid) for pid in tree), 20, "every child of serve ended", serve.log)
        assert port_free(serve.port)


def test_serve_stops_at_once_when_its_port_is_taken(tmp_path: Path) -> None:
    env = server_env(tmp_path / "data", {})
    (tmp_path / "data").mkdir()
    manage(env, "migrate", "--noinput", "-v", "0")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert "server could not start" in result.stderr


def sign_in_attempt(url: str, username: str, forwarded_for: str) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(url + "/accounts/sign-in/", timeout=10) as page:
        token_match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
    assert token_match
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token_match.group(1), "username": username, "password": "not the password!"}
    ).encode()
    request = urllib.request.Request(
        url + "/accounts/sign-in/",
        data=body,
        headers={"X-Forwarded-For": forwarded_for, "Referer": url + "/accounts/sign-in/"},
    )
    try:
        with opener.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_forged_forwarded_for_does_not_escape_the_sign_in_lockout(tmp_path: Path) -> None:
    with serving(tmp_path) as serve:
        codes = [sign_in_attempt(serve.url, "counsellor", f"203.0.113.{n}") for n in range(1, 8)]
    # The fifth failure from one address locks that name out, whatever address each claimed to be.
    assert codes == [400, 400, 400, 400, 429, 429, 429]


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        ("10.0.0.2", [400, 400, 400, 400, 429, 429]),  # we are not that proxy: the header is ignored
        ("127.0.0.1", [400] * 6),  # we are the proxy: each forwarded address is its own client
    ],
    ids=["from an address that is not the proxy", "from the trusted proxy"],
)
def test_behind_a_proxy_forwarded_for_is_believed_only_from_that_proxy(
    tmp_path: Path, trusted: str, expected: list[int]
) -> None:
    extra = {"HELPLINE_BEHIND_PROXY": "1", "HELPLINE_TRUSTED_PROXIES": trusted}
    with serving(tmp_path, **extra) as serve:
        codes = [sign_in_attempt(serve.url, "counsellor", f"203.0.113.{n}") for n in range(1, 7)]
    assert codes == expected


def test_the_chat_socket_log_line_has_no_address(tmp_path: Path) -> None:
    with serving(tmp_path) as serve:
        with connect(f"ws://127.0.0.1:{serve.port}/ws/chat/", origin=serve.url) as chat:
            chat.close()
        wait_for(
            lambda: '"WebSocket /ws/chat/"' in serve.log.read_text(), 10, "the socket is logged", serve.log
        )
        lines = [line for line in serve.log.read_text().splitlines() if "WebSocket /ws/chat/" in line]
    assert lines
    for line in lines:
        assert "127.0.0.1" not in line, line


def test_proxy_headers_are_passed_only_behind_a_proxy(settings: pytest.FixtureRequest) -> None:
    from helpline.common.management.commands.serve import server_argv

    settings.BEHIND_PROXY = False  # type: ignore[attr-defined]
    argv = server_argv("python", host="127.0.0.1", port=8000, workers=1)
    assert "--no-proxy-headers" in argv and "--proxy-headers" not in argv
    settings.BEHIND_PROXY = True  # type: ignore[attr-defined]
    settings.TRUSTED_PROXIES = ["10.0.0.2", "10.0.0.3"]  # type: ignore[attr-defined]
    argv = server_argv("python", host="127.0.0.1", port=8000, workers=1)
    assert argv[argv.index("--proxy-headers") + 1 :][:2] == ["--forwarded-allow-ips", "10.0.0.2,10.0.0.3"]


def test_triage_is_ready_before_the_server_listens(tmp_path: Path) -> None:
    """The second scorer is built and the Khmer segmenter loaded during startup: the first
    message is not scored without it, nor slowed by its building."""
    with serving(tmp_path) as served:
        log = served.log.read_text()
        ready = log.find("second triage scorer ready")
        listening = log.find("Uvicorn running on")
        assert 0 <= ready < listening, log_tail(served.log)


def test_serving_is_announced_once_the_port_answers(tmp_path: Path) -> None:
    """The server listens only after its warm-up: 'serving on' said before that sent people to a
    refused connection."""
    with serving(tmp_path) as served:
        deadline = time.monotonic() + 10  # serve looks at the port twice a second
        while "is serving on" not in served.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        log = served.log.read_text()
        # The scorer is built before the server binds its port (the test above), so an
        # announcement after it came after the warm-up.
        starting, warmed_up, announced = (
            log.find("is starting on"),
            log.find("second triage scorer ready"),
            log.find("is serving on"),
        )
        assert 0 <= starting < warmed_up < announced, log_tail(served.log)


def test_a_port_is_said_to_answer_only_while_something_listens() -> None:
    from helpline.common.management.commands.serve import answers

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert answers("127.0.0.1", port)
        assert answers("0.0.0.0", port)  # noqa: S104 - listening everywhere is asked on loopback
    assert not answers("127.0.0.1", port)
