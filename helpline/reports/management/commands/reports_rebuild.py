"""Recompute the daily rollups from raw contact rows (after a restore, a term's CHI code changed,
or a contact deleted by hand). The scheduler keeps them current otherwise."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from helpline.reports.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute the daily statistics rollups from the contacts."

    def handle(self, *args: Any, **options: Any) -> None:
        count = rollups_rebuild()
        self.stdout.write(f"rollups rebuilt from {count} contacts")
