"""Bring stored summary search words to today's normal form (after an upgrade that changed it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.contacts.models import Contact
from helpline.contacts.search_index import BATCH, REBUILDERS, rebuild_search_text


class Command(BaseCommand):
    help = (
        "Rebuild contacts' (and partners') search words in batches. The migration that changed the "
        "normal form already renormalised the stored words; --resegment segments every summary again "
        "(exact; about 1 ms a row)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--resegment", action="store_true")
        parser.add_argument("--batch", type=int, default=BATCH)

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(seen: int, changed: int) -> None:
            if seen % (options["batch"] * 25) == 0:
                self.stdout.write(f"{seen} rows read, {changed} changed")

        changed = rebuild_search_text(
            Contact, resegment=options["resegment"], batch=options["batch"], progress=progress
        )
        others = dict(rebuild() for rebuild in REBUILDERS)  # partners, and any other app's
        audit_record(
            "maintenance",
            action=AuditAction.CONTACTS_SEARCH_TEXT_REBUILD,
            detail={"changed": changed, "resegment": bool(options["resegment"]), **others},
        )
        self.stdout.write(f"Search words rebuilt: {changed} rows changed.")
        for name, count in others.items():
            self.stdout.write(f"{name}: {count} rows changed.")
