from django.urls import path

from helpline.common.consumers import StaffPresenceConsumer

websocket_urlpatterns = [
    path("ws/staff/", StaffPresenceConsumer.as_asgi()),
]
