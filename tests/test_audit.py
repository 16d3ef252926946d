"""The audit trail: append-only, hash-chained, written in the same transaction, browsable by
supervisors and administrators (and that browsing is itself audited)."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AppendOnlyError, AuditEvent
from helpline.audit.selectors import audit_chain_verify
from helpline.audit.services import audit_record

ClientFor = Callable[[Staff], Client]


def write_events(n: int, actor: Staff | None = None) -> None:
    for i in range(n):
        audit_record(
            actor, action=AuditAction.TRAINING_RECORD, record_type="thing", record_id=i, detail={"i": i}
        )


def verify_output() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue().strip()


def test_each_event_links_to_the_one_before(db: None) -> None:
    write_events(5)
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert verify_output() == "audit chain intact: 5 events"


def test_an_event_records_actor_role_action_record_reason_time_and_address(
    counsellor: Staff, client_for: ClientFor
) -> None:
    client_for(counsellor).get("/audit/")  # refused: counsellors may not browse the audit trail
    event = AuditEvent.objects.filter(action="access.refused").latest("seq")
    assert event.actor == counsellor
    assert event.actor_label == "counsellor" and event.role == "counsellor"
    assert event.reason and event.at is not None
    assert event.client_ip == "127.0.0.1"


def test_events_cannot_be_edited_or_deleted_through_the_orm(db: None) -> None:
    write_events(1)
    event = AuditEvent.objects.get()
    event.reason = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_an_update_behind_the_orms_back(db: None) -> None:
    write_events(1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'tampered'")
    assert AuditEvent.objects.get().reason == ""


def _tamper(sql: str) -> None:
    """Simulate an attacker with database access who first disables the guard."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
            cursor.execute(sql)
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute(sql)


def test_verify_names_the_first_edited_event(db: None) -> None:
    write_events(6)
    _tamper("UPDATE audit_auditevent SET reason = 'nothing happened' WHERE seq = 3")
    report = audit_chain_verify()
    assert not report.intact and report.broken_seq == 3
    with pytest.raises(CommandError, match="broken at event 3"):
        call_command("audit_verify")


def test_verify_notices_a_deleted_event(db: None) -> None:
    write_events(6)
    _tamper("DELETE FROM audit_auditevent WHERE seq = 4")
    report = audit_chain_verify()
    assert not report.intact and report.broken_seq == 4


def test_verify_notices_the_last_events_removed(db: None) -> None:
    write_events(6)
    _tamper("DELETE FROM audit_auditevent WHERE seq >= 5")
    report = audit_chain_verify()
    assert not report.intact and report.broken_seq == 5


def test_audit_row_rolls_back_with_the_change_it_describes(db: None) -> None:
    write_events(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(None, action=AuditAction.POLICY_PUBLISH)
        raise RuntimeError("the write failed")
    assert not AuditEvent.objects.filter(action=AuditAction.POLICY_PUBLISH).exists()
    write_events(1)
    assert audit_chain_verify().intact


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain() -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            write_events(15)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = audit_chain_verify()
    assert report.intact and report.count == 60


def test_supervisor_browses_and_filters_and_browsing_is_audited(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    write_events(3, actor=counsellor)
    client = client_for(supervisor)
    page = client.get("/audit/", {"actor": "counsellor", "action": "training."})
    assert page.status_code == 200
    shown = list(page.context["page"])
    assert len(shown) == 3 and all(e.actor_label == "counsellor" for e in shown)
    browse = AuditEvent.objects.filter(action="audit.browse", actor=supervisor).latest("seq")
    assert browse.detail["actor"] == "counsellor"


def test_a_rows_number_time_and_address_keep_to_one_line(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    # At 1366 pixels the number column wrapped digit by digit ("29" over "0"): such cells carry a
    # class whose rule keeps them whole (tests/browser/test_small_things.py measures the page).
    from pathlib import Path

    from django.conf import settings

    write_events(1, actor=counsellor)
    event = AuditEvent.objects.latest("seq")
    page = client_for(supervisor).get("/audit/", {"action": "training."}).content.decode()
    assert f'<td class="nowrap">{event.seq}</td>' in page
    assert page.count('<td class="nowrap">') == 3  # number, time, IP address of the one row
    css = (Path(settings.BASE_DIR) / "helpline/static/helpline/helpline.css").read_text()
    rule = re.search(r"main :is\(td, th\)\.nowrap \{([^}]*)\}", css)
    assert rule is not None and "white-space: nowrap" in rule[1] and "tabular-nums" in rule[1]


def test_counsellor_may_not_browse_the_audit_trail(counsellor: Staff, client_for: ClientFor) -> None:
    assert client_for(counsellor).get("/audit/").status_code == 403


def test_no_page_edits_audit_rows(administrator: Staff, client_for: ClientFor) -> None:
    write_events(2)
    client = client_for(administrator)
    before = list(AuditEvent.objects.order_by("seq").values_list("hash", flat=True))
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/audit/", {"reason": "x"})
        assert response.status_code in {403, 405}
    after = list(AuditEvent.objects.order_by("seq").values_list("hash", flat=True))
    assert after[: len(before)] == before


def test_the_audit_page_names_record_types_in_the_readers_language(
    counsellor: Staff, client_for: ClientFor
) -> None:
    import uuid

    from helpline.accounts.models import Role
    from tests.factories import persona

    contact_id = uuid.uuid4()
    audit_record(counsellor, action=AuditAction.TRAINING_RECORD, record_type="contact", record_id=contact_id)
    audit_record(counsellor, action=AuditAction.TRAINING_RECORD, record_type="report")
    audit_record(counsellor, action=AuditAction.TRAINING_RECORD, record_type="thing", record_id=7)
    km = client_for(persona(Role.SUPERVISOR, username="km-supervisor", language="km"))
    page = km.get("/audit/", {"action": "training."}).content.decode()
    assert "<td>ការទាក់ទង <small" in page and str(contact_id) in page
    assert "<td>របាយការណ៍ </td>" in page
    assert "<td>thing <small" in page  # a type no one named, as stored
    assert "<td>contact " not in page and "<td>report " not in page


def test_every_record_type_the_code_writes_has_a_name() -> None:
    """A type written into the trail but not named in audit.labels shows on the audit page as its
    code ('api_token', 'data_request') in either language."""
    import re
    from pathlib import Path

    from helpline.audit.labels import RECORD_TYPES
    from helpline.conversations.settings_services import ADDABLE, REMOVABLE

    root = Path(__file__).resolve().parent.parent / "helpline"
    written = {
        found
        for path in root.rglob("*.py")
        for found in re.findall(r'record_type="([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    assert {"contact", "api_token", "data_request", "shift_pattern"} <= written
    assert written | set(ADDABLE) | set(REMOVABLE) <= set(RECORD_TYPES)
