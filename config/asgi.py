"""HTTP and websockets in one ASGI application.

Staff sockets accept only this site's origin; the chat socket also accepts the origins of the
websites that embed the chat widget (HELPLINE_CHAT_ORIGINS)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from config.websockets import chat_websocket_urlpatterns, staff_websocket_urlpatterns  # noqa: E402

staff_sockets = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(staff_websocket_urlpatterns)))
chat_sockets = OriginValidator(
    URLRouter(chat_websocket_urlpatterns), [*settings.ALLOWED_HOSTS, *settings.CHAT_ORIGINS]
)


async def websockets(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope.get("path", "").startswith("/ws/chat/"):
        return await chat_sockets(scope, receive, send)
    return await staff_sockets(scope, receive, send)


router = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websockets})


async def application(scope, receive, send):  # type: ignore[no-untyped-def]
    """The router, plus a lifespan that runs the Asterisk connector inside this process when the
    channel layer is in memory: a screen-pop must reach sockets held by this same process."""
    if scope["type"] == "lifespan":
        from helpline.voice.in_process import lifespan

        return await lifespan(scope, receive, send)
    return await router(scope, receive, send)
