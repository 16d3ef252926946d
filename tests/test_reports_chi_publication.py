"""The CHI yearly figures for publication, asked for on the dashboard: suppressing every section
takes half a minute or more on a year's figures, so the worker builds the file while the reader's
page polls, as it does for a report PDF; asking and downloading are audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.reports import chi
from helpline.reports.documents import document_request
from helpline.reports.models_documents import DocumentKind, DocumentStatus, ReportDocument
from helpline.reports.rollups import rollups_refresh
from helpline.reports.suppression import suppress
from tests import report_factories as rf
from tests.factories import persona
from tests.workers import run_reports_worker

UTC = dt.UTC
ASKED = {"year": "2025"}


@pytest.fixture
def year_2025(db: None) -> Staff:
    """Enough calls for counts to show, and three SMS: a small count that publication hides."""
    counsellor = persona(Role.COUNSELLOR, username="c")
    at = dt.datetime(2025, 6, 1, 3, tzinfo=UTC)
    for _ in range(12):
        rf.enter(counsellor, channel="voice", arrived_at=at, kind="counselling", gender="female", age=14)
    for _ in range(3):
        rf.enter(counsellor, channel="sms", arrived_at=at, kind="counselling", gender="male", age=16)
    rollups_refresh()
    return counsellor


@pytest.mark.django_db(transaction=True)  # the build is queued on commit; the worker runs its own
def test_a_data_officer_asks_for_the_figures_for_publication_and_downloads_them_when_built(
    year_2025: Staff, client_for: Callable[[Staff], Client]
) -> None:
    officer = persona(Role.DATA_OFFICER, username="officer")
    client = client_for(officer)
    asked = client.post(reverse("reports:chi_publication_new"), ASKED)
    document = ReportDocument.objects.get()
    assert asked.status_code == 302 and asked["Location"] == reverse("reports:document", args=[document.pk])
    assert (document.kind, document.status, document.period_start, document.period_end) == (
        DocumentKind.CHI,
        DocumentStatus.QUEUED,
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
    )
    assert document.publication
    event = AuditEvent.objects.get(action=AuditAction.REPORT_PDF_GENERATE)
    assert event.actor == officer and event.detail["kind"] == "chi" and event.detail["publication"] is True
    page = client.get(asked["Location"]).content.decode()
    assert "<progress" in page and 'hx-trigger="every' in page  # being prepared: the page polls

    run_reports_worker()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    polled = client.get(asked["Location"], HTTP_HX_REQUEST="true").content.decode()
    download_url = reverse("reports:document_download", args=[document.pk])
    assert "hx-trigger" not in polled and download_url in polled and "Download the CSV" in polled

    download = client.get(download_url)
    assert download.status_code == 200 and download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == 'attachment; filename="chi-2025-publication.csv"'
    published = chi.chi_csv(officer, 2025, publication=True)
    assert download.content.decode() == published and "<5" in published  # suppressed, as the API's
    got = AuditEvent.objects.get(action=AuditAction.REPORT_CHI_EXPORT)
    assert got.actor == officer and got.record_id == str(document.pk)
    assert got.detail == {"year": 2025, "publication": True, "format": "csv"}


def test_the_dashboard_asks_for_the_publication_file_with_a_form_sent_once(
    supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    body = client_for(supervisor).get(reverse("reports:dashboard")).content.decode()
    this_year = timezone.localdate().year
    assert "publication=true" not in body  # no longer built while the browser waits
    form = body[body.index(f'action="{reverse("reports:chi_publication_new")}"') :].split("</form>")[0]
    assert 'method="post"' in body[: body.index(form)].rsplit("<form", 1)[1]
    assert "data-send-once" in form and "csrfmiddlewaretoken" in form
    assert f'name="year" value="{this_year}"' in form


def test_a_counsellor_may_not_ask_for_the_publication_file(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    response = client_for(counsellor).post(reverse("reports:chi_publication_new"), ASKED)
    assert response.status_code == 403
    assert not ReportDocument.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.REPORT_PDF_GENERATE).exists()


def test_a_counsellor_may_not_open_or_download_a_publication_file(
    counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    document = ReportDocument.objects.create(
        kind=DocumentKind.CHI,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        language="en",
        publication=True,
        requested_by=supervisor,
        status=DocumentStatus.DONE,
        pdf=b"year,section\n",
    )
    for name in ("reports:document", "reports:document_download"):
        assert client_for(counsellor).get(reverse(name, args=[document.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.REPORT_CHI_EXPORT).exists()


def test_opening_the_address_that_asks_for_the_file_writes_nothing(
    supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(supervisor)  # signing in is audited
    before = AuditEvent.objects.count()
    response = client.get(reverse("reports:chi_publication_new"), ASKED)
    assert response.status_code == 405
    assert not ReportDocument.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "That year has not begun yet: choose this year or one before it."),
        ("km", "ឆ្នាំនោះមិនទាន់ចាប់ផ្ដើមនៅឡើយទេ៖ សូមជ្រើសរើសឆ្នាំនេះ ឬឆ្នាំណាមួយមុននេះ។"),
    ],
)
def test_the_file_for_a_year_that_has_not_begun_is_refused_and_says_why(
    db: None, client_for: Callable[[Staff], Client], language: str, message: str
) -> None:
    staff = persona(Role.SUPERVISOR, username=f"{language}-supervisor", language=language)
    next_year = timezone.localdate().year + 1
    page = client_for(staff).post(reverse("reports:chi_publication_new"), {"year": str(next_year)})
    assert page.status_code == 400 and message in page.content.decode()
    with pytest.raises(ValueError, match="begun"):
        document_request(
            staff, kind=DocumentKind.CHI, year=next_year, month=None, language="en", publication=True
        )
    assert not ReportDocument.objects.exists()


def test_the_report_form_does_not_offer_the_chi_file(
    supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    asked = {"kind": "chi", "year": "2025", "month": "", "language": "km", "publication": "on"}
    assert client_for(supervisor).post(reverse("reports:document_new"), asked).status_code == 400
    with pytest.raises(ValueError, match="publication"):
        document_request(supervisor, kind="chi", year=2025, month=None, language="en", publication=False)
    assert not ReportDocument.objects.exists()


def test_suppression_says_its_work_moves_while_a_large_table_is_solved() -> None:
    """The page says a build "waits for the server" when its bar has not moved for a while: one
    section of a year's figures takes longer than that to suppress."""
    ticks: list[None] = []
    suppress([[3, 9, 12], [8, 2, 11], [7, 6, 1]], 5, lambda: ticks.append(None))
    assert ticks
