"""HTTP and websockets in one ASGI application.

Staff sockets accept only this site's origin; the chat socket also accepts the origins of the
websites that embed the chat widget (HELPLINE_CHAT_ORIGINS)."""

import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from config.websockets import chat_websocket_urlpatterns, has_route, staff_websocket_urlpatterns  # noqa: E402
from helpline.common.origins import ChatOriginValidator  # noqa: E402
from helpline.common.outage import database_unavailable  # noqa: E402

staff_sockets = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(staff_websocket_urlpatterns)))
chat_sockets = ChatOriginValidator(URLRouter(chat_websocket_urlpatterns))


async def refuse_unknown_path(
    receive: Callable[[], Awaitable[dict[str, Any]]], send: Callable[[dict[str, Any]], Awaitable[None]]
) -> None:
    """No socket lives here: closed before it is accepted (the server answers 403), as a page
    that does not exist answers 404, without a traceback."""
    message = await receive()
    if message["type"] == "websocket.connect":
        logging.getLogger("helpline.live").info("socket refused: no such path")
        await send({"type": "websocket.close", "code": 4404})


async def websockets(scope, receive, send):  # type: ignore[no-untyped-def]
    if not has_route(scope.get("path", "")):
        return await refuse_unknown_path(receive, send)
    try:
        if scope.get("path", "").startswith("/ws/chat/"):
            return await chat_sockets(scope, receive, send)
        return await staff_sockets(scope, receive, send)
    except Exception as exc:
        # The database is away (the staff socket's session is read before any consumer runs): close
        # with "try again later" instead of a traceback; the console and the widget connect again.
        if not database_unavailable(exc):
            raise
        logging.getLogger("helpline.live").warning("socket closed: the database is unavailable")
        with contextlib.suppress(Exception):  # it may be closed already
            await send({"type": "websocket.close", "code": 1013})


router = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websockets})


async def application(scope, receive, send):  # type: ignore[no-untyped-def]
    """The router, plus a lifespan (config/lifespan.py): while the server runs it prepares triage
    before the first request, relays the live events other processes stored when the channel layer
    is in memory, and runs the Asterisk connector, since a screen-pop must reach sockets held here."""
    if scope["type"] == "lifespan":
        from config.lifespan import lifespan

        return await lifespan(scope, receive, send)
    return await router(scope, receive, send)
