"""Monthly and annual PDF reports: asked for on the dashboard, built by the task worker while the
page polls a progress bar, downloaded; both audited. In Khmer or English, with the previous period
and the same period last year; for publication, every table goes through suppression.suppress."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.common import queues
from helpline.common.task_recovery import LOST_AFTER, beat, recover_orphaned_tasks
from helpline.reports.documents import document_request
from helpline.reports.figures_board import Row, board, published
from helpline.reports.models_documents import STILL_AFTER, DocumentStatus, ReportDocument
from helpline.reports.pdf import STYLESHEET, report_board, report_pdf, report_period
from helpline.reports.rollups import rollups_refresh
from helpline.reports.selectors import Period
from helpline.reports.tasks import ABANDONED_AFTER, _progress, documents_abandoned_fail
from helpline.reports.views_documents import DocumentForm
from tests import report_factories as rf
from tests.factories import persona
from tests.workers import run_reports_worker

UTC = dt.UTC
MONTHLY = {"kind": "monthly", "year": "2025", "month": "6", "language": "en"}


@pytest.fixture
def three_junes(db: None) -> Staff:
    """June 2025 (the report), May 2025 (the month before) and June 2024 (a year earlier)."""
    counsellor = persona(Role.COUNSELLOR, username="c")
    for when, n in ((dt.datetime(2025, 6, 3, 4, tzinfo=UTC), 9), (dt.datetime(2025, 5, 3, 4, tzinfo=UTC), 6)):
        for _ in range(n):
            rf.enter(
                counsellor, channel="voice", arrived_at=when, kind="counselling", gender="female", age=13
            )
    for _ in range(2):
        rf.enter(counsellor, channel="sms", arrived_at=dt.datetime(2025, 6, 4, 4, tzinfo=UTC), kind="silent")
    for _ in range(11):
        rf.enter(
            counsellor, channel="voice", arrived_at=dt.datetime(2024, 6, 5, 4, tzinfo=UTC), kind="counselling"
        )
    rollups_refresh()
    return counsellor


def _text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.django_db(transaction=True)  # the worker runs its own transactions, as in production
def test_a_data_officer_asks_for_the_monthly_report_and_downloads_it(
    three_junes: Staff, client_for: Callable[[Staff], Client]
) -> None:
    officer = persona(Role.DATA_OFFICER, username="officer")
    client = client_for(officer)
    response = client.post(reverse("reports:document_new"), MONTHLY, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    document = ReportDocument.objects.get()
    body = response.content.decode()
    assert "<progress" in body and 'hx-trigger="every' in body  # the page polls while it is built
    assert (document.status, document.period_start, document.period_end) == (
        DocumentStatus.QUEUED,
        dt.date(2025, 6, 1),
        dt.date(2025, 6, 30),
    )
    asked = AuditEvent.objects.get(action=AuditAction.REPORT_PDF_GENERATE)
    assert asked.actor == officer and asked.detail["kind"] == "monthly"

    run_reports_worker()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    polled = client.get(
        reverse("reports:document", args=[document.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "hx-trigger" not in polled  # done: the polling stops
    assert reverse("reports:document_download", args=[document.pk]) in polled

    download = client.get(reverse("reports:document_download", args=[document.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "helpline-report-2025-06-en.pdf" in download["Content-Disposition"]
    pdf = download.content
    assert pdf.startswith(b"%PDF")
    text = _text_of(pdf)
    assert "Monthly report" in text and "Same period last year" in text
    # This June, the May before and June a year earlier, side by side in the summary.
    assert re.search(r"Contacts\s+11\s+6\s+11", text), text[:1500]
    got = AuditEvent.objects.get(action=AuditAction.REPORT_PDF_DOWNLOAD)
    assert got.actor == officer and got.record_id == str(document.pk)


def test_a_counsellor_may_not_ask_for_a_report(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    response = client_for(counsellor).post(reverse("reports:document_new"), MONTHLY)
    assert response.status_code == 403
    assert not ReportDocument.objects.exists()


def test_the_reports_page_opens_again_at_its_own_address(
    supervisor: Staff, data_officer: Staff, client_for: Callable[[Staff], Client]
) -> None:
    """A form refused without script leaves the browser on /statistics/reports/: switching the
    language there (which sends the reader back to the page), a reload or a bookmark opens it
    again, with the form and the reader's own reports, never a bare "method not allowed"."""
    fields = {
        "kind": "annual",
        "period_start": dt.date(2025, 1, 1),
        "period_end": dt.date(2025, 12, 31),
        "language": "en",
        "status": DocumentStatus.DONE,
        "pdf": b"%PDF-1.7 fake",
    }
    mine = ReportDocument.objects.create(requested_by=supervisor, **fields)
    theirs = ReportDocument.objects.create(requested_by=data_officer, **fields)
    client = client_for(supervisor)
    page_url = reverse("reports:document_new")
    assert client.post(page_url, {**MONTHLY, "month": ""}).status_code == 400

    switched = client.post(
        reverse("accounts:set_language"), {"language": "km", "next": page_url}, follow=True
    )

    assert switched.redirect_chain == [(page_url, 302)]
    assert switched.status_code == 200
    body = switched.content.decode()
    assert '<html lang="km"' in body and 'id="document-form"' in body
    # the form sends its report into this page's list, as on the dashboard
    assert 'id="documents"' in body
    assert reverse("reports:document_download", args=[mine.pk]) in body
    assert reverse("reports:document_download", args=[theirs.pk]) not in body
    assert not ReportDocument.objects.exclude(pk__in=[mine.pk, theirs.pk]).exists()


def test_a_counsellor_may_not_open_the_reports_page(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    assert client_for(counsellor).get(reverse("reports:document_new")).status_code == 403


def test_a_counsellor_may_not_download_a_report(
    counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    document = ReportDocument.objects.create(
        kind="monthly",
        period_start=dt.date(2025, 6, 1),
        period_end=dt.date(2025, 6, 30),
        language="km",
        requested_by=supervisor,
        status=DocumentStatus.DONE,
        pdf=b"%PDF-1.7 fake",
    )
    for name in ("reports:document", "reports:document_download"):
        assert client_for(counsellor).get(reverse(name, args=[document.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.REPORT_PDF_DOWNLOAD).exists()


def test_a_missing_report_is_not_found(supervisor: Staff, client_for: Callable[[Staff], Client]) -> None:
    import uuid

    response = client_for(supervisor).get(reverse("reports:document_download", args=[uuid.uuid4()]))
    assert response.status_code == 404


def test_a_monthly_report_without_its_month_is_refused(
    supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    response = client_for(supervisor).post(reverse("reports:document_new"), {**MONTHLY, "month": ""})
    assert response.status_code == 400
    assert not ReportDocument.objects.exists()


def test_a_report_not_ready_sends_the_reader_to_its_progress(
    supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    document = ReportDocument.objects.create(
        kind="annual",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        language="en",
        requested_by=supervisor,
        status=DocumentStatus.RUNNING,
        progress=40,
    )
    response = client_for(supervisor).get(reverse("reports:document_download", args=[document.pk]))
    assert response.status_code == 302
    page = client_for(supervisor).get(response["Location"]).content.decode()
    assert '<progress value="40" max="100">' in page


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "the report is waiting for the server"), ("km", "របាយការណ៍កំពុងរង់ចាំម៉ាស៊ីនមេ")],
    ids=["en", "km"],
)
@pytest.mark.parametrize("status", [DocumentStatus.QUEUED, DocumentStatus.RUNNING])
def test_a_build_that_has_not_moved_for_a_while_says_it_waits_for_the_server(
    db: None, client_for: Callable[[Staff], Client], language: str, said: str, status: str
) -> None:
    """A worker killed mid-build is found lost and the build run again within about 40 seconds;
    meanwhile the bar stood still without a word, as if the page had frozen."""
    reader = persona(Role.SUPERVISOR, username="reader", language=language)
    document = ReportDocument.objects.create(
        kind="monthly",
        period_start=dt.date(2025, 6, 1),
        period_end=dt.date(2025, 6, 30),
        language=language,
        requested_by=reader,
        status=status,
        progress=40 if status == DocumentStatus.RUNNING else 0,
    )
    client = client_for(reader)
    url = reverse("reports:document", args=[document.pk])
    beat("reports-worker", timezone.now(), queues.REPORTS)  # a worker for builds is alive

    def polled() -> str:
        return client.get(url, HTTP_HX_REQUEST="true").content.decode()

    assert said not in polled()  # just asked for, or just moved on
    last_moved = timezone.now() - STILL_AFTER - dt.timedelta(seconds=1)
    ReportDocument.objects.filter(pk=document.pk).update(updated_at=last_moved)
    page = polled()
    assert said in page and 'hx-trigger="every' in page  # said, and still polled
    assert said in client.get(url).content.decode()  # the document's own page too
    _progress(document.pk, 55)  # the build moves on: the sentence goes
    assert said not in polled()
    ReportDocument.objects.filter(pk=document.pk).update(status=DocumentStatus.DONE, updated_at=last_moved)
    assert said not in polled()  # a finished report waits for nothing


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "Nothing is building reports on the server now"), ("km", "គ្មានអ្វីកំពុងរៀបចំរបាយការណ៍")],
    ids=["en", "km"],
)
def test_a_build_standing_still_with_no_report_worker_says_to_tell_it(
    db: None, client_for: Callable[[Staff], Client], language: str, said: str
) -> None:
    """A deployment upgraded without the report worker (or with it stopped): the request waits for
    ever, and the page says who can start it, not that it is slow."""
    reader = persona(Role.SUPERVISOR, username="reader", language=language)
    document = ReportDocument.objects.create(
        kind="monthly",
        period_start=dt.date(2025, 6, 1),
        period_end=dt.date(2025, 6, 30),
        language=language,
        requested_by=reader,
        status=DocumentStatus.QUEUED,
    )
    ReportDocument.objects.filter(pk=document.pk).update(updated_at=timezone.now() - STILL_AFTER * 2)
    beat("replies-worker", timezone.now(), queues.DEFAULT)  # only the replies' worker runs
    client = client_for(reader)
    page = client.get(
        reverse("reports:document", args=[document.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert said in page and 'hx-trigger="every' in page  # said, and still polled: it goes once one starts
    beat("reports-worker", timezone.now(), queues.REPORTS)
    page = client.get(
        reverse("reports:document", args=[document.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert said not in page


def test_the_report_compares_with_the_month_before_and_a_year_earlier(
    three_junes: Staff, supervisor: Staff
) -> None:
    result = report_board(supervisor, "monthly", report_period("monthly", 2025, 6), publication=False)
    assert result.previous == Period(dt.date(2025, 5, 1), dt.date(2025, 5, 31))
    assert result.last_year == Period(dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    [contacts] = [h for h in result.headline if h.label == "Contacts"]
    assert (contacts.current, contacts.previous, contacts.last_year) == ("11", "6", "11")
    trend = next(s for s in result.sections if s.key == "trend")
    assert len(trend.rows) == 13
    june = next(r for r in trend.rows if r.code == "2025-06-01")
    assert (june.current, june.previous) == (11, 11)


def test_for_publication_small_counts_are_hidden_and_cannot_be_worked_out(
    three_junes: Staff, supervisor: Staff
) -> None:
    result = report_board(supervisor, "monthly", report_period("monthly", 2025, 6), publication=True)
    assert not any(s.key == "time" for s in result.sections)  # no days beside small counts
    kinds = next(s for s in result.sections if s.key == "kind")
    silent = next(r for r in kinds.rows if r.code == "silent")
    assert silent.texts()[0] == "<5"
    counselling = next(r for r in kinds.rows if r.code == "counselling")
    assert counselling.texts()[0] in {"9", "x"}
    # Every column with a hidden cell hides at least two (one alone comes back by subtraction).
    for section in result.sections:
        for column in range(2):
            # Counts add up to a total, so one hidden count comes back by subtraction; averages
            # (review scores) do not add up, and "—" there is an average of nothing.
            texts = [r.texts()[column] for r in section.rows if r.unit != "score"]
            hidden = [t for t in texts if not t.replace(",", "").isdigit()]
            assert len(hidden) != 1, (section.key, texts)


def test_published_rows_keep_the_counts_that_are_shown() -> None:
    rows = [Row("a", "A", 40, 30, 20), Row("b", "B", 2, 9, 12), Row("c", "C", 7, 8, 25)]
    shown, totals = published(rows, threshold=5)
    assert totals == ("49", "47", "57")
    assert shown[0].texts() == ("40", "30", "20")
    assert shown[1].texts()[0] == "<5"
    assert shown[2].texts()[0] == "x"  # hidden beside the small one so it cannot be subtracted out


def test_the_khmer_report_is_shaped_and_names_its_sections(
    three_junes: Staff, supervisor: Staff, tmp_path: Path
) -> None:
    pdf = report_pdf(
        supervisor, kind="monthly", period=report_period("monthly", 2025, 6), language="km", publication=False
    )
    fonts: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    assert any("Khmer" in f for f in fonts), fonts
    target = tmp_path / "report.pdf"
    target.write_bytes(pdf)
    # The first page as an image, for a person to look at (pdftoppm, from poppler-utils, which
    # `make system-deps-fonts` installs; a machine without it still checks the fonts above).
    if shutil.which("pdftoppm"):
        done = subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(target), str(tmp_path / "page")],
            capture_output=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert list(tmp_path.glob("page*.png"))


def test_the_board_counts_nothing_for_a_counsellor(three_junes: Staff, counsellor: Staff) -> None:
    result = board(counsellor, Period(dt.date(2025, 6, 1), dt.date(2025, 6, 30)))
    assert all(r.current == 0 and r.previous == 0 for s in result.sections for r in s.rows)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("month", "13", "សូមជ្រើសរើសខែពី 1 ដល់ 12។"),
        ("month", "0", "សូមជ្រើសរើសខែពី 1 ដល់ 12។"),
        ("year", "1999", "សូមបញ្ចូលឆ្នាំពី 2000 ដល់ 2100។"),
        ("year", "20x5", "សូមបញ្ចូលឆ្នាំពី 2000 ដល់ 2100។"),
    ],
)
def test_a_report_for_a_month_or_year_that_is_not_one_says_why_in_the_page(
    db: None, client_for: Callable[[Staff], Client], field: str, value: str, message: str
) -> None:
    client = client_for(persona(Role.SUPERVISOR, username="km-supervisor", language="km"))
    asked = {**MONTHLY, field: value}
    # htmx: the form with its messages, retargeted onto itself (helpline.js swaps a 4xx so sent)
    fragment = client.post(reverse("reports:document_new"), asked, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 400
    assert (fragment["HX-Retarget"], fragment["HX-Reswap"]) == ("#document-form", "outerHTML")
    body = fragment.content.decode()
    assert 'id="document-form"' in body and 'role="alert"' in body and message in body
    assert "Ensure this value" not in body and "Enter a whole number" not in body
    assert "សូមជ្រើសរើសខែ។" not in body  # "Choose the month." only when none was given
    # without htmx: a whole page, the same messages
    page = client.post(reverse("reports:document_new"), asked)
    assert page.status_code == 400
    text = page.content.decode()
    assert "<html" in text and 'id="error-summary"' in text and text.count(message) == 2
    assert not ReportDocument.objects.exists()


def test_a_monthly_report_without_its_month_asks_for_the_month(
    db: None, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(persona(Role.SUPERVISOR, username="km-supervisor", language="km"))
    fragment = client.post(reverse("reports:document_new"), {**MONTHLY, "month": ""}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 400
    body = fragment.content.decode()
    assert "សូមជ្រើសរើសខែ។" in body and "សូមជ្រើសរើសខែពី 1 ដល់ 12។" not in body
    assert not ReportDocument.objects.exists()


def _cut_off(document: ReportDocument, *, workers: list[str], progress: int) -> None:
    """What a worker killed (kill -9) in the middle of the build leaves: its task row 'running' on a
    worker that no longer beats, the document 'running' part way."""
    long_ago = timezone.now() - LOST_AFTER - dt.timedelta(seconds=1)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, worker_ids=workers, started_at=long_ago)
    ReportDocument.objects.filter(pk=document.pk).update(status=DocumentStatus.RUNNING, progress=progress)


@pytest.mark.django_db(transaction=True)  # the task is queued on commit; the worker runs its own
def test_a_build_cut_off_with_its_worker_runs_again_and_finishes_once(
    three_junes: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(supervisor)
    client.post(reverse("reports:document_new"), MONTHLY, HTTP_HX_REQUEST="true")
    document = ReportDocument.objects.get()
    _cut_off(document, workers=["killed"], progress=40)

    assert recover_orphaned_tasks() == {"rerun": 1, "failed": 0}
    run_reports_worker()
    document.refresh_from_db()
    assert (document.status, document.progress) == (DocumentStatus.DONE, 100)
    assert bytes(document.pdf).startswith(b"%PDF")
    assert list(DBTaskResult.objects.values_list("status", flat=True)) == ["SUCCESSFUL"]  # one task, once
    polled = client.get(reverse("reports:document", args=[document.pk]), HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in polled.content.decode()  # the progress bar stops polling


@pytest.mark.django_db(transaction=True)  # the task is queued on commit; the worker runs its own
def test_a_build_cut_off_twice_says_so_instead_of_polling_for_ever(
    supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(supervisor)
    client.post(reverse("reports:document_new"), MONTHLY, HTTP_HX_REQUEST="true")
    document = ReportDocument.objects.get()
    _cut_off(document, workers=["killed", "killed again"], progress=40)

    assert recover_orphaned_tasks() == {"rerun": 0, "failed": 1}
    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED and document.finished_at is not None
    polled = client.get(
        reverse("reports:document", args=[document.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "hx-trigger" not in polled and "could not be prepared" in polled


@pytest.mark.django_db(transaction=True)  # the task is queued on commit; the worker runs its own
def test_a_document_lost_on_its_way_is_said_to_have_failed_and_is_never_built_later(
    supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(supervisor)
    for _ in range(3):
        client.post(reverse("reports:document_new"), MONTHLY, HTTP_HX_REQUEST="true")
    lost, stuck, fresh = ReportDocument.objects.order_by("created_at")
    long_ago = timezone.now() - ABANDONED_AFTER - dt.timedelta(minutes=1)
    ReportDocument.objects.filter(pk__in=[lost.pk, stuck.pk]).update(created_at=long_ago)
    ReportDocument.objects.filter(pk=stuck.pk).update(status=DocumentStatus.RUNNING, progress=40)

    assert documents_abandoned_fail() == 2
    statuses = dict(ReportDocument.objects.values_list("pk", "status"))
    assert statuses == {lost.pk: "failed", stuck.pk: "failed", fresh.pk: "queued"}
    polled = client.get(reverse("reports:document", args=[stuck.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in polled and "could not be prepared" in polled

    run_reports_worker()  # the queued tasks run late: the failed two stay failed, the fresh one is built
    statuses = dict(ReportDocument.objects.values_list("pk", "status"))
    assert statuses == {lost.pk: "failed", stuck.pk: "failed", fresh.pk: "done"}
    assert documents_abandoned_fail() == 0


def _next_month(today: dt.date) -> tuple[int, int]:
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "That month has not begun yet: choose this month or one before it."),
        ("km", "ខែនោះមិនទាន់ចាប់ផ្ដើមនៅឡើយទេ៖ សូមជ្រើសរើសខែនេះ ឬខែណាមួយមុននេះ។"),
    ],
)
def test_a_monthly_report_for_a_month_that_has_not_begun_is_refused_and_says_why(
    db: None, client_for: Callable[[Staff], Client], language: str, message: str
) -> None:
    client = client_for(persona(Role.SUPERVISOR, username=f"{language}-supervisor", language=language))
    for year, month in (_next_month(timezone.localdate()), (2100, 6)):
        asked = {**MONTHLY, "year": str(year), "month": str(month)}
        fragment = client.post(reverse("reports:document_new"), asked, HTTP_HX_REQUEST="true")
        assert fragment.status_code == 400
        assert message in fragment.content.decode()
    assert not ReportDocument.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "That year has not begun yet: choose this year or one before it."),
        ("km", "ឆ្នាំនោះមិនទាន់ចាប់ផ្ដើមនៅឡើយទេ៖ សូមជ្រើសរើសឆ្នាំនេះ ឬឆ្នាំណាមួយមុននេះ។"),
    ],
)
def test_an_annual_report_for_a_year_that_has_not_begun_is_refused_and_says_why(
    db: None, client_for: Callable[[Staff], Client], language: str, message: str
) -> None:
    client = client_for(persona(Role.SUPERVISOR, username=f"{language}-supervisor", language=language))
    asked = {**MONTHLY, "kind": "annual", "year": str(timezone.localdate().year + 1), "month": ""}
    page = client.post(reverse("reports:document_new"), asked)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not ReportDocument.objects.exists()


def test_this_month_and_this_year_may_be_asked_for(
    supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    today = timezone.localdate()
    client = client_for(supervisor)
    this_month = {**MONTHLY, "year": str(today.year), "month": str(today.month)}
    assert client.post(reverse("reports:document_new"), this_month, HTTP_HX_REQUEST="true").status_code == 200
    this_year = {**MONTHLY, "kind": "annual", "year": str(today.year), "month": ""}
    assert client.post(reverse("reports:document_new"), this_year, HTTP_HX_REQUEST="true").status_code == 200
    assert ReportDocument.objects.count() == 2


@pytest.mark.parametrize(
    ("utc", "allowed"),
    [
        (dt.datetime(2026, 6, 30, 16, 59, tzinfo=UTC), False),  # 23:59 on 30 June in Phnom Penh
        (dt.datetime(2026, 6, 30, 17, 0, tzinfo=UTC), True),  # 00:00 on 1 July in Phnom Penh
    ],
)
def test_a_month_has_begun_by_the_helplines_own_clock(
    supervisor: Staff, utc: dt.datetime, allowed: bool
) -> None:
    july = {**MONTHLY, "year": "2026", "month": "7"}
    with mock.patch("django.utils.timezone.now", return_value=utc):
        assert DocumentForm(july).is_valid() is allowed
        if allowed:
            document_request(supervisor, kind="monthly", year=2026, month=7, language="en", publication=False)
        else:
            with pytest.raises(ValueError, match="begun"):
                document_request(
                    supervisor, kind="monthly", year=2026, month=7, language="en", publication=False
                )
    assert ReportDocument.objects.count() == (1 if allowed else 0)


@pytest.mark.parametrize("publication", [False, True])
def test_the_first_page_names_the_helpline_and_when_it_was_made_once(
    three_junes: Staff, supervisor: Staff, publication: bool
) -> None:
    """The stamp is the running header of every page; page 1 printed it a second time above the title."""
    pdf = report_pdf(
        supervisor,
        kind="monthly",
        period=report_period("monthly", 2025, 6),
        language="en",
        publication=publication,
    )
    pages = PdfReader(io.BytesIO(pdf)).pages
    first = pages[0].extract_text() or ""
    assert first.count("Helpline 1280") == 1 and first.count("Prepared") == 1, first[:600]
    assert "Monthly report" in first
    assert all((page.extract_text() or "").count("Prepared") == 1 for page in pages[1:])


def test_a_khmer_row_label_breaks_between_words_only(db: None) -> None:
    """Khmer writes no spaces between words: a table cell may break a label at its spaces (and at
    U+200B), never inside a word, as "anywhere" did (...មិនមែនសម្រា | ប់ការប្រឹក្សា)."""
    from weasyprint import CSS, HTML
    from weasyprint.formatting_structure import boxes

    label = "ការទាក់ទងស្ងាត់ស្ងៀម ផ្ដាច់ និងការទាក់ទងផ្សេងទៀតដែលមិនមែនសម្រាប់ការប្រឹក្សា"
    row = f'<table class="figures"><tr><th>{label}</th><td>1</td><td>2</td><td>3</td><td>4</td></tr></table>'
    page = HTML(string=row).render(stylesheets=[CSS(string=STYLESHEET.read_text(encoding="utf-8"))]).pages[0]
    cell = next(b for b in page._page_box.descendants() if isinstance(b, boxes.TableCellBox))
    lines = [
        "".join(t.text for t in line.descendants() if isinstance(t, boxes.TextBox)).strip()
        for line in cell.descendants()
        if isinstance(line, boxes.LineBox)
    ]
    assert len(lines) > 1  # the label is wider than its column
    assert " ".join(lines) == label, lines
