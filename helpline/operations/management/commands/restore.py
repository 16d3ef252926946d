"""Bring an encrypted backup back into an empty installation, then check the audit chain.

Stop the server, the worker and the scheduler first. A wrong key, a damaged or cut-short file is
refused before anything is replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from helpline.audit.selectors import audit_chain_verify
from helpline.operations.backup import BackupError, backup_restore, load_key


class Command(BaseCommand):
    help = "Restore a backup written by `manage.py backup` into an empty installation."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--key-file", help="a file holding the backup key (else HELPLINE_BACKUP_KEY[_FILE])"
        )
        parser.add_argument(
            "--force", action="store_true", help="replace a database and stored files that already hold data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            fernet = load_key(options["key_file"])
            summary = backup_restore(Path(options["file"]), fernet, force=options["force"])
            report = audit_chain_verify()
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except (DatabaseError, OSError) as exc:
            raise CommandError(f"restore failed: {exc}") from None
        self.stdout.write(
            f"restored the {summary.engine} backup of {summary.created} with {summary.files} stored files"
        )
        if summary.moved_aside:
            self.stdout.write(f"the stored files that were here are kept in {summary.moved_aside}")
        if not report.intact:
            raise CommandError(
                f"restored, but the audit chain is broken at event {report.broken_seq}: {report.problem}"
            )
        self.stdout.write(f"audit chain intact: {report.count} events")
        self.stdout.write("next: `manage.py migrate` if this code is newer than the backup")
