"""The statistics API: who may call it, what it answers (counts only), the CHI export's layout,
folding and suppression, and bad input refused with a 4xx."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]
from django.test import Client
from django.utils import timezone
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from helpline.accounts.models import Role, Staff
from helpline.accounts.services import api_token_create
from helpline.audit.models import AuditEvent
from helpline.contacts.models import Term
from helpline.reports.rollups import rollups_refresh
from tests import report_factories as rf
from tests.conftest import signed_in_client
from tests.factories import persona
from tests.test_api_fuzz import FUZZ, keep_test_connection, schema

__all__ = ["keep_test_connection"]
UTC = dt.UTC
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def year_of_contacts(db: None) -> Staff:
    counsellor = persona(Role.COUNSELLOR, username="c")
    at = dt.datetime(2025, 6, 1, 3, tzinfo=UTC)
    for i in range(12):
        rf.enter(
            counsellor,
            channel="voice",
            arrived_at=at,
            kind="counselling",
            gender="female",
            age=14,
            reasons=["violence.physical"],
            summary="ខ្ញុំឈ្មោះ Dara SECRET",
            address=f"tel:+8551200{i:04d}",
        )
    for _ in range(3):
        rf.enter(
            counsellor,
            channel="sms",
            arrived_at=at,
            kind="counselling",
            gender="male",
            age=16,
            reasons=["trafficking.forced_labour"],
        )
    for kind in ["silent", "hang_up", "prank"]:
        rf.enter(counsellor, channel="voice", arrived_at=at, kind=kind)
    # New Year's Eve in Phnom Penh is still 2025 at 23:30 local (16:30 UTC), 2026 at 00:30.
    rf.enter(
        counsellor,
        channel="webchat",
        arrived_at=dt.datetime(2025, 12, 31, 16, 30, tzinfo=UTC),
        kind="information",
    )
    rf.enter(
        counsellor,
        channel="webchat",
        arrived_at=dt.datetime(2025, 12, 31, 17, 30, tzinfo=UTC),
        kind="information",
    )
    rollups_refresh()
    return counsellor


def _token(scopes: list[str]) -> dict[str, str]:
    _t, raw = api_token_create(None, name="t", scopes=scopes)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize("role", list(Role))
def test_summary_is_for_statistics_roles_only(role: Role, year_of_contacts: Staff) -> None:
    client = signed_in_client(persona(role, username=f"r-{role}"))
    response = client.get("/api/v1/reports/summary", {"from": "2025-01-01", "to": "2025-12-31"})
    allowed = role in {Role.SUPERVISOR, Role.DATA_OFFICER, Role.ADMINISTRATOR}
    assert response.status_code == (200 if allowed else 403)


def test_a_data_officer_gets_the_headline_counts_and_nothing_identifying(year_of_contacts: Staff) -> None:
    client = signed_in_client(persona(Role.DATA_OFFICER, username="d"))
    response = client.get("/api/v1/reports/summary", {"from": "2025-01-01", "to": "2025-12-31"})
    body = response.json()
    current = body["current"]
    assert current["contacts"] == 12 + 3 + 3 + 1
    assert current["counselling"] == 16 and current["non_counselling"] == 3
    assert current["by_channel"] == {"voice": 15, "sms": 3, "webchat": 1}
    assert current["by_kind"]["hang_up"] == 1 and current["by_kind"]["prank"] == 1
    # Calls are the phone calls only (the SMS and the chat are contacts, not calls offered).
    assert current["calls"]["offered"] == 15 and current["calls"]["abandoned"] == 0
    assert body["previous"]["date_to"] == "2024-12-31" and body["previous"]["contacts"] == 0
    assert not UUID.search(response.content.decode()) and "SECRET" not in response.content.decode()


def test_a_token_needs_the_statistics_scope(year_of_contacts: Staff) -> None:
    query = {"from": "2026-01-01", "to": "2026-01-01"}
    ok = Client().get("/api/v1/reports/summary", query, **_token(["statistics:read"]))
    assert ok.status_code == 200 and ok.json()["current"]["contacts"] == 1
    refused = Client().get("/api/v1/reports/summary", query, **_token(["contacts:read"]))
    assert refused.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"from": "2025-01-01"},
        {"from": "2025-13-01", "to": "2025-12-31"},
        {"from": "yesterday", "to": "2025-12-31"},
        {"from": "1700000000", "to": "2025-12-31"},
        {"from": "2025-12-31", "to": "2025-01-01"},
        {"from": "1999-12-31", "to": "2025-01-01"},
        {"from": "2025-01-01", "to": "2101-01-01"},
        {"from": "2025-01-01\x00", "to": "2025-01-02"},
    ],
)
def test_bad_ranges_get_a_clear_422(query: dict[str, str], year_of_contacts: Staff) -> None:
    client = signed_in_client(persona(Role.SUPERVISOR, username="s"))
    response = client.get("/api/v1/reports/summary", query)
    assert response.status_code == 422, response.content
    assert response.json()["detail"]


@pytest.mark.parametrize("year", ["", "abc", "1999", "2101", "2025.5", "-1"])
def test_bad_years_get_a_clear_422(year: str, year_of_contacts: Staff) -> None:
    client = signed_in_client(persona(Role.DATA_OFFICER, username="d"))
    assert client.get("/api/v1/reports/chi", {"year": year}).status_code == 422
    assert not AuditEvent.objects.filter(action="report.chi_export").exists()


def test_a_year_that_has_not_begun_is_refused_with_a_clear_422(year_of_contacts: Staff) -> None:
    """By the helpline's own clock, as a report is (Period.begun): a year to come would be exported
    as zeros and read as "no contacts"."""
    client = signed_in_client(persona(Role.DATA_OFFICER, username="d"))
    this_year = timezone.localdate().year
    for publication in ("false", "true"):
        response = client.get("/api/v1/reports/chi", {"year": this_year + 1, "publication": publication})
        assert response.status_code == 422 and "not begun" in response.json()["detail"]
    assert not AuditEvent.objects.filter(action="report.chi_export").exists()
    assert client.get("/api/v1/reports/chi", {"year": this_year}).status_code == 200


def _chi(client: Client, **query: Any) -> list[dict[str, str]]:
    response = client.get("/api/v1/reports/chi", {"year": "2025", **query})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _row(rows: list[dict[str, str]], section: str, code: str) -> dict[str, str]:
    return next(r for r in rows if r["section"] == section and r["code"] == code)


def test_chi_export_folds_local_categories_and_is_audited(year_of_contacts: Staff) -> None:
    officer = persona(Role.DATA_OFFICER, username="d")
    rows = _chi(signed_in_client(officer))
    assert _row(rows, "contacts", "all")["Total"] == "19"
    assert _row(rows, "contact_type", "counselling")["Total"] == "16"
    assert _row(rows, "contact_type", "non_counselling")["Phone call"] == "3"
    # Trafficking (local) counts under violence; forced labour under child labour.
    assert _row(rows, "reason_category", "violence")["Total"] == "15"
    assert _row(rows, "reason_subcategory", "violence.child_labour")["SMS"] == "3"
    assert not any(r["code"].startswith("trafficking") for r in rows)
    assert (
        _row(rows, "age_group", "13-15")["Total"] == "12" and _row(rows, "age_group", "16-17")["Total"] == "3"
    )
    assert _row(rows, "gender", "unknown")["Total"] == "4"  # not recorded: the non-data contacts and the chat
    # Every CHI category is listed, zeros included, so the layout is the same each year.
    assert _row(rows, "reason_category", "sexuality")["Total"] == "0"
    event = AuditEvent.objects.get(action="report.chi_export")
    assert event.detail == {"year": 2025, "publication": False, "format": "csv"} and event.actor == officer


def test_chi_export_for_publication_hides_small_counts_and_their_complements(year_of_contacts: Staff) -> None:
    rows = _chi(signed_in_client(persona(Role.DATA_OFFICER, username="d")), publication="true")
    sms = _row(rows, "reason_subcategory", "violence.child_labour")
    assert sms["SMS"] == "<5" and sms["Total"] == "<5"
    hang_up_row = _row(rows, "contact_type", "non_counselling")
    assert hang_up_row["Phone call"] == "<5"
    published = [v for r in rows for v in r.values()]
    assert "x" in published  # a complement went with each lone small count


def test_chi_export_neutralises_formulas_in_labels(year_of_contacts: Staff) -> None:
    Term.objects.filter(vocabulary="gender", code="female").update(label_en='=HYPERLINK("http://x")')
    rows = _chi(signed_in_client(persona(Role.DATA_OFFICER, username="d")))
    assert _row(rows, "gender", "female")["label"] == '\'=HYPERLINK("http://x")'


def _xlsx(client: Client, **query: Any) -> list[list[Any]]:
    response = client.get("/api/v1/reports/chi", {"year": "2025", "format": "xlsx", **query})
    assert response.status_code == 200, response.content
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_chi_xlsx_holds_the_csv_rows_with_counts_as_numbers_and_is_audited(year_of_contacts: Staff) -> None:
    officer = persona(Role.DATA_OFFICER, username="d")
    client = signed_in_client(officer)
    Term.objects.filter(vocabulary="gender", code="female").update(label_en='=HYPERLINK("http://x")')
    sheet = _xlsx(client)
    as_csv = [list(r.values()) for r in _chi(client)]
    assert sheet[0] == list(_chi(client)[0].keys())
    assert [[str(v) for v in row] for row in sheet[1:]] == [
        [v[1:] if v.startswith("'=") else v for v in row] for row in as_csv
    ]
    total = next(row for row in sheet if row[1] == "contacts")
    assert total[-1] == 19 and isinstance(total[-1], int)
    # A label that looks like a formula is text, as written, without the CSV's apostrophe.
    female = next(row for row in sheet if row[1] == "gender" and row[2] == "female")
    assert female[3] == '=HYPERLINK("http://x")'
    events = AuditEvent.objects.filter(action="report.chi_export", actor=officer)
    assert {e.detail["format"] for e in events} == {"xlsx", "csv"}


def test_chi_xlsx_for_publication_hides_small_counts(year_of_contacts: Staff) -> None:
    sheet = _xlsx(signed_in_client(persona(Role.DATA_OFFICER, username="d")), publication="true")
    row = next(r for r in sheet if r[1] == "reason_subcategory" and r[2] == "violence.child_labour")
    assert row[5] == "<5" and all(
        not isinstance(v, int) or v == 0 or v >= 5 for r in sheet[1:] for v in r[4:]
    )


def test_chi_xlsx_is_refused_to_a_counsellor(year_of_contacts: Staff) -> None:
    client = signed_in_client(persona(Role.COUNSELLOR, username="c2"))
    assert client.get("/api/v1/reports/chi", {"year": "2025", "format": "xlsx"}).status_code == 403
    assert client.get("/api/v1/reports/chi", {"year": "2025", "format": "pdf"}).status_code in {403, 422}


REPORTS = schema.include(path_regex="/reports/")


@pytest.fixture
def session(db: None) -> dict[str, Any]:
    officer = persona(Role.DATA_OFFICER, username="fuzzer")
    client = signed_in_client(officer)
    csrf = _get_new_csrf_string()
    return {
        "cookies": {
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: csrf,
        },
        "headers": {"X-CSRFToken": csrf},
    }


@REPORTS.parametrize()
@FUZZ
def test_reports_api_as_a_data_officer_never_fails(case: Any, session: dict[str, Any]) -> None:
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.cookies = dict(session["cookies"])
    response = case.call(headers=session["headers"])
    assert response.status_code < 500, response.text
    assert response.status_code != 401, "the session was not taken"
    case.validate_response(
        response, headers=session["headers"], excluded_checks=[positive_data_acceptance, ignored_auth]
    )
