from django.urls import path

from helpline.console.consumers import StaffPresenceConsumer
from helpline.conversations.consumers import ChatConsumer

staff_websocket_urlpatterns = [
    path("ws/staff/", StaffPresenceConsumer.as_asgi()),
]
chat_websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi()),
]
websocket_urlpatterns = staff_websocket_urlpatterns + chat_websocket_urlpatterns


def has_route(path: str) -> bool:
    """Whether a socket path reaches a consumer (URLRouter raises for any other, a 500 and a traceback)."""
    return any(pattern.pattern.match(path.removeprefix("/")) for pattern in websocket_urlpatterns)
