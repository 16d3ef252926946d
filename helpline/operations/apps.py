from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "helpline.operations"
    label = "operations"
