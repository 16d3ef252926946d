"""The production layout of deploy/, run on this machine: two server processes, the worker and the
scheduler against PostgreSQL and Redis, behind nginx configured from deploy/nginx/helpline.conf.

An SMS arrives through nginx, is taken on one process and answered from the other, and the worker
sends the answer to the gateway once; a chat reaches a counsellor whose socket is on the other
process; the scheduler runs its jobs; nginx serves the static files and logs no secret or number.
Needs PostgreSQL and Redis at 127.0.0.1 and nginx (`make system-deps-deploy`); without them the test
is skipped, unless HELPLINE_REQUIRE_REDIS=1 (set by .ci/run) turns the absence into a failure."""

from __future__ import annotations

import base64
import http.server
import json
import os
import random
import secrets
import shutil
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import psycopg
import pytest
from websockets.sync.client import connect

from tests.servers import PROJECT_DIR, Children, free_port, log_tail, manage, server_env, wait_until_healthy
from tests.test_multiprocess_redis import (
    REDIS_HOST,
    REDIS_PORT,
    SIGN_IN_COUNSELLOR,
    frames_until,
    redis_answers,
)

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
KANNEL_SECRET = "scale-out-kannel-secret-0123456789"
CHILD_NUMBER = "85512345678"
DEPLOY = PROJECT_DIR / "deploy"


def postgres_answers() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def require(what: str, present: bool) -> None:
    if present:
        return
    if os.environ.get("HELPLINE_REQUIRE_REDIS") == "1":
        pytest.fail(f"{what} is missing and HELPLINE_REQUIRE_REDIS=1")
    pytest.skip(f"no {what} on this machine")


class Gateway(http.server.ThreadingHTTPServer):
    """Kannel's sendsms interface as the worker sees it: records each request, accepts it."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _GatewayHandler)
        self.sent: list[dict[str, str]] = []


class _GatewayHandler(http.server.BaseHTTPRequestHandler):
    server: Gateway

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        self.server.sent.append({key: values[0] for key, values in query.items()})
        self.send_response(202)
        self.end_headers()
        self.wfile.write(b"0: Accepted for delivery")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def database() -> Iterator[str]:
    require("PostgreSQL", postgres_answers())
    name = f"helpline_scale_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def nginx_config(tmp: Path, *, ports: tuple[int, int], https_port: int, http_port: int, static: Path) -> Path:
    """deploy/nginx/helpline.conf with only what belongs to this machine changed: the upstream's ports,
    the listening addresses, the certificate, the log and static paths."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    text = (DEPLOY / "nginx" / "helpline.conf").read_text()
    replacements = [
        ("server 127.0.0.1:8001 max_fails=0;", f"server 127.0.0.1:{ports[0]} max_fails=0;"),
        ("server 127.0.0.1:8002 max_fails=0;", f"server 127.0.0.1:{ports[1]} max_fails=0;"),
        ("    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n"),
        ("    listen [::]:80;\n", ""),
        ("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n"),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("/etc/letsencrypt/live/helpline.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/helpline.example.org/privkey.pem", str(key)),
        ("/var/log/nginx/helpline.access.log", str(tmp / "access.log")),
        ("/var/log/nginx/helpline.error.log", str(tmp / "error.log")),
        ("alias /var/lib/helpline/static/;", f"alias {static}/;"),
        ("/etc/nginx/snippets/helpline-proxy.conf", str(DEPLOY / "nginx" / "helpline-proxy.conf")),
    ]
    for old, new in replacements:
        assert old in text, f"deploy/nginx/helpline.conf no longer says {old!r}"
        text = text.replace(old, new)
    (tmp / "helpline.conf").write_text(text)
    temp = {name: tmp / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    main = tmp / "nginx.conf"
    main.write_text(
        f"""
master_process off;
daemon off;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {tmp / "helpline.conf"};
}}
"""
    )
    return main


def request(
    url: str, *, cookie: str = "", data: dict[str, str] | None = None, csrf: str = "", tls: bool = False
) -> tuple[int, str, Message]:
    headers = {"Cookie": cookie} if cookie else {}
    if csrf:
        headers["X-CSRFToken"] = csrf
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    context = unverified_tls() if tls else None  # the test's own self-signed certificate
    req = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=15, context=context) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers


def unverified_tls() -> ssl.SSLContext:
    """The test's own self-signed certificate, on loopback: nothing to verify it against."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def no_redirect(
    url: str, *, cookie: str = "", csrf: str = "", data: dict[str, str] | None = None
) -> tuple[int, str]:
    """The status and Location of one request, the redirect not followed."""
    body = urllib.parse.urlencode(data or {}).encode() if data is not None or csrf else None
    headers = {"Cookie": cookie, "X-CSRFToken": csrf} if csrf else {}
    req = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=15) as response:
            return int(response.status), response.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", "")


def wait_for(what: str, check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except OSError:  # not listening yet
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout}s")


def new_contact(staff: Any, *, known: set[str]) -> str:
    """The contact of the first console event about a contact not in `known`."""
    for _ in range(30):
        contact = frames_until(staff, "console.event")["contact"]
        if contact not in known:
            return str(contact)
    raise AssertionError("no event about a new contact")


def test_two_servers_worker_and_scheduler_behind_nginx(tmp_path: Path, database: str) -> None:
    require("Redis", redis_answers())
    require("nginx", shutil.which("nginx") is not None)
    gateway = Gateway()
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = server_env(
        data_dir,
        {
            # Production settings (debug off, secrets required), as deploy/env.example has them;
            # plain HTTP between nginx and the servers, as in deploy/.
            "HELPLINE_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "HELPLINE_FIELD_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "HELPLINE_HTTPS": "0",
            "HELPLINE_BEHIND_PROXY": "1",
            "HELPLINE_TRUSTED_PROXIES": "127.0.0.1",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database,
            "REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{random.randint(3, 14)}",
            "HELPLINE_CHANNEL_PREFIX": f"helpline-scale-{os.getpid()}",
            "HELPLINE_KANNEL_SECRET": KANNEL_SECRET,
            "HELPLINE_KANNEL_SENDSMS_URL": f"http://127.0.0.1:{gateway.server_address[1]}/cgi-bin/sendsms",
            "HELPLINE_TRIAGE_WARM": "0",
        },
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    children = Children()
    python = str(PROJECT_DIR / ".venv" / "bin" / "python") if (PROJECT_DIR / ".venv").exists() else "python"
    ports = (free_port(), free_port())
    https_port, http_port = free_port(), free_port()
    try:
        servers = []
        for name, port in zip("ab", ports, strict=True):
            log = tmp_path / f"server-{name}.log"
            servers.append(
                (
                    children.start(
                        f"server {name}",
                        [
                            python,
                            "-m",
                            "uvicorn",
                            "config.asgi:application",
                            "--host",
                            "127.0.0.1",
                            "--port",
                            str(port),
                            "--no-server-header",
                            "--no-access-log",
                            "--proxy-headers",
                            "--forwarded-allow-ips",
                            "127.0.0.1",
                        ],
                        log,
                        env=env,
                    ),
                    port,
                    log,
                )
            )
        children.start(
            "worker", [python, "manage.py", "worker", "--interval", "0.2"], tmp_path / "worker.log", env=env
        )
        children.start("scheduler", [python, "manage.py", "scheduler"], tmp_path / "scheduler.log", env=env)
        for process, port, log in servers:
            wait_until_healthy(f"http://127.0.0.1:{port}", process, log)
        config = nginx_config(
            tmp_path, ports=ports, https_port=https_port, http_port=http_port, static=data_dir / "static"
        )
        check = subprocess.run(
            ["nginx", "-t", "-p", str(tmp_path), "-c", str(config)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr
        nginx = children.start(
            "nginx", ["nginx", "-p", str(tmp_path), "-c", str(config)], tmp_path / "nginx.out", env=env
        )
        front = f"https://127.0.0.1:{https_port}"
        wait_for("nginx", lambda: nginx.poll() is None and request(f"{front}/readyz", tls=True)[0] == 200)
        a_url, b_url = (f"http://127.0.0.1:{port}" for port in ports)

        # Plain HTTP goes to HTTPS; static files come from disk with a long cache.
        assert no_redirect(f"http://127.0.0.1:{http_port}/healthz") == (301, "https://127.0.0.1/healthz")
        manifest = json.loads((data_dir / "static" / "staticfiles.json").read_text())["paths"]
        style = next(hashed for name, hashed in manifest.items() if name.endswith(".css"))
        status, _, headers = request(f"{front}/static/{style}", tls=True)
        assert status == 200 and "immutable" in headers["Cache-Control"]

        session_key = manage(env, "shell", "-c", SIGN_IN_COUNSELLOR).stdout.strip().splitlines()[-1]
        cookie = f"helpline_session={session_key}"
        status, body, headers = request(f"{a_url}/console/", cookie=cookie)
        assert status == 200, body
        csrf = " ".join(headers.get_all("Set-Cookie", [])).split("helpline_csrf=")[1].split(";")[0]
        both = f"{cookie}; helpline_csrf={csrf}"

        # The counsellor's console socket is on server B.
        staff = connect(
            f"ws://127.0.0.1:{ports[1]}/ws/staff/", origin=b_url, additional_headers={"Cookie": cookie}
        )
        assert json.loads(staff.recv(timeout=10))["type"] == "hello"

        # An SMS through nginx (whichever server it reaches), taken on A, answered from B.
        query = urllib.parse.urlencode(
            {"secret": KANNEL_SECRET, "from": CHILD_NUMBER, "to": "1280", "id": "scale-1", "text": "ជួយខ្ញុំផង"}
        )
        status, _, _ = request(f"{front}/hooks/sms/kannel?{query}", tls=True)
        assert status == 200
        sms_contact = frames_until(staff, "console.event")["contact"]
        assert no_redirect(f"{a_url}/console/{sms_contact}/take/", cookie=both, csrf=csrf)[0] in (302, 303)
        status, _, _ = request(
            f"{b_url}/console/{sms_contact}/reply/", cookie=both, csrf=csrf, data={"text": "ខ្ញុំនៅទីនេះ"}
        )
        assert status == 200
        wait_for("the worker's send", lambda: any(m["text"] == "ខ្ញុំនៅទីនេះ" for m in gateway.sent))
        time.sleep(2)  # a second send would come within the worker's next polls
        texts = [m["text"] for m in gateway.sent]
        # The automatic reply to a new texter, then the counsellor's answer: each once, to the child.
        assert len(texts) == 2 and texts[1] == "ខ្ញុំនៅទីនេះ" and "1280" in texts[0], texts
        assert {m["to"] for m in gateway.sent} == {CHILD_NUMBER}
        # Kannel sending it again (it did not hear our answer) stores nothing twice.
        assert request(f"{front}/hooks/sms/kannel?{query}", tls=True)[0] == 200

        # A chat through nginx's websocket proxy reaches the counsellor's socket on B.
        child = connect(f"wss://127.0.0.1:{https_port}/ws/chat/", origin=front, ssl=unverified_tls())
        child.send(json.dumps({"type": "start", "language": "km"}))
        frames_until(child, "started")
        child.send(json.dumps({"type": "message", "id": "m1", "text": "សួស្តី"}))
        frames_until(child, "ack")
        chat_contact = new_contact(staff, known={sms_contact})
        assert no_redirect(f"{a_url}/console/{chat_contact}/take/", cookie=both, csrf=csrf)[0] in (302, 303)
        status, _, _ = request(
            f"{b_url}/console/{chat_contact}/reply/", cookie=both, csrf=csrf, data={"text": "បាទ"}
        )
        assert status == 200
        message = frames_until(child, "message")
        assert message["text"] == "បាទ" and message["from"] == "helpline"
        child.close()
        staff.close()

        # The scheduler ran its jobs against the shared database.
        with psycopg.connect(database.replace("postgres://", "postgresql://")) as db:
            runs = wait_for(
                "the scheduler's runs",
                lambda: db.execute("SELECT count(*) FROM operations_joblease WHERE runs > 0").fetchone()[0],
            )
            assert runs > 0
            [[contacts]] = db.execute("SELECT count(*) FROM contacts_contact").fetchall()
            assert contacts == 2  # one SMS contact (sent twice by the gateway), one chat
        children.check_alive()

        # nginx's log names the paths it served, never a query string, secret or number.
        access = (tmp_path / "access.log").read_text()
        assert "GET /readyz" in access and "GET /healthz" in access
        for leak in (KANNEL_SECRET, CHILD_NUMBER, "/hooks/", "?"):
            assert leak not in access
    except Exception:
        for name in ("server-a.log", "server-b.log", "worker.log", "scheduler.log", "error.log", "nginx.out"):
            print(f"--- {name}\n{log_tail(tmp_path / name)}")
        raise
    finally:
        children.stop_all()
        gateway.shutdown()
