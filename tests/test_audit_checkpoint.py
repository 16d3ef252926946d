"""The audit trail's own retention: its oldest events go at a checkpoint and the rest of the chain
still verifies; a checkpoint that the chain did not record, or a gap after it, is reported."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditCheckpoint, AuditEvent
from helpline.audit.selectors import audit_chain_verify
from helpline.audit.services import audit_checkpoint, audit_record
from helpline.operations.models import RetentionPolicy
from helpline.operations.retention import retention_run


def events(n: int, actor: Staff) -> list[AuditEvent]:
    return [audit_record(actor, action=AuditAction.CONTACT_SEARCH, detail={"i": i}) for i in range(n)]


def test_a_checkpoint_removes_the_oldest_events_and_the_chain_still_verifies(administrator: Staff) -> None:
    old = events(5, administrator)
    cut = timezone.now()
    kept = events(3, administrator)
    checkpoint = audit_checkpoint("scheduler:retention", before=cut)
    assert checkpoint is not None and checkpoint.seq == old[-1].seq
    assert not AuditEvent.objects.filter(seq__lte=checkpoint.seq).exists()
    assert AuditEvent.objects.filter(seq__in=[e.seq for e in kept]).count() == 3
    report = audit_chain_verify()
    assert report.intact, report
    mark = AuditEvent.objects.get(action="audit.checkpoint")
    assert mark.detail == {"seq": checkpoint.seq, "hash": checkpoint.hash, "removed": checkpoint.removed}
    # A gap after the checkpoint is still caught.
    if connection.vendor == "sqlite":  # PostgreSQL refuses the delete itself (below)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [kept[0].seq])
        assert not audit_chain_verify().intact


def test_a_checkpoint_the_chain_did_not_record_is_reported(administrator: Staff) -> None:
    written = events(4, administrator)
    AuditCheckpoint.objects.create(seq=written[1].seq, hash=written[1].hash, at=timezone.now(), removed=2)
    report = audit_chain_verify()
    assert not report.intact and "checkpoint" in report.problem


def test_nothing_to_remove_makes_no_checkpoint(administrator: Staff) -> None:
    events(2, administrator)
    assert audit_checkpoint("scheduler:retention", before=timezone.now() - dt.timedelta(days=1)) is None
    assert not AuditCheckpoint.objects.exists()


def test_retention_keeps_the_audit_trail_for_its_own_period(administrator: Staff) -> None:
    events(3, administrator)
    RetentionPolicy.objects.get_or_create(pk=1)
    run = retention_run(now=timezone.now() + dt.timedelta(days=9 * 365))  # inside the 10 years
    assert run.audit_events == 0 and not AuditCheckpoint.objects.exists()
    RetentionPolicy.objects.update(audit_days=8 * 365)
    run = retention_run(now=timezone.now() + dt.timedelta(days=9 * 365))
    assert run.audit_events > 0 and audit_chain_verify().intact


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigger")
def test_postgresql_refuses_to_delete_an_event_above_the_checkpoint(administrator: Staff) -> None:
    from django.db import DatabaseError, transaction

    written = events(3, administrator)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [written[0].seq])
