from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "helpline.routing"
    label = "routing"
