"""Demo feedback and complaints, one in every state, and survey answers. Run by seed_demo;
refused unless HELPLINE_DEMO=1; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from helpline.demo.feedback import DemoFeedbackError, create_demo_feedback, demo_feedback_present
from helpline.demo.partners import demo_partners_present


class Command(BaseCommand):
    help = (
        "Create demo feedback, complaints and survey answers (requires HELPLINE_DEMO=1 and the demo staff)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("Demo data is refused unless HELPLINE_DEMO=1 is set.")
        if demo_feedback_present():
            self.stdout.write("Demo feedback already present.")
            return
        if not demo_partners_present():
            call_command("seed_demo_partners", stdout=self.stdout, stderr=self.stderr)
        try:
            created = create_demo_feedback()
        except DemoFeedbackError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            "Demo feedback already present." if created is None else f"Demo feedback created: {created}"
        )
