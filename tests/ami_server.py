"""A stand-in for Asterisk's manager interface (AMI) over real TCP, for the connector's tests and bench.

Asterisk is not packaged in this Debian release, so this server speaks the protocol as Asterisk 18/20 does
on port 5038, with `timestampevents=yes`:

* on connect, the banner line `Asterisk Call Manager/7.0.3` (CRLF, no blank line);
* actions are `Key: value` lines ending CRLF, a blank line ending each; `Action: Login` with `Username`,
  `Secret` (and `Events`) is answered `Response: Success` / `Message: Authentication accepted` followed by
  the `FullyBooted` event, or `Response: Error` / `Message: Authentication failed` and the connection
  closed (as manager.c does); `Action: Ping` is answered `Ping: Pong` with a `Timestamp`; `Logoff` is
  answered `Goodbye` and closes; an action before login is answered `Authentication Required`;
* events are `Event:` blocks in the same format, sent to every logged-in session that asked for events.

A PBX restart is `stop()` (the `Shutdown` event, then every session closed and the port no longer
listening) and `start()` again on the same port. A hung PBX is `hang()`: the sessions open now stay
open but nothing is answered or sent on them any more (a deadlocked Asterisk keeps its sockets);
sessions opened later are served as usual. `send_raw()` writes bytes as they are, to test what the
connector does with malformed blocks.

The server runs on an asyncio loop; `ThreadedAMIServer` runs it on a loop in its own thread and offers
the same operations as plain blocking calls, for tests and benchmarks that run the connector elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

BANNER = "Asterisk Call Manager/7.0.3\r\n"
EOL = "\r\n"

Fields = Mapping[str, str] | Sequence[tuple[str, str]]
T = TypeVar("T")


def encode(fields: Fields) -> bytes:
    """One AMI block: `Key: value` lines ending CRLF, then the blank line."""
    items = fields.items() if isinstance(fields, Mapping) else fields
    return ("".join(f"{key}: {value}{EOL}" for key, value in items) + EOL).encode("utf-8")


def parse_block(text: str) -> dict[str, str]:
    """Asterisk reads `Key: value` lines; it ignores lines without a colon."""
    fields: dict[str, str] = {}
    for line in text.split("\n"):
        key, sep, value = line.rstrip("\r").partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    return fields


def ami_timestamp(at: float | None = None) -> str:
    """Asterisk's `Timestamp:` with timestampevents=yes: epoch seconds with microseconds."""
    return f"{time.time() if at is None else at:.6f}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(eq=False)
class Session:
    """One manager session (a TCP connection)."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    authenticated: bool = False
    events: bool = True
    username: str = ""
    hung: bool = False  # the PBX froze for this session: it reads actions and answers none

    @property
    def receives_events(self) -> bool:
        return self.authenticated and self.events and not self.hung and not self.writer.is_closing()


@dataclass
class AMIServer:
    username: str = "helpline"
    secret: str = "ami-secret"
    host: str = "127.0.0.1"
    port: int = 0
    sessions: set[Session] = field(default_factory=set)
    logins: int = 0  # successful logins since the first start
    failed_logins: int = 0
    pings: int = 0
    actions: list[dict[str, str]] = field(default_factory=list)
    events_sent: int = 0
    _server: asyncio.AbstractServer | None = None
    _login_changed: asyncio.Condition | None = None

    # --- life cycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"ami://{self.username}:{self.secret}@{self.host}:{self.port}"

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        """Listen (again) on the same port: the first start picks a free port unless one was given."""
        if self._login_changed is None:
            self._login_changed = asyncio.Condition()
        for _ in range(50):  # after a restart the port may take a moment to be free again
            try:
                self._server = await asyncio.start_server(
                    self._session, self.host, self.port, reuse_address=True
                )
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise OSError(f"cannot listen on {self.host}:{self.port} again")
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self, *, announce: bool = True) -> None:
        """What a PBX restart looks like from the client: Asterisk announces `Shutdown` to every
        session, closes them, and stops listening. `announce=False` is a link that just drops."""
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            if announce and session.authenticated and not session.writer.is_closing():
                with contextlib.suppress(ConnectionError, RuntimeError):
                    session.writer.write(
                        encode(
                            [
                                ("Event", "Shutdown"),
                                ("Privilege", "system,all"),
                                ("Timestamp", ami_timestamp()),
                                ("Shutdown", "Cleanly"),
                                ("Restart", "True"),
                            ]
                        )
                    )
                    await session.writer.drain()
            session.writer.close()
        for session in list(self.sessions):
            with contextlib.suppress(ConnectionError, OSError):
                await session.writer.wait_closed()
        self.sessions.clear()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def restart(self, down_for: float = 0.5) -> None:
        await self.stop()
        await asyncio.sleep(down_for)
        await self.start()

    def hang(self) -> int:
        """Freeze every session open now (see the module's docstring); returns how many."""
        for session in self.sessions:
            session.hung = True
        return len(self.sessions)

    async def wait_for_logins(self, count: int, timeout: float = 10) -> None:
        """Until `count` successful logins in all (the connector logs in again after a reconnect)."""
        assert self._login_changed is not None, "start the server first"
        async with self._login_changed:
            await asyncio.wait_for(self._login_changed.wait_for(lambda: self.logins >= count), timeout)

    # --- sending events -----------------------------------------------------------------------

    def _listeners(self) -> list[Session]:
        return [s for s in self.sessions if s.receives_events]

    async def send_event(self, fields: Fields) -> int:
        """Send one event to every logged-in session; returns how many received it."""
        return await self.send_raw(encode(fields))

    async def send_events(self, events: Iterable[Fields], *, pace: float = 0.0, batch: int = 200) -> int:
        """Replay events in order. `pace` seconds between events (0: as fast as the clients read them,
        waiting for TCP to drain every `batch` events so a slow reader holds the sender back)."""
        sent = 0
        for n, fields in enumerate(events, start=1):
            data = encode(fields)
            for session in self._listeners():
                session.writer.write(data)
            sent += 1
            self.events_sent += 1
            if pace > 0:
                await self._drain()
                await asyncio.sleep(pace)
            elif n % batch == 0:
                await self._drain()
        await self._drain()
        return sent

    async def send_raw(self, data: bytes) -> int:
        """Bytes as they are (malformed blocks, half blocks) to every logged-in session."""
        listeners = self._listeners()
        for session in listeners:
            session.writer.write(data)
        await self._drain()
        return len(listeners)

    async def _drain(self) -> None:
        for session in self._listeners():
            with contextlib.suppress(ConnectionError):
                await session.writer.drain()

    # --- one session --------------------------------------------------------------------------

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(reader, writer)
        self.sessions.add(session)
        try:
            writer.write(BANNER.encode())
            await writer.drain()
            while True:
                try:
                    raw = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                except asyncio.LimitOverrunError:
                    return  # Asterisk drops a session that sends an over-long action
                action = parse_block(raw.decode("utf-8", "replace"))
                if not action:
                    continue
                self.actions.append(action)
                if session.hung:
                    continue
                if not await self._answer(session, action):
                    return
        except (ConnectionError, OSError):
            return
        finally:
            self.sessions.discard(session)
            if not writer.is_closing():
                writer.close()

    async def _answer(self, session: Session, action: dict[str, str]) -> bool:
        """Answer one action as manager.c does; False closes the session."""
        name = action.get("Action", "").lower()
        reply: list[tuple[str, str]] = [("Response", "Success")]
        if "ActionID" in action:
            reply.append(("ActionID", action["ActionID"]))
        keep_open = True
        if name == "login":
            if action.get("Username") == self.username and action.get("Secret") == self.secret:
                session.authenticated, session.username = True, self.username
                session.events = action.get("Events", "on").lower() not in {"off", "no", "false"}
                reply.append(("Message", "Authentication accepted"))
                session.writer.write(encode(reply))
                session.writer.write(
                    encode(
                        [
                            ("Event", "FullyBooted"),
                            ("Privilege", "system,all"),
                            ("Timestamp", ami_timestamp()),
                            ("Uptime", "3605"),
                            ("LastReload", "3605"),
                            ("Status", "Fully Booted"),
                        ]
                    )
                )
                await session.writer.drain()
                await self._count_login(ok=True)
                return True
            reply[0] = ("Response", "Error")
            reply.append(("Message", "Authentication failed"))
            keep_open = False
            await self._count_login(ok=False)
        elif not session.authenticated:
            reply[0] = ("Response", "Error")
            reply.append(("Message", "Authentication Required"))
        elif name == "ping":
            self.pings += 1
            reply += [("Ping", "Pong"), ("Timestamp", ami_timestamp())]
        elif name == "logoff":
            reply[0] = ("Response", "Goodbye")
            reply.append(("Message", "Thanks for all the fish."))
            keep_open = False
        elif name == "events":
            session.events = action.get("EventMask", "on").lower() not in {"off", "no", "false"}
            reply.append(("Events", "On" if session.events else "Off"))
        else:
            reply[0] = ("Response", "Error")
            reply.append(("Message", "Invalid/unknown command"))
        session.writer.write(encode(reply))
        await session.writer.drain()
        return keep_open

    async def _count_login(self, *, ok: bool) -> None:
        assert self._login_changed is not None
        async with self._login_changed:
            if ok:
                self.logins += 1
            else:
                self.failed_logins += 1
            self._login_changed.notify_all()


class ThreadedAMIServer:
    """An AMIServer on an event loop in its own thread, driven by blocking calls."""

    def __init__(self, **config: Any) -> None:
        self.server = AMIServer(**config)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="ami-server", daemon=True)

    def __enter__(self) -> ThreadedAMIServer:
        self._thread.start()
        self.call(self.server.start())
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.call(self.server.stop(announce=False), timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def logins(self) -> int:
        return self.server.logins

    def wait_for_logins(self, count: int, timeout: float = 10) -> None:
        self.call(self.server.wait_for_logins(count, timeout), timeout=timeout + 5)

    def send(self, events: Iterable[Fields], *, pace: float = 0.0) -> int:
        return self.call(self.server.send_events(list(events), pace=pace), timeout=600)

    def send_raw(self, data: bytes) -> int:
        return self.call(self.server.send_raw(data))

    def stop(self, *, announce: bool = True) -> None:
        self.call(self.server.stop(announce=announce))

    def hang(self) -> int:
        async def freeze() -> int:
            return self.server.hang()

        return self.call(freeze())

    def start(self) -> None:
        self.call(self.server.start())

    def restart(self, down_for: float = 0.5) -> None:
        self.call(self.server.restart(down_for))


class ConnectorThread:
    """Helpline's real AMI connector, `voice_ami.run(url, stop)`, on an event loop in its own thread.

    The connector hands batches of events to `voice_events` through `sync_to_async` (one worker thread,
    in order), so the database is used from that thread: its connections are closed when the connector
    stops. `call()` runs a coroutine on the connector's loop, e.g. a channel-layer subscriber that must
    live on the same loop as the layer's sends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="ami-connector", daemon=True)

    def start(self) -> ConnectorThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the connector's loop did not start")
        return self

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        from asgiref.sync import sync_to_async
        from django.db import connections

        from helpline.voice.management.commands.voice_ami import run

        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        try:
            await run(self.url, self._stop)
        except BaseException as exc:  # kept for the test to see: run() should not end on its own
            self.error = exc
        finally:
            # the same single worker thread voice_event ran on: close its database connections
            await sync_to_async(connections.close_all, thread_sensitive=True)()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 15) -> None:
        if self.loop is not None and self._stop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
