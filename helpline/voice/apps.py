from django.apps import AppConfig


class VoiceConfig(AppConfig):
    name = "helpline.voice"
    label = "voice"
