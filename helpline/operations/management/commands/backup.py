"""Write an encrypted backup of the database and the stored files while the system runs.

`--new-key` prints a fresh key and exits: keep it away from the backups (README, "Backups").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from helpline.operations.backup import BackupError, backup_write, default_output, load_key, new_key


class Command(BaseCommand):
    help = "Write an encrypted backup of the database and the stored files (MEDIA_ROOT)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--output", help="the backup file (default: <data dir>/backups/helpline-<time>.backup)"
        )
        parser.add_argument(
            "--key-file", help="a file holding the backup key (else HELPLINE_BACKUP_KEY[_FILE])"
        )
        parser.add_argument("--new-key", action="store_true", help="print a new backup key and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            self.stdout.write(new_key())
            return
        try:
            fernet = load_key(options["key_file"])
            output = Path(options["output"]) if options["output"] else default_output()
            summary = backup_write(output, fernet)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except (DatabaseError, OSError) as exc:
            raise CommandError(f"backup failed: {exc}") from None
        self.stdout.write(
            f"backup written: {summary.path} ({summary.engine} database {summary.database_bytes} bytes, "
            f"{summary.files} stored files {summary.file_bytes} bytes)"
        )
