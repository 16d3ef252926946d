from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "helpline.common"
    label = "common"
