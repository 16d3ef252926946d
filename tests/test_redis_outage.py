"""Redis (the channel layer between server processes) goes away and comes back, while a child chats.

While it is away the child is told plainly that the helpline is reconnecting and that nothing is
lost (the widget's `reconnecting` frame), the socket closes with 1013 so the widget comes back, and
a counsellor's reply is still stored; once Redis is back the chat resumes, the reply written
meanwhile reaches the child, and live replies flow again. Nothing is answered with a traceback.
Redis is reached through a TCP proxy that this test stops and starts."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.servers import Children, helpline_server
from tests.tcp_proxy import TcpProxy
from tests.test_multiprocess_redis import (
    REDIS_HOST,
    REDIS_PORT,
    SIGN_IN_COUNSELLOR,
    frames_until,
    require_redis,
)


def post(url: str, *, cookie: str, csrf: str, data: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(data or {}).encode(), headers={"Cookie": cookie, "X-CSRFToken": csrf}
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def resume(
    url: str, token: str, after: int
) -> tuple[ClientConnection | None, list[dict[str, Any]], int | None]:
    """One attempt of the widget's reconnect: the frames it got, and the close code if it closed."""
    try:
        socket = connect(f"ws://{url.removeprefix('http://')}/ws/chat/", origin=url, open_timeout=10)
    except (InvalidStatus, OSError):
        return None, [], None
    frames: list[dict[str, Any]] = []
    try:
        socket.send(json.dumps({"type": "resume", "token": token, "after": after, "language": "km"}))
        while True:
            frames.append(json.loads(socket.recv(timeout=10)))
            if frames[-1]["type"] == "resumed":
                return socket, frames, None
    except ConnectionClosed as closed:
        # Frames sent before the close are still read (a closed socket yields what it buffered).
        frames.extend(json.loads(frame) for frame in _buffered(socket))
        return None, frames, closed.rcvd.code if closed.rcvd else None


def _buffered(socket: ClientConnection) -> list[str]:
    left: list[str] = []
    while True:
        try:
            left.append(str(socket.recv(timeout=0)))
        except (ConnectionClosed, TimeoutError):
            return left


def test_a_chat_rides_out_a_redis_outage(tmp_path: Path) -> None:
    require_redis()
    with TcpProxy(REDIS_HOST, REDIS_PORT) as proxy:
        extra = {
            "REDIS_URL": f"redis://127.0.0.1:{proxy.port}/13",
            "HELPLINE_CHANNEL_PREFIX": f"outage-{time.time()}",
        }
        children = Children()
        try:
            with helpline_server(tmp_path, extra_env=extra, children=children) as server:
                session_key = server.shell(SIGN_IN_COUNSELLOR).strip().splitlines()[-1]
                cookie = f"helpline_session={session_key}"
                opener = urllib.request.build_opener()
                with opener.open(
                    urllib.request.Request(f"{server.url}/console/", headers={"Cookie": cookie})
                ) as r:
                    csrf = next(
                        part.split("=", 1)[1]
                        for header in r.headers.get_all("Set-Cookie", [])
                        for part in header.split(";")
                        if part.strip().startswith("helpline_csrf=")
                    )
                both = f"{cookie}; helpline_csrf={csrf}"

                child = connect(f"ws://127.0.0.1:{server.port}/ws/chat/", origin=server.url)
                child.send(json.dumps({"type": "start", "language": "km"}))
                started = frames_until(child, "started")
                token = started["token"]
                child.send(json.dumps({"type": "message", "id": "m1", "text": "សួស្តី"}))
                frames_until(child, "ack")
                [[contact]] = server.query(
                    "SELECT contact_id FROM conversations_conversation WHERE id = ?",
                    (started["conversation"].replace("-", ""),),
                )
                contact = str(contact)
                contact = f"{contact[:8]}-{contact[8:12]}-{contact[12:16]}-{contact[16:20]}-{contact[20:]}"
                assert post(f"{server.url}/console/{contact}/take/", cookie=both, csrf=csrf) == 200
                assert (
                    post(
                        f"{server.url}/console/{contact}/reply/",
                        cookie=both,
                        csrf=csrf,
                        data={"text": "ជំរាបសួរ"},
                    )
                    == 200
                )
                first = frames_until(child, "message")
                assert first["text"] == "ជំរាបសួរ"
                last_seq = first["seq"]

                # Redis goes away.
                proxy.stop()
                # The counsellor's reply is stored even so.
                assert (
                    post(
                        f"{server.url}/console/{contact}/reply/",
                        cookie=both,
                        csrf=csrf,
                        data={"text": "នៅទីនេះ"},
                    )
                    == 200
                )
                # The child's socket is closed for the widget to come back; each attempt while Redis is
                # away is told, in Khmer, that the helpline is reconnecting.
                try:
                    while True:
                        child.recv(timeout=15)
                except (ConnectionClosed, TimeoutError):
                    pass
                socket, frames, code = resume(server.url, token, last_seq)
                assert socket is None and code == 1013, (frames, code)
                assert frames[-1]["type"] == "reconnecting" and "បាត់" in frames[-1]["message"]

                # Redis comes back: the chat resumes with what was written meanwhile.
                proxy.start()
                deadline = time.monotonic() + 30
                while True:
                    socket, frames, code = resume(server.url, token, last_seq)
                    if socket is not None or time.monotonic() > deadline:
                        break
                    time.sleep(1)
                assert socket is not None, (frames, code)
                missed = frames_until(socket, "message")
                assert missed["text"] == "នៅទីនេះ"
                assert (
                    post(
                        f"{server.url}/console/{contact}/reply/", cookie=both, csrf=csrf, data={"text": "ល្អ"}
                    )
                    == 200
                )
                assert frames_until(socket, "message")["text"] == "ល្អ"
                socket.close()
                assert "Traceback" not in server.log_tail(400)
        finally:
            children.stop_all()
