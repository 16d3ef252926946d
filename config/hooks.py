"""Gateway and PBX webhooks under /hooks/: each view lives with the app that owns the work (SMS with
conversations, calls with voice); channels/ holds only the providers' formats and signatures."""

from django.urls import path

from helpline.conversations import webhooks as sms
from helpline.voice import webhooks as voice

app_name = "hooks"

urlpatterns = [
    path("sms/kannel", sms.kannel_inbound, name="kannel"),
    path("sms/kannel/dlr", sms.kannel_delivery, name="kannel_dlr"),
    path("sms/twilio", sms.twilio_inbound, name="twilio"),
    path("sms/twilio/status", sms.twilio_status, name="twilio_status"),
    path("voice/events", voice.voice_events, name="voice_events"),
]
