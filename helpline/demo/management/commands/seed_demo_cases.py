"""Demo cases: a dozen children followed over weeks, in every state a case passes through. Run by
seed_demo; refused unless HELPLINE_DEMO=1; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from helpline.demo.cases import DemoCasesError, create_demo_cases, demo_cases_present
from helpline.demo.month import demo_contacts_present


class Command(BaseCommand):
    help = "Create demo cases from the demo contacts (requires HELPLINE_DEMO=1 and the demo staff)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("Demo data is refused unless HELPLINE_DEMO=1 is set.")
        if demo_cases_present():
            self.stdout.write("Demo cases already present.")
            return
        if not demo_contacts_present():
            # seed_demo runs the seed_demo_* commands in name order: cases come before contacts.
            call_command("seed_demo_contacts", stdout=self.stdout, stderr=self.stderr)
        try:
            created = create_demo_cases()
        except DemoCasesError as exc:
            raise CommandError(str(exc)) from exc
        if created is None:  # another run got there first
            self.stdout.write("Demo cases already present.")
        else:
            self.stdout.write(f"Demo cases created: {created}")
