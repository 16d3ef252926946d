from typing import Any

from django.core.management.base import BaseCommand, CommandError

from helpline.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; print the first broken link or the count of events."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if report.intact:
            self.stdout.write(f"audit chain intact: {report.count} events")
            return
        raise CommandError(f"audit chain broken at event {report.broken_seq}: {report.problem}")
