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
