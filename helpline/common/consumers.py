"""Websocket base: the same gate as pages. A socket is accepted only for a signed-in staff member
who completed the second factor and passes the safeguarding gate; otherwise it is closed."""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django_otp import DEVICE_ID_SESSION_KEY

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.accounts.vetting import vetting_status
from helpline.conversations import live

CLOSE_REFUSED = 4403


class DirectDispatch:
    """Hands each frame and pushed event straight to its handler. Channels first runs
    close_old_connections on the one shared database thread for every message; with hundreds of
    sockets that queue alone delays every event. Consumers using this touch the database only
    through database_sync_to_async, which closes stale connections itself."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)


class StaffConsumer(DirectDispatch, AsyncJsonWebsocketConsumer):
    permission: Permission = Permission.HOME
    staff: Staff

    @staticmethod
    def _allowed(staff: Any, session: Any, permission: Permission) -> bool:
        if not isinstance(staff, Staff) or not staff.is_active:
            return False
        if session is None or not session.get(DEVICE_ID_SESSION_KEY):
            return False
        return not vetting_status(staff).blocked and role_has(staff.role, permission)

    async def connect(self) -> None:
        staff = self.scope.get("user")
        allowed = await database_sync_to_async(self._allowed)(
            staff, self.scope.get("session"), self.permission
        )
        if not allowed:
            await self.close(code=CLOSE_REFUSED)
            return
        self.staff = staff
        await self.accept()
        await self.on_connected()

    async def on_connected(self) -> None:
        """Subclasses join their groups here."""


class StaffPresenceConsumer(StaffConsumer):
    """/ws/staff/: the console's live channel: greets, answers pings, and relays console events
    (to console users) and personal events (to this staff member)."""

    groups_joined: list[str]

    async def on_connected(self) -> None:
        self.groups_joined = [live.staff_group(self.staff.pk)]
        if role_has(self.staff.role, Permission.CONSOLE):  # a table look-up, no database
            self.groups_joined.append(live.CONSOLE_GROUP)
        if role_has(self.staff.role, Permission.WALLBOARD):
            self.groups_joined.append(live.SUPERVISORS_GROUP)
        if self.channel_layer is not None:
            for group in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "hello", "username": self.staff.username})

    async def disconnect(self, code: int) -> None:
        if self.channel_layer is not None:
            for group in getattr(self, "groups_joined", []):
                await self.channel_layer.group_discard(group, self.channel_name)

    async def console_event(self, event: dict[str, Any]) -> None:
        await self.send_json({k: v for k, v in event.items() if k != "type"} | {"type": "console.event"})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
