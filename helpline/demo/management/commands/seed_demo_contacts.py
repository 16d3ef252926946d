"""Demo contacts: a month of synthetic helpline traffic. Run by seed_demo after the demo staff exist;
refused unless HELPLINE_DEMO=1; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from helpline.demo.month import DemoDataError, create_demo_contacts, demo_contacts_present


class Command(BaseCommand):
    help = "Create a month of synthetic demo contacts (requires HELPLINE_DEMO=1 and the demo staff)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("Demo data is refused unless HELPLINE_DEMO=1 is set.")
        if demo_contacts_present():
            self.stdout.write("Demo contacts already present.")
            return
        try:
            created = create_demo_contacts()
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        if created is None:  # another run got there first
            self.stdout.write("Demo contacts already present.")
        else:
            self.stdout.write(f"Demo contacts created: {created}")
