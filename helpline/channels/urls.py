from django.urls import path

from helpline.channels import views, voice_http

app_name = "hooks"

urlpatterns = [
    path("sms/kannel", views.kannel_inbound, name="kannel"),
    path("sms/kannel/dlr", views.kannel_delivery, name="kannel_dlr"),
    path("sms/twilio", views.twilio_inbound, name="twilio"),
    path("sms/twilio/status", views.twilio_status, name="twilio_status"),
    path("voice/events", voice_http.voice_events, name="voice_events"),
]
