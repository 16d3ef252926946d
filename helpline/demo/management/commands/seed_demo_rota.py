"""Demo rota data (see helpline.demo.rota). Run by seed_demo; refused unless HELPLINE_DEMO=1;
running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from helpline.demo.rota import DemoRotaError, create_demo_rota


class Command(BaseCommand):
    help = "Create the demo rota data (requires HELPLINE_DEMO=1 and the demo staff)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("Demo data is refused unless HELPLINE_DEMO=1 is set.")
        try:
            created = create_demo_rota()
        except DemoRotaError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            "Demo rota already present." if created is None else f"Demo rota created: {created}"
        )
