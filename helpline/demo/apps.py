from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and traffic simulators. Installed only with HELPLINE_DEMO=1 (config/settings.py),
    so its commands (seed_demo, seed_demo_*, simulate) exist only on a demo; no other app imports it."""

    name = "helpline.demo"
    label = "demo"

    def ready(self) -> None:
        from helpline.channels.registry import use_stand_in
        from helpline.demo.gateway import DemoGateway

        # Replies with no gateway able to send are kept on this machine instead of failing.
        use_stand_in(DemoGateway)
