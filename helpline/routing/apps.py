from typing import Any

from django.apps import AppConfig
from django.core.signals import request_started
from django.db.models.signals import post_delete, post_migrate, post_save


def _default_signals(sender: AppConfig, **kwargs: Any) -> None:
    from helpline.routing.default_signals import (
        ensure_default_signals,  # deferred: apps.py loads before models
    )

    ensure_default_signals()
    from helpline.routing.triage import forget_cached  # deferred: apps.py loads before models

    forget_cached()


class RoutingConfig(AppConfig):
    name = "helpline.routing"
    label = "routing"

    def ready(self) -> None:
        post_migrate.connect(_default_signals, sender=self, dispatch_uid="routing_default_signals")
        from helpline.contacts.selectors import RECORD_PANELS
        from helpline.routing.context import warm_up
        from helpline.routing.models import RiskSignal, RoutingSettings
        from helpline.routing.panels import triage_record_panel
        from helpline.routing.triage import forget_cached

        # A contact's record page (contacts, floors below) shows the triage box through this
        # provider: contacts never imports routing.
        if triage_record_panel not in RECORD_PANELS:
            RECORD_PANELS.append(triage_record_panel)

        request_started.connect(warm_up, dispatch_uid="routing-triage-model-warm-up")
        for model in (RiskSignal, RoutingSettings):
            post_save.connect(forget_cached, sender=model, dispatch_uid=f"forget-{model.__name__}")
            post_delete.connect(forget_cached, sender=model, dispatch_uid=f"forget-del-{model.__name__}")
