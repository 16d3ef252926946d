"""Websocket base: the same gate as pages. A socket is accepted only for a signed-in staff member
who completed the second factor and passes the safeguarding gate; otherwise it is closed.

And it stays behind the gate while open: the moment the person's vetting lapses it hears nothing
more and closes. A lapse by the calendar (a police check's last day ends, a published policy takes
effect) is known in advance: the socket holds that moment, checks it before every event (no query)
and wakes at it. Any other change is a write that announces itself (accounts.signals.access_changed:
a new policy, a deactivation or new role, signing out everywhere, a reset authenticator) and the
socket checks again at once. A check every RECHECK_SECONDS catches what no write announced here (a
change made by another process without a shared channel layer, or straight in the database)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY

from helpline.accounts.access import safeguarding_refused
from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.accounts.vetting import vetting_holds_until
from helpline.common import live
from helpline.common.sockets import DirectDispatch
from helpline.common.text import is_identifier
from helpline.conversations.console_reply import ReplyRefused, console_reply

CLOSE_REFUSED = 4403
CLOSE_UNSUPPORTED, CLOSE_TOO_BIG, CLOSE_BAD = 1003, 1009, 4400
MAX_STAFF_FRAME = 8192  # a reply of 1000 characters, escaped, fits
RECHECK_SECONDS, RETRY_SECONDS = 60.0, 5.0

log = logging.getLogger("helpline.live")


class StaffConsumer(DirectDispatch, AsyncJsonWebsocketConsumer):
    permission: Permission = Permission.HOME
    staff: Staff
    holds_until: dt.datetime | None = None  # when vetting lapses by the calendar, unless renewed
    ended = False
    watcher: asyncio.Task[None] | None = None

    @staticmethod
    def _allowed(staff: Any, session: Any, permission: Permission, *, client_ip: str | None, on: str) -> bool:
        """Signed in with both factors, allowed this, and through the safeguarding gate (a refusal
        there is audited, as on a page)."""
        if not isinstance(staff, Staff) or not staff.is_active:
            return False
        if session is None or not session.get(DEVICE_ID_SESSION_KEY):
            return False
        if not role_has(staff.role, permission):
            return False
        detail = {"path": "/ws/staff/", "method": on}
        return not safeguarding_refused(staff, detail=detail, client_ip=client_ip)

    @classmethod
    def _admit(
        cls, staff: Any, session: Any, permission: Permission, *, client_ip: str | None
    ) -> tuple[bool, dt.datetime | None]:
        if not cls._allowed(staff, session, permission, client_ip=client_ip, on="connect"):
            return False, None
        return True, vetting_holds_until(staff)

    def _client_ip(self) -> str | None:
        return (self.scope.get("client") or (None, None))[0]  # uvicorn applies --proxy-headers here

    def _session_key(self) -> str | None:
        return getattr(self.scope.get("session"), "session_key", None)

    async def connect(self) -> None:
        staff = self.scope.get("user")
        allowed, self.holds_until = await database_sync_to_async(self._admit)(
            staff, self.scope.get("session"), self.permission, client_ip=self._client_ip()
        )
        if not allowed:
            await self.close(code=CLOSE_REFUSED)
            return
        self.staff = staff
        await self.accept()
        await self.on_connected()
        self.watcher = asyncio.ensure_future(self._watch())

    async def on_connected(self) -> None:
        """Subclasses join their groups here."""

    async def on_access_ended(self) -> None:
        """Subclasses leave their groups here."""

    async def still_open(self) -> bool:
        """Before anything is sent: False once this person's access has ended. Costs a comparison
        of clocks, unless the calendar says their vetting may just have lapsed."""
        if self.ended:
            return False
        if self.holds_until is not None and timezone.now() >= self.holds_until:
            return await self.check_again()
        return True

    async def check_again(self) -> bool:
        """The person afresh (session, account, role, vetting); the socket ends if they may no
        longer have it, or if their role changed (their console reconnects and hears what the new
        role hears)."""
        if self.ended:
            return False
        found = await database_sync_to_async(_readmit, thread_sensitive=False)(
            self.staff.pk, self._session_key(), self.permission, self._client_ip()
        )
        if found is None or found[0].role != self.staff.role:
            await self._end()
            return False
        self.holds_until = found[1]
        await self.on_rechecked()
        return True

    async def on_rechecked(self) -> None:
        """Subclasses renew their group memberships here: a channel layer drops a membership after
        its group_expiry (a day), and a console on a 24-hour floor may stay open longer."""

    async def _end(self) -> None:
        self.ended = True
        await self.on_access_ended()
        with translation.override(self.staff.language):
            message = _("You are signed out, or your vetting is not current. Reload the page.")
        await self.send_json({"type": "access.ended", "message": str(message)})
        await self.close(code=CLOSE_REFUSED)
        if self.watcher is not None and self.watcher is not asyncio.current_task():
            self.watcher.cancel()

    async def _watch(self) -> None:
        """Wake when vetting lapses by the calendar (and every RECHECK_SECONDS) to check again."""
        while not self.ended:
            wait = RECHECK_SECONDS
            if self.holds_until is not None:
                wait = min(wait, (self.holds_until - timezone.now()).total_seconds())
            try:
                await asyncio.sleep(max(0.0, wait))
                if not await self.check_again():
                    return
            except asyncio.CancelledError:
                return
            except Exception:  # the database may be away: try again shortly (or at the next event)
                log.warning("staff socket re-check failed", exc_info=False)
                try:
                    await asyncio.sleep(RETRY_SECONDS)
                except asyncio.CancelledError:
                    return

    async def disconnect(self, code: int) -> None:
        if self.watcher is not None:
            self.watcher.cancel()


class StaffPresenceConsumer(StaffConsumer):
    """/ws/staff/: the console's live channel: greets, answers pings, and relays console events
    (to console users) and personal events (to this staff member)."""

    groups_joined: list[str]

    async def on_connected(self) -> None:
        self.groups_joined = [live.staff_group(self.staff.pk), live.STAFF_GROUP]
        if role_has(self.staff.role, Permission.CONSOLE):  # a table look-up, no database
            self.groups_joined.append(live.CONSOLE_GROUP)
        if role_has(self.staff.role, Permission.WALLBOARD):
            self.groups_joined.append(live.SUPERVISORS_GROUP)
        if self.channel_layer is not None:
            for group in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "hello", "username": self.staff.username})

    async def on_access_ended(self) -> None:
        await self._leave_groups()

    async def on_rechecked(self) -> None:
        if self.channel_layer is not None:
            for group in getattr(self, "groups_joined", []):
                await self.channel_layer.group_add(group, self.channel_name)

    async def _leave_groups(self) -> None:
        groups, self.groups_joined = getattr(self, "groups_joined", []), []
        if self.channel_layer is not None:
            for group in groups:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        await self._leave_groups()

    async def console_event(self, event: dict[str, Any]) -> None:
        if event.get("reason") == live.ACCESS_CHANGED:
            await self.check_again()
            return
        if not await self.still_open():
            return
        await self.send_json({k: v for k, v in event.items() if k != "type"} | {"type": "console.event"})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.ended:
            return
        if text_data is None:
            log.warning("staff frame refused: binary")
            await self.close(code=CLOSE_UNSUPPORTED)
            return
        if len(text_data) > MAX_STAFF_FRAME:
            log.warning("staff frame refused: too large")
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            log.warning("staff frame refused: not json")
            await self.close(code=CLOSE_BAD)
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "reply":
            await self._reply(content)

    async def _reply(self, frame: dict[str, Any]) -> None:
        """A reply written in the console, sent over this socket: no page request per message.
        Checked as a form post would be, at the time of each reply: the person is still active,
        signed in, vetted and allowed the console, and the contact is theirs to write to."""
        ref, contact, text = frame.get("id"), frame.get("contact"), frame.get("text")
        if not isinstance(ref, str | int) or len(str(ref)) > 64 or not is_identifier(str(ref)):
            await self.send_json({"type": "reply.refused", "id": None, "reason": "bad frame"})
            return
        if not isinstance(contact, str) or not isinstance(text, str):
            await self.send_json({"type": "reply.refused", "id": ref, "reason": "bad frame"})
            return
        try:
            outcome = await database_sync_to_async(_socket_reply, thread_sensitive=False)(
                self.staff.pk, self._session_key(), contact, text, self._client_ip()
            )
        except Exception as exc:  # logged without the text; the counsellor keeps it and may retry
            log.error("staff reply failed: %s", type(exc).__name__)
            await self.send_json({"type": "reply.refused", "id": ref, "reason": "error"})
            return
        if outcome is None:  # no longer allowed at all: as a page would redirect, the socket ends
            with translation.override(self.staff.language):
                message = _("You are signed out, or your vetting is not current. Reload the page.")
            await self.send_json(
                {"type": "reply.refused", "id": ref, "reason": "signed out", "message": str(message)}
            )
            self.ended = True
            await self._leave_groups()
            await self.close(code=CLOSE_REFUSED)
            return
        await self.send_json({"type": f"reply.{outcome[0]}", "id": ref, **outcome[1]})


def _socket_reply(
    staff_id: Any, session_key: str | None, contact_id: str, text: str, client_ip: str | None
) -> tuple[str, dict[str, Any]] | None:
    """("sent", {seq}) or ("refused", {reason, message}); None when the person may no longer use
    the console at all."""
    staff = _still_allowed(staff_id, session_key, Permission.CONSOLE, client_ip=client_ip)
    if staff is None:
        return None
    with translation.override(staff.language):
        try:
            message = console_reply(staff, contact_id, text, client_ip=client_ip)
        except Http404:
            log.warning("staff reply refused: contact not found or not theirs")
            return "refused", {
                "reason": "not found",
                "message": str(_("This contact is not yours to reply to.")),
            }
        except ReplyRefused as refused:
            return "refused", {"reason": "invalid", "message": str(refused.message)}
    return "sent", {"seq": message.seq, "contact": contact_id}


def _readmit(
    staff_id: Any, session_key: str | None, permission: Permission, client_ip: str | None
) -> tuple[Staff, dt.datetime | None] | None:
    """The person afresh and when their vetting lapses by the calendar; None if no longer allowed."""
    staff = _still_allowed(staff_id, session_key, permission, client_ip=client_ip, on="recheck")
    return None if staff is None else (staff, vetting_holds_until(staff))


def _still_allowed(
    staff_id: Any,
    session_key: str | None,
    permission: Permission,
    *,
    client_ip: str | None = None,
    on: str = "reply",
) -> Staff | None:
    """The person afresh from their session, as a page would find them: Django's own check of the
    session (signing out, signing out everywhere, a new password or a reset second factor end it),
    then the same gate as at connect."""
    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore
    request = SimpleNamespace(session=store(session_key))  # all that get_user reads
    staff = auth.get_user(request)  # type: ignore[arg-type]
    if not isinstance(staff, Staff) or staff.pk != staff_id:
        return None
    allowed = StaffConsumer._allowed(staff, request.session, permission, client_ip=client_ip, on=on)
    return staff if allowed else None
