"""Demo people data (see helpline.demo.people). Run by seed_demo; refused unless HELPLINE_DEMO=1;
running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from helpline.demo.people import DemoPeopleError, create_demo_people


class Command(BaseCommand):
    help = "Create the demo people data (requires HELPLINE_DEMO=1 and the demo staff)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("Demo data is refused unless HELPLINE_DEMO=1 is set.")
        try:
            created = create_demo_people()
        except DemoPeopleError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            "Demo people already present." if created is None else f"Demo people created: {created}"
        )
