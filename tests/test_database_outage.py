"""A PostgreSQL outage against the real thing: `manage.py serve` (server, worker, AMI connector inside
the server) on a database of its own, reached through a TCP proxy, while this test takes the database
away three ways: its backends terminated (a failover, an administrator), connections refused
(`ALLOW_CONNECTIONS false`, which refuses even superusers, then every backend terminated), and the
server gone (the proxy stops: "connection refused", as while PostgreSQL restarts).

While it is away: /readyz, signed-in pages, the API and every webhook answer 503 within a second, in
plain words and without a traceback; the chat socket tells the child in Khmer that the helpline is
reconnecting. Within seconds of its return all of it answers again, and every SMS and call the
gateways sent again (as they do after a 503) is stored exactly once.

PostgreSQL only (SQLite has no server to lose); CI's `DATABASE_URL=postgres://... make test` runs it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests import ami_scenarios as sc
from tests.ami_server import ThreadedAMIServer
from tests.servers import PROJECT_DIR, free_port, log_tail, manage, server_env, wait_until_healthy
from tests.tcp_proxy import TcpProxy

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="a PostgreSQL outage needs PostgreSQL (DATABASE_URL=postgres://...)",
)

KANNEL_SECRET = "outage-kannel-secret"
TWILIO_TOKEN = "outage-twilio-token"
VOICE_SECRET = "outage-voice-secret"
FAST = 1.0  # seconds: a 503 within this, not after the pool's 20 s
RECOVERY = 30.0  # seconds after the database returns


@dataclass
class Helpline:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    database: str
    direct_url: str
    proxy: TcpProxy
    pbx: ThreadedAMIServer
    session_cookie: str
    api_token: str

    def tail(self) -> str:
        return log_tail(self.log, 80)


def _admin() -> Any:
    import psycopg

    return psycopg.connect(_database_url("postgres"), autocommit=True)


def _sql(statement: str, *args: Any) -> list[tuple[Any, ...]]:
    with _admin() as db:
        cursor = db.execute(statement, args)  # type: ignore[arg-type]
        return list(cursor.fetchall()) if cursor.description else []


def _terminate(database: str) -> int:
    rows = _sql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s "
        "AND pid <> pg_backend_pid()",
        database,
    )
    return int(rows[0][0])


def _query(helpline: Helpline, statement: str, *args: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(helpline.direct_url, autocommit=True) as db:
        return list(db.execute(statement, args).fetchall())  # type: ignore[arg-type]


def _database_url(name: str, port: int | None = None) -> str:
    parts = urllib.parse.urlsplit(DATABASE_URL)
    netloc = parts.netloc if port is None else f"{parts.username or 'postgres'}@127.0.0.1:{port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, "/" + name, "", ""))


SETUP = """
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from helpline.accounts.models import Role
from helpline.accounts.services import api_token_create
from tests.factories import persona
staff = persona(Role.SUPERVISOR, username="supervisor")
client = Client()
client.force_login(staff)
session = client.session
session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=staff, confirmed=True).persistent_id
session.save()
_token, raw = api_token_create(staff, name="outage test", scopes=["me"])
print("OUTAGE-TEST", session.session_key, raw)
"""


@pytest.fixture(scope="module")
def helpline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Helpline]:
    base = tmp_path_factory.mktemp("outage")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = urllib.parse.urlsplit(DATABASE_URL).path.lstrip("/") + "_outage" + (f"_{worker}" if worker else "")
    if _sql("SELECT 1 FROM pg_database WHERE datname = %s", name):  # left by a run that was killed
        _sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        _terminate(name)
        _sql(f'DROP DATABASE "{name}"')
    _sql(f'CREATE DATABASE "{name}"')
    direct = _database_url(name)
    with (
        TcpProxy("127.0.0.1", urllib.parse.urlsplit(DATABASE_URL).port or 5432) as proxy,
        ThreadedAMIServer() as pbx,
    ):
        env = server_env(
            base / "data",
            {
                "DATABASE_URL": direct,
                "HELPLINE_DEMO": "1",  # replies "sent" by the demo stand-in: the worker's work shows
                "HELPLINE_KANNEL_SECRET": KANNEL_SECRET,
                "HELPLINE_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "HELPLINE_VOICE_SECRET": VOICE_SECRET,
                "HELPLINE_DB_POOL_SIZE": "4",
            },
        )
        (base / "data").mkdir()
        manage(env, "migrate", "--noinput", "-v", "0")
        output = manage(env, "shell", "-c", SETUP).stdout
        _mark, session_key, token = next(
            line for line in output.splitlines() if line.startswith("OUTAGE")
        ).split()
        env["DATABASE_URL"] = _database_url(name, proxy.port)
        env["ASTERISK_AMI_URL"] = pbx.url
        port = free_port()
        log = base / "serve.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--port", str(port)],
                cwd=PROJECT_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        running = Helpline(
            f"http://127.0.0.1:{port}", port, process, log, name, direct, proxy, pbx, session_key, token
        )
        try:
            wait_until_healthy(running.url, process, log)
            pbx.wait_for_logins(1, timeout=30)
            yield running
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            _sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            _terminate(name)
            _sql(f'DROP DATABASE IF EXISTS "{name}"')


# --- what gateways, browsers and the API send -------------------------------------------------------------


@dataclass
class Answer:
    status: int
    seconds: float
    body: str
    headers: dict[str, str]


def request(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None
) -> Answer:
    started = time.monotonic()
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, body, got = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, body, got = error.code, error.read(), dict(error.headers)
    headers_lower = {name.lower(): value for name, value in got.items()}
    return Answer(status, time.monotonic() - started, body.decode("utf-8", "replace"), headers_lower)


def readyz(h: Helpline) -> Answer:
    return request(h.url + "/readyz")


def page(h: Helpline, language: str | None = None) -> Answer:
    cookie = f"helpline_session={h.session_cookie}" + (f"; helpline_language={language}" if language else "")
    return request(h.url + "/contacts/", headers={"Cookie": cookie})


def api(h: Helpline) -> Answer:
    return request(h.url + "/api/v1/me", headers={"Authorization": f"Bearer {h.api_token}"})


def kannel(h: Helpline, message_id: str) -> Answer:
    sender = f"85512{int(hashlib.sha256(message_id.encode()).hexdigest(), 16) % 10**6:06d}"  # one each
    query = urllib.parse.urlencode(
        {"secret": KANNEL_SECRET, "from": sender, "to": "1280", "id": message_id, "text": "សួស្តី"}
    )
    return request(f"{h.url}/hooks/sms/kannel?{query}")


def kannel_report(h: Helpline) -> Answer:
    query = urllib.parse.urlencode({"secret": KANNEL_SECRET, "msg": str(uuid.uuid4()), "type": "1"})
    return request(f"{h.url}/hooks/sms/kannel/dlr?{query}")


def twilio(h: Helpline, sid: str) -> Answer:
    from twilio.request_validator import RequestValidator

    url = h.url + "/hooks/sms/twilio"
    sender = f"+85516{int(hashlib.sha256(sid.encode()).hexdigest(), 16) % 10**6:06d}"
    form = {"From": sender, "To": "1280", "MessageSid": sid, "Body": "hello", "AccountSid": "AC1"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
    return request(url, data=urllib.parse.urlencode(form).encode(), headers=headers)


def voice(h: Helpline, event: dict[str, Any]) -> Answer:
    body = json.dumps(event).encode()
    signature = "sha256=" + hmac.new(VOICE_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Helpline-Signature": signature, "Content-Type": "application/json"}
    return request(h.url + "/hooks/voice/events", data=body, headers=headers)


def voice_call(call_id: str, caller: str) -> list[dict[str, Any]]:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    at = lambda seconds: (start + dt.timedelta(seconds=seconds)).isoformat()  # noqa: E731
    common = {"call_id": call_id, "caller": caller, "queue": "1280"}
    return [
        {**common, "event": "join", "time": at(0)},
        {**common, "event": "connect", "time": at(9), "agent": "1001", "hold": 9},
        {**common, "event": "complete", "time": at(129), "agent": "1001", "hold": 9, "talk": 120},
    ]


def chat_start(h: Helpline) -> tuple[list[dict[str, Any]], int | None]:
    """Start a chat as the widget does; the frames until the first answer, and the close code if it
    closed."""
    frames: list[dict[str, Any]] = []
    with connect(f"ws://127.0.0.1:{h.port}/ws/chat/", origin=h.url, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "start", "language": "km", "nickname": "", "age": 12}))
        try:
            while True:
                frame = json.loads(socket.recv(timeout=10))
                frames.append(frame)
                if frame["type"] == "started":
                    socket.send(json.dumps({"type": "message", "id": "m1", "text": "សួស្តី"}))
                if frame["type"] == "ack":
                    return frames, None
        except ConnectionClosed as closed:
            return frames, closed.rcvd.code if closed.rcvd else None


def staff_socket(h: Helpline) -> str | int:
    """The console's live socket: its first frame's type, or the HTTP status its handshake got."""
    headers = {"Cookie": f"helpline_session={h.session_cookie}"}
    try:
        with connect(
            f"ws://127.0.0.1:{h.port}/ws/staff/", origin=h.url, additional_headers=headers
        ) as socket:
            return str(json.loads(socket.recv(timeout=10))["type"])
    except InvalidStatus as refused:
        return int(refused.response.status_code)


def until(check: Callable[[], bool], seconds: float, what: str, h: Helpline) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s\n{h.tail()}")


def children(h: Helpline) -> dict[str, int]:
    """serve's children by command line (the server, each worker, the scheduler), from /proc: a
    restarted child has a new pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if parent == h.process.pid:
            found[command] = int(entry.name)
    return found


def assert_plain_503(answer: Answer, *, json_body: bool = False) -> None:
    assert answer.status == 503, answer
    assert answer.seconds < FAST, answer.seconds
    assert "Traceback" not in answer.body and "OperationalError" not in answer.body, answer.body[:400]
    assert answer.headers.get("retry-after") == "5"
    if json_body:
        assert json.loads(answer.body)["detail"]


# --- the outages -------------------------------------------------------------------------------------------


def test_everything_answers_before_the_outage(helpline: Helpline) -> None:
    h = helpline
    assert readyz(h).status == 200 and page(h).status == 200 and api(h).status == 200
    assert staff_socket(h) == "hello" and kannel(h, "before-1").status == 200
    call, blocks = sc.Renderer().render(sc.ANSWERED)
    h.pbx.send(blocks)
    until(lambda: _calls(h, call.uniqueid) == 1, 10, "the PBX's call is stored", h)


def _calls(h: Helpline, call_id: str) -> int:
    return int(_query(h, "SELECT count(*) FROM voice_voicecall WHERE call_id = %s", call_id)[0][0])


def test_terminated_backends_are_replaced_without_a_single_error(helpline: Helpline) -> None:
    """A failover or an administrator ends every connection; the database still accepts new ones."""
    h = helpline
    before = children(h)
    for _ in range(2):  # the server's, the worker's and the connector's connections, twice over
        assert _terminate(h.database) >= 1
        assert [readyz(h).status, page(h).status, api(h).status] == [200, 200, 200]
        assert kannel(h, f"terminated-{uuid.uuid4().hex[:6]}").status == 200
    call, blocks = sc.Renderer(epoch=sc.T0 + 600).render(sc.ABANDONED)
    h.pbx.send(blocks)
    until(lambda: _calls(h, call.uniqueid) == 1, 10, "a call after the connections were ended", h)
    assert children(h) == before  # nothing restarted


@pytest.mark.parametrize("how", ["connections refused", "server gone"])
def test_an_outage_answers_503_at_once_and_everything_is_stored_once_after_it(
    helpline: Helpline, how: str
) -> None:
    h = helpline
    before = children(h)
    tag = "refused" if how == "connections refused" else "gone"
    renderer = sc.Renderer(epoch=sc.T0 + (1200 if tag == "refused" else 1800))
    pbx_call, pbx_blocks = renderer.render(sc.NO_ANSWER_THEN_ANSWERED)
    texts = [f"{tag}-sms-{n}" for n in range(5)]
    sids = [f"SM{tag}{n:030d}"[:34] for n in range(2)]
    http_call = voice_call(f"{tag}-http-call", "012345671")
    assert kannel(h, f"{tag}-first").status == 200
    log_start = len(h.log.read_bytes())

    if how == "connections refused":
        _sql(f'ALTER DATABASE "{h.database}" WITH ALLOW_CONNECTIONS false')
        _terminate(h.database)
    else:
        h.proxy.stop()
    try:
        # Noticed at once, said plainly, and every request answered within a second.
        answer = readyz(h)
        assert answer.status == 503 and answer.seconds < FAST, answer
        assert json.loads(answer.body) == {"status": "unavailable", "database": "down"}
        khmer = page(h)
        assert_plain_503(khmer)
        assert 'lang="km"' in khmer.body and "មូលដ្ឋានទិន្នន័យ" in khmer.body
        english = page(h, language="en")
        assert_plain_503(english)
        assert "Helpline is reconnecting to its database" in english.body
        assert_plain_503(api(h), json_body=True)
        refused = [kannel(h, message_id) for message_id in texts]
        refused += [twilio(h, sid) for sid in sids]
        refused += [voice(h, event) for event in http_call]
        refused.append(kannel_report(h))
        for answer in refused:
            assert answer.status == 503 and answer.seconds < FAST, answer
            assert "Traceback" not in answer.body
        h.pbx.send(pbx_blocks)  # the connector keeps them until the database is back
        frames, code = chat_start(h)
        assert code == 1013 and frames[-1]["type"] == "reconnecting", frames
        assert "ប្អូន" in frames[-1]["message"] and "ភ្ជាប់ឡើងវិញ" in frames[-1]["message"]
        assert staff_socket(h) == 403  # refused plainly (not a 500): the console connects again
        time.sleep(2)  # an outage of a few seconds: probes fail, the worker and the connector wait
        assert readyz(h).status == 503
    finally:
        if how == "connections refused":
            _sql(f'ALTER DATABASE "{h.database}" WITH ALLOW_CONNECTIONS true')
        else:
            h.proxy.start()
    back = time.monotonic()
    took = until(lambda: readyz(h).status == 200, RECOVERY, "/readyz says ready again", h)
    # The gateways send again what got a 503 (and a late copy of one that was stored before).
    for message_id in [*texts, f"{tag}-first"]:
        assert kannel(h, message_id).status == 200
    for sid in sids:
        assert twilio(h, sid).status == 200
    for event in http_call:
        assert voice(h, event).status == 200
    assert [page(h).status, api(h).status, staff_socket(h)] == [200, 200, "hello"]
    frames, code = chat_start(h)
    assert code is None and [f["type"] for f in frames][:1] == ["started"] and frames[-1]["type"] == "ack"
    until(
        lambda: _calls(h, pbx_call.uniqueid) == 1, RECOVERY - (time.monotonic() - back), "the PBX's call", h
    )
    until(
        lambda: (
            _query(h, "SELECT state FROM voice_voicecall WHERE call_id = %s", pbx_call.uniqueid)
            == [("completed",)]
        ),
        10,
        "the PBX's call completed",
        h,
    )
    assert took < RECOVERY

    # Stored exactly once each.
    ids = [*texts, f"{tag}-first", *sids]
    rows = _query(
        h,
        "SELECT provider_message_id, count(*) FROM conversations_message WHERE direction = 'in' "
        "AND provider_message_id = ANY(%s) GROUP BY provider_message_id",
        ids,
    )
    assert dict(rows) == dict.fromkeys(ids, 1)
    (call_row,) = _query(
        h,
        "SELECT c.state, count(e.id) FROM voice_voicecall c JOIN voice_voiceevent e ON e.call_id = c.id "
        "WHERE c.call_id = %s GROUP BY c.state",
        http_call[0]["call_id"],
    )
    assert call_row == ("completed", 3)
    pbx_events = _query(
        h,
        "SELECT e.kind FROM voice_voiceevent e JOIN voice_voicecall c ON e.call_id = c.id "
        "WHERE c.call_id = %s ORDER BY e.at",
        pbx_call.uniqueid,
    )
    assert [k for (k,) in pbx_events] == ["join", "ring", "noanswer", "ring", "connect", "complete"]
    # The worker came through it (the same process) and sends the replies to texts stored after it.
    assert children(h) == before
    until(
        lambda: (
            _query(
                h,
                "SELECT count(*) FROM conversations_message m JOIN conversations_conversation c "
                "ON m.conversation_id = c.id WHERE m.direction = 'out' AND m.status = 'sent' AND c.id IN "
                "(SELECT conversation_id FROM conversations_message WHERE provider_message_id = ANY(%s))",
                texts,
            )[0][0]
            >= len(texts)
        ),
        15,
        "the worker sends the automatic replies",
        h,
    )
    assert h.process.poll() is None
    log = h.log.read_text()
    assert "Traceback" not in log, h.tail()
    assert "stopping all" not in log
    # The outage and the recovery logged once by each process that uses the database (the server,
    # the two workers and the scheduler), not a psycopg.pool warning for every attempt to connect.
    during = h.log.read_bytes()[log_start:].decode(errors="replace").splitlines()
    pool_lines = [line for line in during if " psycopg.pool " in line]
    assert len(pool_lines) <= 2, "\n".join(pool_lines)
    processes = 4
    assert sum("database unavailable (" in line for line in during) <= processes, "\n".join(during[-40:])
    assert sum("database back after" in line for line in during) <= processes, "\n".join(during[-40:])
