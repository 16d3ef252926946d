"""check_upgrade lists the migrations an upgrade would run and warns before those that would lock a
large table, with the row counts (a fake migration module stands in for the next release)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from helpline.operations.models import JobLease

FAKE = {"operations": "tests.upgrade_migrations.operations"}


def run(*args: str) -> str:
    out = StringIO()
    call_command("check_upgrade", *args, stdout=out)
    return out.getvalue()


def leases(n: int) -> None:
    JobLease.objects.bulk_create(JobLease(name=f"job-{i}", expires_at=timezone.now()) for i in range(n))


def test_an_installation_up_to_date_has_nothing_to_apply(db: None) -> None:
    assert "No migrations to apply." in run()


@override_settings(MIGRATION_MODULES=FAKE)
def test_each_locking_operation_on_a_large_table_is_warned_about_with_its_rows(db: None) -> None:
    leases(30)
    out = run("--large-rows", "25")
    assert "operations.0003_risky_changes" in out
    warnings = [line.strip() for line in out.splitlines() if "WARNING" in line and " on " in line]
    assert len(warnings) == 7, out
    assert all("operations_joblease (30 rows)" in line for line in warnings)
    kinds = " ".join(warnings)
    assert "AlterField" in kinds and "column's type" in kinds
    assert "AddIndex" in kinds and "CONCURRENTLY" in kinds
    assert "AddField" in kinds and "NOT NULL" in kinds
    assert "RunPython" in kinds
    # The indexes that come with a field: a foreign key, a unique column, a column made indexed.
    assert "operations.0004_indexes_that_come_with_fields" in out
    assert kinds.count("CONCURRENTLY") == 4 and kinds.count("AlterField") == 2
    # A nullable column and a concurrent index lock nothing for long: not mentioned at all.
    assert "AddIndexConcurrently" not in out and "AddField on operations_retentionrun" not in out
    # RunPython names no model: every table the migration touches is listed (this one is empty).
    assert "note: RunPython on operations_retentionrun (0 rows)" in out


@override_settings(MIGRATION_MODULES=FAKE)
def test_small_tables_get_a_note_not_a_warning(db: None) -> None:
    leases(3)
    out = run("--large-rows", "25")
    assert "WARNING" not in out and out.count("small enough") == 8


@override_settings(MIGRATION_MODULES=FAKE)
def test_strict_mode_fails_on_a_warning(db: None) -> None:
    leases(30)
    with pytest.raises(CommandError, match="7 locking"):
        run("--large-rows", "25", "--strict")
