from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The counsellor's workspace and the supervisor's wallboard: composes the panels of the apps below."""

    name = "helpline.console"
    label = "console"
