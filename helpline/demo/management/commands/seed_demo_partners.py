"""Demo partners: the referral directory in Phnom Penh, Siem Reap and Preah Sihanouk. Run by
seed_demo; refused unless HELPLINE_DEMO=1; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from helpline.demo.partners import DemoPartnersError, create_demo_partners, demo_partners_present


class Command(BaseCommand):
    help = "Create demo partners for the referral directory (requires HELPLINE_DEMO=1 and the demo staff)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("Demo data is refused unless HELPLINE_DEMO=1 is set.")
        if demo_partners_present():
            self.stdout.write("Demo partners already present.")
            return
        try:
            created = create_demo_partners()
        except DemoPartnersError as exc:
            raise CommandError(str(exc)) from exc
        if created is None:  # another run got there first
            self.stdout.write("Demo partners already present.")
        else:
            self.stdout.write(f"Demo partners created: {created}")
