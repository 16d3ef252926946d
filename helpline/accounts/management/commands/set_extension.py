"""Set or clear a staff member's phone extension from the shell (a PBX provisioning script)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from helpline.accounts import services
from helpline.accounts.models import Staff


class Command(BaseCommand):
    help = "Set the phone extension an active staff member answers calls on (--clear removes it)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("extension", nargs="?", default=None)
        parser.add_argument("--clear", action="store_true", help="remove the extension")

    def handle(self, *args: Any, **options: Any) -> None:
        extension = options["extension"]
        if (extension is None) == (not options["clear"]):
            raise CommandError("give an extension, or --clear")
        staff = Staff.objects.filter(username=options["username"], is_active=True).first()
        if staff is None:
            raise CommandError("no active staff member with that username")
        try:
            changed = services.staff_set_extension(
                "command:set_extension", staff=staff, extension="" if options["clear"] else extension
            )
        except services.ServiceError as exc:
            raise CommandError(str(exc)) from exc
        if not changed:
            self.stdout.write(f"{staff.username}: unchanged ({staff.extension or 'no extension'}).")
        elif staff.extension:
            self.stdout.write(f"{staff.username} answers calls on extension {staff.extension}.")
        else:
            self.stdout.write(f"{staff.username} has no extension now.")
