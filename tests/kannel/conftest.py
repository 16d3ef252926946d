"""A real SMS gateway in front of a real Helpline, all on free ports on 127.0.0.1 for one session:

    fakesmsc ──► bearerbox (smsc = fake) ──► smsbox ──get-url──► LostAckProxy ──► Helpline (uvicorn)
        ▲                                      ▲                                     │
        └──────────── MT + delivery reports ◄──┴──── sendsms ◄── db_worker (outbox) ◄┘

Debian's kannel and kannel-extras provide bearerbox, smsbox and fakesmsc (`make system-deps-sms`).
fakesmsc runs once for the whole session in its interactive mode (no message on its command line):
each line written to its stdin is injected as one MO message, and every MT message bearerbox hands
it is printed as `Got message N: <from to type data>`, which FakeSmsc parses back into text.

The proxy between smsbox and Helpline relays every request; armed with `lose_ack_once(text)` it
lets Helpline receive and store that message but closes smsbox's connection without relaying the
answer, so smsbox (http-request-retry) delivers the same message, with the same %I id, again.

Tests read Helpline's own SQLite database read-only and run `manage.py shell -c` with the server's
environment; nothing is mocked.
"""

from __future__ import annotations

import http.client
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.servers import Children, HelplineServer, free_port, helpline_server, log_tail, wait_until_healthy

BEARERBOX = Path("/usr/sbin/bearerbox")
SMSBOX = Path("/usr/sbin/smsbox")
FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")
SHORT_CODE = "1280"
# Messages to this second short code are routed (smsbox-route) to a second smsbox configured
# exactly as README's recipe says, without mo-recode: see the readme_smsbox fixture.
README_SHORT_CODE = "1281"
STARTUP_SECONDS = 30
# fakesmsc reads interactive input with fgets() into a 256-byte buffer: a longer line would be cut
# into two messages.
FAKESMSC_LINE_MAX = 255

T = TypeVar("T")


def wait_for(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll `check` until it returns something truthy; fail the test with `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with status {process.returncode}:\n{log_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s:\n{log_tail(log)}")


# --- The proxy between smsbox's get-url and Helpline ------------------------------------------


@dataclass(frozen=True)
class ProxiedRequest:
    method: str
    path: str
    params: dict[str, list[str]]
    status: int | None  # Helpline's answer; None when Helpline could not be reached
    acknowledged: bool  # whether that answer was relayed to smsbox

    def param(self, name: str) -> str:
        values = self.params.get(name) or [""]
        return values[0]


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection"}


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.0"  # one request per connection: what smsbox sees is simple

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def _forward(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
        lose = proxy.take_loss(params)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=30)
        try:
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            status: int | None = response.status
            response_headers = response.getheaders()
        except OSError:
            status, data, response_headers = None, b"helpline unreachable", []
        finally:
            upstream.close()
        proxy.record(ProxiedRequest(self.command, self.path, params, status, acknowledged=not lose))
        if lose:
            # Helpline has the message; smsbox gets no answer at all (a lost acknowledgement).
            self.close_connection = True
            return
        self.send_response(status or 502)
        for name, value in response_headers:
            if name.lower() not in _HOP_BY_HOP | {"content-length", "server", "date"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    proxy: LostAckProxy

    def handle_error(self, request: Any, client_address: Any) -> None:
        # smsbox going away mid-answer (at teardown) is not worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class LostAckProxy:
    """Relays smsbox's requests to Helpline and records them; can lose one acknowledgement."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.proxy = self
        self.port = int(self._server.server_address[1])
        self._lock = threading.Lock()
        self._requests: list[ProxiedRequest] = []
        self._lose_for: set[str] = set()
        self._thread = threading.Thread(target=self._server.serve_forever, name="lost-ack-proxy", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def lose_ack_once(self, text: str) -> None:
        """The next request carrying this text reaches Helpline, but its answer never reaches smsbox."""
        with self._lock:
            self._lose_for.add(text)

    def take_loss(self, params: dict[str, list[str]]) -> bool:
        text = (params.get("text") or [""])[0]
        with self._lock:
            if text in self._lose_for:
                self._lose_for.discard(text)
                return True
        return False

    def record(self, request: ProxiedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self, text: str | None = None) -> list[ProxiedRequest]:
        with self._lock:
            found = list(self._requests)
        return [r for r in found if text is None or r.param("text") == text]


# --- fakesmsc ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmscMessage:
    """An MT message as fakesmsc printed it, decoded (concatenated parts joined)."""

    sender: str
    receiver: str
    kind: str  # "text", "ucs-2", "data", or "udh" for a message that came in concatenated parts
    text: str
    parts: int = 1


_GOT = re.compile(r"Got message (\d+): <(.*)>\s*$")
_SENT = re.compile(r"fakesmsc: sent message (\d+)")


def url_decoded(value: str) -> bytes:
    """Kannel's octstr_url_encode: %XX for most bytes, '+' for a space."""
    return urllib.parse.unquote_to_bytes(value.replace("+", "%20"))


def ucs2_percent(text: str) -> str:
    """Text as fakesmsc's `ucs2` type wants it: its UTF-16BE bytes, every one percent-encoded."""
    return "".join(f"%{b:02X}" for b in text.encode("utf-16-be"))


def _concatenation(udh: bytes) -> tuple[int, int, int] | None:
    """(reference, total, sequence) from a concatenation information element, if the UDH has one."""
    i = 1
    while i + 1 < len(udh):
        iei, length = udh[i], udh[i + 1]
        data = udh[i + 2 : i + 2 + length]
        if iei == 0x00 and length == 3:
            return data[0], data[1], data[2]
        if iei == 0x08 and length == 4:
            return (data[0] << 8) | data[1], data[2], data[3]
        i += 2 + length
    return None


def parse_fakesmsc_output(output: str) -> list[SmscMessage]:
    messages: list[SmscMessage] = []
    pending: dict[tuple[str, str, int], dict[int, bytes]] = {}
    for line in output.splitlines():
        match = _GOT.search(line)
        if not match:
            continue
        sender, receiver, kind, rest = [*match.group(2).split(" ", 3), "", "", "", ""][:4]
        if kind == "text":
            messages.append(SmscMessage(sender, receiver, kind, rest))
        elif kind == "ucs-2":
            messages.append(SmscMessage(sender, receiver, kind, url_decoded(rest).decode("utf-16-be")))
        elif kind == "data":
            messages.append(SmscMessage(sender, receiver, kind, url_decoded(rest).decode("latin-1")))
        elif kind == "udh":
            udh_encoded, _data, body = [*rest.split(" ", 2), "", ""][:3]
            udh, payload = url_decoded(udh_encoded), url_decoded(body)
            concat = _concatenation(udh)
            # Only Helpline's Khmer replies are long enough to be split in these tests, and Kannel
            # sends those as UCS-2: the joined parts are decoded as UTF-16BE.
            if concat is None:
                messages.append(SmscMessage(sender, receiver, kind, payload.decode("utf-16-be")))
                continue
            ref, total, seq = concat
            parts = pending.setdefault((sender, receiver, ref), {})
            parts[seq] = payload
            if len(parts) == total:
                joined = b"".join(parts[n] for n in sorted(parts))
                del pending[(sender, receiver, ref)]
                messages.append(SmscMessage(sender, receiver, kind, joined.decode("utf-16-be"), parts=total))
    return messages


class FakeSmsc:
    """One long-running fakesmsc in interactive mode: write a line, it becomes an MO message."""

    def __init__(self, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.process = process
        self.log_path = log_path
        self._sent = 0
        self._lock = threading.Lock()

    def output(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", errors="replace")

    def send_line(self, line: str, timeout: float = 10) -> None:
        encoded = line.encode("ascii") + b"\n"
        if b"\n" in encoded[:-1] or len(encoded) >= FAKESMSC_LINE_MAX:
            raise ValueError(f"fakesmsc takes one line under {FAKESMSC_LINE_MAX} bytes: {line!r}")
        with self._lock:
            assert self.process.stdin is not None
            self.process.stdin.write(encoded)
            self.process.stdin.flush()
            self._sent += 1
            expected = self._sent
            # One line at a time: fakesmsc select()s on the stdin descriptor, so a second line
            # already sitting in its stdio buffer would wait for the next write.
            wait_for(
                lambda: any(int(n) >= expected for n in _SENT.findall(self.output())),
                timeout,
                f"fakesmsc to send MO message {expected}",
                interval=0.02,
            )

    def send_text(self, sender: str, receiver: str, text: str) -> None:
        self.send_line(f"{sender} {receiver} text {text}")

    def send_ucs2(self, sender: str, receiver: str, text: str) -> None:
        self.send_line(f"{sender} {receiver} ucs2 {ucs2_percent(text)}")

    def received(self) -> list[SmscMessage]:
        return parse_fakesmsc_output(self.output())

    def wait_for_message(
        self, predicate: Callable[[SmscMessage], bool], timeout: float, what: str
    ) -> SmscMessage:
        def found() -> SmscMessage | None:
            return next((m for m in self.received() if predicate(m)), None)

        return wait_for(found, timeout, f"fakesmsc to receive {what}; it printed:\n{self.output()[-3000:]}")


# --- The whole stack --------------------------------------------------------------------------


@dataclass
class KannelStack:
    helpline: HelplineServer
    proxy: LostAckProxy
    smsc: FakeSmsc
    base: Path
    conf: Path
    admin_url: str
    admin_password: str
    smsbox_port: int
    get_url: str
    children: Children = field(repr=False)

    def status(self) -> str:
        query = urllib.parse.urlencode({"password": self.admin_password})
        try:
            with urllib.request.urlopen(f"{self.admin_url}/status.txt?{query}", timeout=3) as response:
                return str(response.read().decode("utf-8", errors="replace"))
        except (urllib.error.URLError, OSError) as exc:
            return f"(no status: {exc})"

    def stop_helpline(self) -> list[str]:
        """Stop Helpline's server (as a restart does) until nothing listens on its port; returns
        its command line, for start_helpline."""
        name, process = next(
            (n, p) for n, p, _log in self.children.started if n == "helpline server" and p.poll() is None
        )
        self.children.stop(process)

        def refused() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.helpline.port), timeout=1).close()
            except OSError:
                return True
            return False

        wait_for(refused, 15, f"the {name} to stop listening")
        return [str(arg) for arg in process.args]  # type: ignore[union-attr]

    def start_helpline(self, argv: list[str]) -> None:
        process = self.children.start("helpline server", argv, self.helpline.log_path, env=self.helpline.env)
        wait_until_healthy(self.helpline.url, process, self.helpline.log_path)

    def diagnostics(self) -> str:
        return "\n".join(
            [
                self.helpline.log_tail(30),
                f"--- bearerbox\n{log_tail(self.base / 'bearerbox.out', 20)}",
                f"--- smsbox\n{log_tail(self.base / 'smsbox.out', 20)}",
                f"--- fakesmsc\n{log_tail(self.smsc.log_path, 20)}",
                f"--- status\n{self.status()}",
            ]
        )


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_recipe() -> tuple[str, str]:
    """Helpline's Kannel recipe as README ("SMS") prints it: the settings of its `smsbox` group
    (retries while Helpline does not answer) and its `sms-service` group (every MO message to the
    webhook, no reply SMS of smsbox's own), with HOST and SECRET left in. Read from README itself,
    so what the tests run is what operators are told to run."""
    section = README.read_text().split("\n## SMS\n", 1)[1].split("\n## ", 1)[0]
    for block in re.findall(r"```\n(.*?)```", section, re.S):
        if "group = sms-service" in block and "group = smsbox" in block:
            smsbox, service = block.split("group = sms-service", 1)
            settings = smsbox.replace("group = smsbox", "").strip()
            return settings, "group = sms-service" + service
    raise AssertionError("README's SMS section has no Kannel recipe with smsbox and sms-service groups")


def readme_sms_service(get_url: str) -> str:
    """README's sms-service group, its HOST and SECRET filled in from a get-url of ours."""
    parts = urllib.parse.urlsplit(get_url)
    secret = urllib.parse.parse_qs(parts.query)["secret"][0]
    _settings, service = readme_recipe()
    filled = service.replace("HOST", parts.netloc).replace("SECRET", secret)
    assert f'get-url = "{get_url}"' in filled, "README's get-url must match the one the tests use"
    return '# Helpline\'s sms-service recipe from README, "SMS".\n' + filled


def kannel_conf(
    base: Path,
    *,
    admin_port: int,
    admin_password: str,
    smsbox_port: int,
    smsc_port: int,
    sendsms_port: int,
    username: str,
    password: str,
    get_url: str,
) -> str:
    return f"""# Generated by tests/kannel/conftest.py for one test session.
group = core
admin-port = {admin_port}
admin-interface = 127.0.0.1
admin-password = "{admin_password}"
admin-allow-ip = 127.0.0.1
smsbox-port = {smsbox_port}
smsbox-interface = 127.0.0.1
log-file = "{base}/bearerbox.log"
log-level = 1
access-log = "{base}/access.log"
dlr-storage = internal

# MO messages to {README_SHORT_CODE} go only to the smsbox that calls itself "readme" (readme_smsbox);
# every other MO message goes to the main smsbox, which has no smsbox-id.
group = smsbox-route
smsbox-id = readme
shortcode = "{README_SHORT_CODE}"

group = smsc
smsc = fake
smsc-id = fake
our-host = 127.0.0.1
port = {smsc_port}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = {sendsms_port}
sendsms-interface = 127.0.0.1
log-file = "{base}/smsbox.log"
log-level = 1
access-log = "{base}/smsbox-access.log"
# With mo-recode smsbox recodes a UCS-2 message (every Khmer text) to UTF-8 before calling
# get-url. Without it (README's recipe: the readme_smsbox fixture) the text arrives as UTF-16BE
# bytes with coding=2&charset=UTF-16BE; the tests cover both.
mo-recode = true
# A request that fails (no answer, connection lost, 5xx) is sent again, once a second, 3 times.
# (README's recipe, with its longer retries, is the readme_smsbox fixture's.)
http-request-retry = 3
http-queue-delay = 1

group = sendsms-user
username = "{username}"
password = "{password}"
# Replies longer than one SMS leave in concatenated parts instead of being cut at one.
max-messages = 10
concatenation = true

{readme_sms_service(get_url)}"""


@pytest.fixture(scope="session")
def kannel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KannelStack]:
    for binary in (BEARERBOX, SMSBOX, FAKESMSC):
        if not binary.exists():
            pytest.fail(f"{binary} is missing: run `make system-deps-sms` (as root) first")
    base = tmp_path_factory.mktemp("kannel")
    helpline_port, admin_port, smsbox_port, smsc_port, sendsms_port = (free_port() for _ in range(5))
    secret = secrets.token_urlsafe(24)
    username, password = "helpline", secrets.token_hex(12)
    admin_password = secrets.token_hex(12)
    proxy = LostAckProxy(helpline_port)
    proxy.start()
    children = Children()
    extra_env = {
        "HELPLINE_KANNEL_SECRET": secret,
        "HELPLINE_KANNEL_SENDSMS_URL": f"http://127.0.0.1:{sendsms_port}/cgi-bin/sendsms",
        "HELPLINE_KANNEL_USERNAME": username,
        "HELPLINE_KANNEL_PASSWORD": password,
        "HELPLINE_KANNEL_DLR_URL": f"http://127.0.0.1:{helpline_port}/hooks/sms/kannel/dlr",
        "HELPLINE_SMS_SHORT_CODES": f"{SHORT_CODE},{README_SHORT_CODE}",
    }
    get_url = (
        f"http://127.0.0.1:{proxy.port}/hooks/sms/kannel?secret={secret}"
        "&from=%p&to=%P&text=%a&id=%I&coding=%c&charset=%C"
    )
    conf = base / "kannel.conf"
    conf.write_text(
        kannel_conf(
            base,
            admin_port=admin_port,
            admin_password=admin_password,
            smsbox_port=smsbox_port,
            smsc_port=smsc_port,
            sendsms_port=sendsms_port,
            username=username,
            password=password,
            get_url=get_url,
        )
    )
    kannel_env = {"PATH": "/usr/sbin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    try:
        with helpline_server(
            base / "helpline", extra_env=extra_env, worker=True, port=helpline_port, children=children
        ) as helpline:
            # -v 1: info and up on stdout; the debug stream is only wanted from fakesmsc.
            bearerbox = children.start(
                "bearerbox", [str(BEARERBOX), "-v", "1", str(conf)], base / "bearerbox.out", env=kannel_env
            )
            wait_for_port(smsc_port, bearerbox, base / "bearerbox.out", STARTUP_SECONDS)
            wait_for_port(admin_port, bearerbox, base / "bearerbox.out", STARTUP_SECONDS)
            smsbox = children.start(
                "smsbox", [str(SMSBOX), "-v", "1", str(conf)], base / "smsbox.out", env=kannel_env
            )
            wait_for_port(sendsms_port, smsbox, base / "smsbox.out", STARTUP_SECONDS)
            fakesmsc = children.start(
                "fakesmsc",
                [str(FAKESMSC), "-H", "127.0.0.1", "-r", str(smsc_port), "-i", "0.01"],
                base / "fakesmsc.out",
                env=kannel_env,
                stdin=subprocess.PIPE,
            )
            stack = KannelStack(
                helpline=helpline,
                proxy=proxy,
                smsc=FakeSmsc(fakesmsc, base / "fakesmsc.out"),
                base=base,
                conf=conf,
                admin_url=f"http://127.0.0.1:{admin_port}",
                admin_password=admin_password,
                smsbox_port=smsbox_port,
                get_url=get_url,
                children=children,
            )

            def ready() -> bool:
                children.check_alive()
                status = stack.status()
                smsbox_online = re.search(r"smsbox:.*on-line", status) is not None
                return smsbox_online and re.search(r"fake\[fake\].*\(online", status) is not None

            wait_for(ready, STARTUP_SECONDS, "smsbox and fakesmsc to be on-line in bearerbox's status")
            yield stack
    finally:
        for _name, process, _log in children.started:
            if process.stdin is not None:
                process.stdin.close()
        children.stop_all()
        proxy.stop()


@pytest.fixture
def readme_smsbox(kannel: KannelStack) -> Iterator[Path]:
    """A second smsbox on the same bearerbox, set up exactly as README's recipe says (its smsbox
    settings, no mo-recode); it gets the MO messages to README_SHORT_CODE. Yields its log."""
    conf = kannel.base / "readme-smsbox.conf"
    log = kannel.base / "readme-smsbox.out"
    smsbox_settings, _service = readme_recipe()
    conf.write_text(
        f"""group = core
smsbox-port = {kannel.smsbox_port}

group = smsbox
smsbox-id = readme
bearerbox-host = 127.0.0.1
sendsms-port = {free_port()}
sendsms-interface = 127.0.0.1
log-file = "{kannel.base}/readme-smsbox.log"
log-level = 1
access-log = "{kannel.base}/readme-smsbox-access.log"
# README's smsbox settings:
{smsbox_settings}

{readme_sms_service(kannel.get_url)}"""
    )
    process = kannel.children.start(
        "readme smsbox",
        [str(SMSBOX), "-v", "1", str(conf)],
        log,
        env={"PATH": "/usr/sbin:/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    try:
        wait_for(
            lambda: process.poll() is None and re.search(r"smsbox:readme.*on-line", kannel.status()),
            STARTUP_SECONDS,
            f"the README smsbox to connect to bearerbox\n{log_tail(log)}",
        )
        yield log
    finally:
        kannel.children.stop(process)
