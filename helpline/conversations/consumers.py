"""/ws/chat/: the child's side of a web chat. Anyone may connect (children do not sign in); each
socket acts only on the chat it started or resumed. Frames that are not JSON objects, too large,
for another conversation, or too many too fast close the socket; nothing is logged but the reason.

While the database is away (a restart) the socket tells the child, in their language, that the
helpline is reconnecting (a `reconnecting` frame) and closes with 1013 (try again later): the widget
keeps what the child wrote and resumes, or starts, once it can."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext as _

from helpline.common import live
from helpline.common.layers import layer_unavailable
from helpline.common.outage import database_unavailable
from helpline.common.sockets import DirectDispatch
from helpline.common.text import is_identifier
from helpline.contacts.models import Status
from helpline.conversations import chat
from helpline.conversations.models import ChatSession

log = logging.getLogger("helpline.chat")
T = TypeVar("T")

MAX_FRAME = 4096
FLOOD_FRAMES, FLOOD_SECONDS = 10, 10.0
# A waiting child's place in the queue is refreshed this often (from a per-process snapshot).
# Being answered or ended is pushed at once; the slow tick only covers a push that went missing.
TICK_WAITING_SECONDS, TICK_ANSWERED_SECONDS = 3.0, 30.0

CLOSE_TOO_BIG, CLOSE_BAD, CLOSE_FORBIDDEN, CLOSE_FLOOD = 1009, 4400, 4403, 4429
CLOSE_TRY_AGAIN = 1013  # the database or Redis is away: the widget reconnects
CLOSE_PAGE_GONE = 1001  # "going away": what a browser sends as it closes or leaves the page


def reconnecting_text(language: str) -> str:
    with translation.override(language if language in ("km", "en") else "km"):
        return _("The helpline is reconnecting. Please wait a moment: your messages are not lost.")


def _db(func: Callable[..., T]) -> Callable[..., Awaitable[T]]:
    """Database work for one socket, on a thread of the pool rather than the one thread every
    socket in the process shares: each call is a whole unit of work (its own transaction), so
    hundreds of chats need not queue behind each other's database round trips."""
    return database_sync_to_async(func, thread_sensitive=False)  # type: ignore[no-any-return]


class ChatConsumer(DirectDispatch, AsyncWebsocketConsumer):
    session: ChatSession | None
    ticker: asyncio.Task[None] | None

    async def connect(self) -> None:
        self.session = None
        self.ticker = None
        self.frames: deque[float] = deque()
        self.last_state = ""
        self.fresh_at = 0.0  # time.monotonic() of the last state read from the database on purpose
        self.language = "km"  # the child's, once a start frame says it
        await self.accept()

    async def _database_away(self) -> None:
        """Tell the child plainly, and close so that the widget comes back once the database (or
        the channel layer, Redis) is."""
        log.warning("chat: the database or the channel layer is unavailable; the child is told to wait")
        await self._send({"type": "reconnecting", "message": reconnecting_text(self.language)})
        await self.close(code=CLOSE_TRY_AGAIN)

    async def layer_lost(self) -> None:
        if not self.closed:
            await self._database_away()

    def _client_address(self) -> str:
        client = self.scope.get("client") or ("", 0)
        return str(client[0])

    async def _refuse(self, code: int, reason: str) -> None:
        log.warning("chat frame refused: %s", reason)
        await self.close(code=code)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME:
            await self._refuse(CLOSE_TOO_BIG, "binary or too large")
            return
        now = time.monotonic()
        self.frames.append(now)
        while self.frames and now - self.frames[0] > FLOOD_SECONDS:
            self.frames.popleft()
        if len(self.frames) > FLOOD_FRAMES:
            await self._refuse(CLOSE_FLOOD, "flood")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self._refuse(CLOSE_BAD, "not json")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._refuse(CLOSE_BAD, "not a frame")
            return
        claimed = frame.get("conversation")
        if claimed is not None and (
            self.session is None or str(claimed) != str(self.session.conversation_id)
        ):
            await self._refuse(CLOSE_FORBIDDEN, "conversation not owned by this socket")
            return
        handler = {
            "start": self._start,
            "resume": self._resume,
            "message": self._message,
            "leave": self._leave,
            "ping": self._ping,
        }.get(frame["type"])
        if handler is None:
            await self._refuse(CLOSE_BAD, "unknown frame type")
            return
        try:
            await handler(frame)
        except Exception as exc:
            if not (database_unavailable(exc) or layer_unavailable(exc)):
                raise
            await self._database_away()

    async def _ping(self, frame: dict[str, Any]) -> None:
        await self._send({"type": "pong"})

    async def _start(self, frame: dict[str, Any]) -> None:
        if self.session is not None:
            await self._refuse(CLOSE_BAD, "already started")
            return
        language = frame.get("language") if frame.get("language") in ("km", "en") else "km"
        self.language = str(language)
        nickname = frame.get("nickname") if isinstance(frame.get("nickname"), str) else ""
        age = frame.get("age")
        if not (age is None or (isinstance(age, int) and not isinstance(age, bool) and 0 <= age <= 25)):
            age = None
        try:
            started = await _db(chat.chat_start)(
                language=str(language),
                nickname=str(nickname)[:40],
                age=age,
                client_address=self._client_address(),
            )
        except chat.ChatRefused as exc:
            await self._send({"type": "refused", "reason": exc.reason})
            await self._refuse(CLOSE_FORBIDDEN, exc.reason)
            return
        self.session = started.session
        await self._join()
        await self._send(
            {"type": "started", "token": started.token, "conversation": str(self.session.conversation_id)}
        )
        await self._tick(fresh=True)

    async def _resume(self, frame: dict[str, Any]) -> None:
        token, after = frame.get("token"), frame.get("after", 0)
        if frame.get("language") in ("km", "en"):  # until the chat's own is read
            self.language = str(frame["language"])
        if (
            self.session is not None
            or not isinstance(token, str)
            or len(token) > 100
            or not isinstance(after, int)
        ):
            await self._refuse(CLOSE_BAD, "bad resume")
            return
        try:
            self.session = await _db(chat.chat_resume)(token)
        except chat.ChatRefused:
            await self._send({"type": "ended"})
            await self._refuse(CLOSE_FORBIDDEN, "unknown chat")
            return
        self.language = self.session.language
        await self._join()
        await self._send({"type": "resumed", "conversation": str(self.session.conversation_id)})
        for message in await _db(chat.messages_after)(self.session, max(0, after)):
            await self._send(
                _message_frame(message.seq, message.text, message.direction, message.provider_message_id)
            )
        await self._tick(fresh=True)

    async def _message(self, frame: dict[str, Any]) -> None:
        client_id, text = frame.get("id"), frame.get("text")
        if self.session is None:
            await self._refuse(CLOSE_BAD, "message before start")
            return
        if not isinstance(client_id, str) or not 0 < len(client_id) <= 64 or not is_identifier(client_id):
            await self._refuse(CLOSE_BAD, "bad message id")
            return
        if not isinstance(text, str) or not text.strip() or len(text) > chat.MAX_TEXT:
            await self._send({"type": "refused", "id": client_id, "reason": "empty or too long"})
            return
        try:
            message, _new = await _db(chat.chat_receive)(self.session, client_id=client_id, text=text)
        except chat.ChatRefused as exc:
            await self._send({"type": "refused", "id": client_id, "reason": exc.reason})
            return
        await self._send({"type": "ack", "id": client_id, "seq": message.seq})

    async def _leave(self, frame: dict[str, Any]) -> None:
        if self.session is not None:
            await _db(chat.chat_leave)(self.session)
        await self.close(code=1000)

    def _groups(self) -> list[str]:
        assert self.session is not None
        return [
            live.chat_group(self.session.conversation_id),
            live.contact_group(self.session.conversation.contact_id),
        ]

    async def _join(self) -> None:
        if self.channel_layer is not None:
            for group in self._groups():
                await self.channel_layer.group_add(group, self.channel_name)
        self.ticker = asyncio.ensure_future(self._ticking())

    async def _ticking(self) -> None:
        try:
            while True:
                waiting = not self.last_state or self.last_state.startswith(Status.WAITING)
                await asyncio.sleep(TICK_WAITING_SECONDS if waiting else TICK_ANSWERED_SECONDS)
                await self._tick()
        except asyncio.CancelledError:
            pass
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            await self._database_away()

    async def _tick(self, *, fresh: bool = False) -> None:
        """Tell the child where they are: their place in the queue, answered, or ended. `fresh`:
        read from the database (a push said the chat changed, or the socket has just begun);
        otherwise a waiting child's place comes from the process's queue snapshot when it was
        read since then and still shows them waiting: hundreds of waiting children's ticks cost
        no query and no thread each. One answered or ended is gone from the next snapshot, and
        the database is asked."""
        if self.session is None:
            return
        contact_id = self.session.conversation.contact_id
        if fresh:
            self.fresh_at = time.monotonic()
        elif not self.last_state or self.last_state.startswith(Status.WAITING):
            position = chat.waiting_position(contact_id, since=self.fresh_at)
            if position is not None:
                if f"waiting:{position}" != self.last_state:
                    await self._send({"type": "queue", "position": position})
                self.last_state = f"waiting:{position}"
                return
        state, position = await _db(chat.chat_state)(contact_id)
        if state == Status.WAITING:
            # No place yet (just arrived, or far down a long queue): say nothing rather than guess.
            if position is not None and f"waiting:{position}" != self.last_state:
                await self._send({"type": "queue", "position": position})
            self.last_state = f"waiting:{position}"
        elif state != self.last_state:
            self.last_state = state
            await self._send({"type": "answered" if state == Status.ACTIVE else "ended"})

    async def console_event(self, event: dict[str, Any]) -> None:
        if event.get("kind") == "message":
            await self._send(_message_frame(event["seq"], event["text"], "out", None))
        elif event.get("reason") in live.STATE_REASONS:
            await self._tick(fresh=True)  # answered or ended: tell the child now

    async def disconnect(self, code: int) -> None:
        if self.ticker is not None:
            self.ticker.cancel()
        if self.session is not None:
            try:
                if self.channel_layer is not None:
                    for group in self._groups():
                        await self.channel_layer.group_discard(group, self.channel_name)
            except Exception as exc:
                if not layer_unavailable(exc):  # Redis away: its memberships expire by themselves
                    raise
            finally:  # the chat must be marked disconnected even if the layer fails
                try:
                    if code == CLOSE_PAGE_GONE:
                        # The page was closed, reloaded or left: the chat's token lived only in
                        # its memory, so nobody can resume it. It ends now, not after a grace time.
                        await _db(chat.chat_leave)(self.session)
                    else:
                        await _db(chat.chat_disconnected)(self.session.pk)
                except Exception as exc:
                    if not database_unavailable(exc):
                        raise
                    log.warning("chat: the database is unavailable; the disconnect is not recorded")

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload, ensure_ascii=False))


def _message_frame(seq: int, text: str, direction: str, provider_id: str | None) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "message",
        "seq": seq,
        "text": text,
        "from": "you" if direction == "in" else "helpline",
    }
    if provider_id and ":" in provider_id:
        frame["id"] = provider_id.split(":", 1)[1]
    return frame
