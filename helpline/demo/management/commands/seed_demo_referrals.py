"""Demo referrals: the demo cases referred to partners, one in every state, one overdue for
acknowledgement. Run by seed_demo; refused unless HELPLINE_DEMO=1; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from helpline.demo.cases import demo_cases_present
from helpline.demo.referrals import DemoReferralsError, create_demo_referrals, demo_referrals_present


class Command(BaseCommand):
    help = "Create demo referrals of the demo cases (requires HELPLINE_DEMO=1 and the demo staff)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("Demo data is refused unless HELPLINE_DEMO=1 is set.")
        if demo_referrals_present():
            self.stdout.write("Demo referrals already present.")
            return
        if not demo_cases_present():
            call_command("seed_demo_cases", stdout=self.stdout, stderr=self.stderr)
        try:
            created = create_demo_referrals()
        except DemoReferralsError as exc:
            raise CommandError(str(exc)) from exc
        if created is None:  # another run got there first
            self.stdout.write("Demo referrals already present.")
        else:
            self.stdout.write(f"Demo referrals created: {created}")
