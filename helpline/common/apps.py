from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "helpline.common"
    label = "common"

    def ready(self) -> None:
        from django.core.signals import got_request_exception

        from helpline.common import blank_text
        from helpline.common.outage import note_request_exception

        blank_text.install()

        got_request_exception.connect(note_request_exception, dispatch_uid="helpline-database-outage")
