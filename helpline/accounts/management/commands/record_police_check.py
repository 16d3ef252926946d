"""Record a police check from the shell: the way out when no vetted administrator is left."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from helpline.accounts import services
from helpline.accounts.models import Staff


class Command(BaseCommand):
    help = "Record a staff member's police check (issued, expires, who verified it)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--issued", required=True, help="YYYY-MM-DD")
        parser.add_argument("--expires", required=True, help="YYYY-MM-DD")
        parser.add_argument("--verified-by", required=True, help="username of the verifier")
        parser.add_argument("--reference", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            staff = Staff.objects.get(username=options["username"])
            verifier = Staff.objects.get(username=options["verified_by"])
            issued = dt.date.fromisoformat(options["issued"])
            expires = dt.date.fromisoformat(options["expires"])
            services.police_check_record(
                None,
                staff=staff,
                issued_on=issued,
                expires_on=expires,
                reference=options["reference"],
                verified_by=verifier,
            )
        except Staff.DoesNotExist as exc:
            raise CommandError("no staff member with that username") from exc
        except (ValueError, services.ServiceError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Recorded a police check for {staff.username}, valid until {expires}.")
