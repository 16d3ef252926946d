from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "helpline.common"
    label = "common"

    def ready(self) -> None:
        from django.core.signals import got_request_exception

        from helpline.common.outage import note_request_exception

        got_request_exception.connect(note_request_exception, dispatch_uid="helpline-database-outage")
