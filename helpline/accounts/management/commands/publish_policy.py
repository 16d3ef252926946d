"""Publish a Child Protection Policy version from the shell (first set-up, before anyone is vetted)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from helpline.accounts import services
from helpline.accounts.models import PolicyVersion


class Command(BaseCommand):
    help = "Publish a Child Protection Policy version from a text file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--policy-version", dest="policy_version", required=True)
        parser.add_argument("--title", default="Child Protection Policy")
        parser.add_argument("--file", required=True, help="UTF-8 text of the policy")
        parser.add_argument("--effective", help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        if PolicyVersion.objects.filter(version=options["policy_version"]).exists():
            raise CommandError(f"version {options['policy_version']} already exists")
        try:
            text = Path(options["file"]).read_text(encoding="utf-8")
            effective = (
                dt.date.fromisoformat(options["effective"]) if options["effective"] else timezone.localdate()
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        policy = services.policy_publish(
            None,
            version=options["policy_version"],
            title=options["title"],
            text=text,
            effective_date=effective,
        )
        self.stdout.write(f"Published {policy.version}, in effect from {policy.effective_date}.")
