from django.apps import AppConfig


class RotaConfig(AppConfig):
    name = "helpline.rota"
    label = "rota"

    def ready(self) -> None:
        # A change to someone's vetting (accounts, a floor below, announces it) takes a lapsed
        # person off their future shifts at once; the scheduler's sweep catches lapses by the calendar.
        from helpline.accounts.signals import access_changed
        from helpline.rota.services import on_access_changed

        access_changed.connect(on_access_changed, dispatch_uid="rota-vetting-lapse")
