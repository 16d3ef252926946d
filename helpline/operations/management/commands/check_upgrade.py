from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.operations.upgrade import DEFAULT_LARGE_ROWS, upgrade_plan


class Command(BaseCommand):
    help = (
        "List the migrations an upgrade would run and warn before any that would lock a large table "
        "(type changes, indexes built without CONCURRENTLY, NOT NULL columns without a default, RunPython)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--large-rows",
            type=int,
            default=DEFAULT_LARGE_ROWS,
            help=f"a table with at least this many rows is large (default {DEFAULT_LARGE_ROWS})",
        )
        parser.add_argument("--strict", action="store_true", help="exit non-zero when there is a warning")

    def handle(self, *args: Any, **options: Any) -> None:
        steps = upgrade_plan(large_rows=options["large_rows"])
        if not steps:
            self.stdout.write("No migrations to apply.")
            return
        warnings = 0
        self.stdout.write(f"{len(steps)} migration(s) to apply:")
        for step in steps:
            self.stdout.write(f"  {step.app}.{step.name}")
            for risk in step.risks:
                where = f"{risk.table} ({risk.rows} rows)" if risk.table else "(no table named)"
                if risk.large:
                    warnings += 1
                    self.stdout.write(
                        self.style.WARNING(f"    WARNING {risk.operation} on {where}: {risk.why}")
                    )
                else:
                    self.stdout.write(f"    note: {risk.operation} on {where}: {risk.why}; small enough")
        if warnings:
            self.stdout.write(
                self.style.WARNING(
                    f"{warnings} operation(s) would lock a large table: plan a quiet hour or split the "
                    "migration (README, 'Upgrades without downtime')."
                )
            )
            if options["strict"]:
                raise CommandError(f"{warnings} locking operation(s) on large tables")
