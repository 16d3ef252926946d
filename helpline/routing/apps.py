from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _default_signals(sender: AppConfig, **kwargs: Any) -> None:
    from helpline.routing.default_signals import ensure_default_signals

    ensure_default_signals()


class RoutingConfig(AppConfig):
    name = "helpline.routing"
    label = "routing"

    def ready(self) -> None:
        post_migrate.connect(_default_signals, sender=self, dispatch_uid="routing_default_signals")
