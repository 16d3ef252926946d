"""A new installation's first administrator can get through the gate from the shell."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from helpline.accounts.models import PoliceCheck, PolicyVersion, Role, Staff
from helpline.accounts.vetting import vetting_status
from helpline.audit.models import AuditEvent


def test_first_administrator_bootstrap(db: None, tmp_path: Path) -> None:
    admin = Staff.objects.create_superuser("root", "a long enough passphrase")
    assert admin.role == Role.ADMINISTRATOR
    policy_file = tmp_path / "policy.txt"
    policy_file.write_text("គោលនយោបាយការពារកុមារ", encoding="utf-8")
    call_command(
        "publish_policy", "--policy-version", "2026.1", "--file", str(policy_file), stdout=StringIO()
    )
    assert PolicyVersion.objects.get(version="2026.1").text == "គោលនយោបាយការពារកុមារ"
    call_command(
        "record_police_check",
        "root",
        "--issued",
        "2026-01-01",
        "--expires",
        "2028-01-01",
        "--verified-by",
        "root",
        stdout=StringIO(),
    )
    assert PoliceCheck.objects.filter(staff=admin).exists()
    reasons = [str(r) for r in vetting_status(admin).reasons]
    assert reasons == ["The current Child Protection Policy has not been signed."]
    assert AuditEvent.objects.filter(action="police_check.record").exists()


def test_bad_police_check_from_the_shell_changes_nothing(db: None) -> None:
    Staff.objects.create_superuser("root", "a long enough passphrase")
    with pytest.raises(CommandError):
        call_command(
            "record_police_check",
            "root",
            "--issued",
            "2026-01-01",
            "--expires",
            "2025-01-01",
            "--verified-by",
            "root",
        )
    with pytest.raises(CommandError):
        call_command(
            "record_police_check",
            "nobody",
            "--issued",
            "2026-01-01",
            "--expires",
            "2027-01-01",
            "--verified-by",
            "root",
        )
    assert not PoliceCheck.objects.exists()
