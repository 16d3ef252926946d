"""Contact-level exports: the list's contacts as CSV or XLSX for those who may see them, through
the same visibility as the list; a data officer is refused; formulas are neutralised; each export
is audited with its filters and row count."""

from __future__ import annotations

import csv
import datetime as dt
import io
from unittest import mock

import openpyxl
import pytest

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.contacts import exports
from tests import report_factories as rf
from tests.conftest import signed_in_client
from tests.factories import persona

AT = dt.datetime(2026, 4, 2, 3, tzinfo=dt.UTC)
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def counsellors(db: None) -> tuple[Staff, Staff]:
    one = persona(Role.COUNSELLOR, username="c1")
    two = persona(Role.COUNSELLOR, username="c2")
    rf.enter(one, channel="voice", arrived_at=AT, kind="counselling", age=12, summary=FORMULA)
    rf.enter(one, channel="sms", arrived_at=AT, kind="information", summary="ordinary words")
    rf.enter(two, channel="voice", arrived_at=AT, kind="counselling", age=15, summary="@SUM(1+1)")
    return one, two


def _csv_rows(response: object) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))  # type: ignore[attr-defined]


def test_a_supervisor_exports_every_matching_contact_and_the_export_is_audited(
    counsellors: tuple[Staff, Staff],
) -> None:
    supervisor = persona(Role.SUPERVISOR, username="s")
    response = signed_in_client(supervisor).get("/contacts/export.csv", {"channel": "voice"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    rows = _csv_rows(response)
    assert sorted(r["counsellor"] for r in rows) == ["c1", "c2"] and {r["channel"] for r in rows} == {"voice"}
    event = AuditEvent.objects.get(action="contact.export")
    assert event.actor == supervisor
    assert event.detail == {"filters": {"channel": "voice"}, "rows": 2, "format": "csv"}


def test_a_case_manager_exports_every_matching_contact(counsellors: tuple[Staff, Staff]) -> None:
    rows = _csv_rows(signed_in_client(persona(Role.CASE_MANAGER, username="m")).get("/contacts/export.csv"))
    assert sorted(r["counsellor"] for r in rows) == ["c1", "c1", "c2"]
    assert AuditEvent.objects.get(action="contact.export").detail["rows"] == 3


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.VOLUNTEER, Role.ADMINISTRATOR, Role.DATA_OFFICER])
def test_other_roles_are_refused_and_nothing_is_exported(counsellors: tuple[Staff, Staff], role: str) -> None:
    """A file of contacts with their summaries leaves the system: a counsellor who handled them
    still reads them in the list, but does not take them away."""
    one, _two = counsellors
    staff = one if role == Role.COUNSELLOR else persona(role, username="x")
    client = signed_in_client(staff)
    for file_format in ("csv", "xlsx"):
        assert client.get(f"/contacts/export.{file_format}").status_code == 403
    assert "/contacts/export." not in client.get("/contacts/").content.decode()
    assert not AuditEvent.objects.filter(action="contact.export").exists()


def test_formulas_are_neutralised_in_the_csv_and_are_text_in_the_xlsx(
    counsellors: tuple[Staff, Staff],
) -> None:
    client = signed_in_client(persona(Role.SUPERVISOR, username="s"))
    summaries = {r["summary"] for r in _csv_rows(client.get("/contacts/export.csv"))}
    assert {"'" + FORMULA, "'@SUM(1+1)", "ordinary words"} == summaries
    response = client.get("/contacts/export.xlsx")
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    column = header.index("summary") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    assert {c.value for c in cells} == {FORMULA, "@SUM(1+1)", "ordinary words"}
    assert {c.data_type for c in cells} == {"s"}  # strings, never formulas
    assert AuditEvent.objects.filter(action="contact.export", detail__format="xlsx").count() == 1


def test_an_unknown_format_or_bad_filters_export_nothing(counsellors: tuple[Staff, Staff]) -> None:
    client = signed_in_client(persona(Role.SUPERVISOR, username="s"))
    assert client.get("/contacts/export.pdf").status_code == 404
    assert client.get("/contacts/export.csv", {"channel": "pigeon"}).status_code == 400
    with mock.patch.object(exports, "EXPORT_LIMIT", 2):
        response = client.get("/contacts/export.csv")
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="contact.export").exists()
