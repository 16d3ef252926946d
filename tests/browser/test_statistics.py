"""The statistics dashboard in a real browser: a data officer opens it in Khmer, changes the date
range (the charts change without a page load), has the monthly PDF prepared while a progress bar
fills, downloads it and the CHI export; a counsellor is refused the dashboard and its drill-down to
contacts. Each chart and a page of the PDF are kept as PNGs for a person to look at the Khmer."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PROJECT_DIR, HelplineServer, _manage, _server_env

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/dash-shots")
KHMER = re.compile(r"[\u1780-\u17FF]")
BUILD_SECONDS = 240  # WeasyPrint on a loaded two-core machine


@pytest.fixture(scope="module")
def report_worker(helpline_server: HelplineServer) -> Iterator[None]:
    """The demo's rollups built from its contacts, and the task worker that builds PDFs, beside
    the shared demo server (same data directory)."""
    env = _server_env(helpline_server.data_dir)
    _manage(env, "reports_rebuild")
    log = (helpline_server.data_dir / "worker.log").open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--interval",
            "0.2",
            "--no-reload",
            "--no-startup-delay",
            "--queue-name",
            "reports",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)
        log.close()


def as_staff(chromium: Any, server: HelplineServer, state: dict[str, Any]) -> Any:
    context = chromium.new_context(
        base_url=server.url,
        storage_state=state,
        viewport={"width": 1400, "height": 1000},
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def test_a_data_officer_reads_the_dashboard_in_khmer_and_takes_the_reports_away(
    chromium: Any,
    helpline_server: HelplineServer,
    staff_session: Callable[[str], dict[str, Any]],
    report_worker: None,
) -> None:
    SHOTS.mkdir(exist_ok=True)
    page = as_staff(chromium, helpline_server, staff_session("dataofficer"))
    page.goto("/statistics/")
    page.locator('header form.lang button[name="language"][value="km"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "km")
    expect(page.locator("h1")).to_have_text("ស្ថិតិ")
    # Aggregates only: no figure opens a contact for a data officer.
    expect(page.locator("a.drill")).to_have_count(0)
    assert page.locator("main a[href*='/contacts/']").count() == 0

    sections = page.locator(".board-section")
    assert sections.count() >= 15
    for index in range(sections.count()):
        section = sections.nth(index)
        key = (section.get_attribute("id") or "").removeprefix("figure-")
        chart = section.locator("svg.chart")
        if chart.count():
            texts = chart.locator("text").all_text_contents()
            assert texts, key
            chart.screenshot(path=str(SHOTS / f"chart-{key}-km.png"))
    gender_labels = " ".join(page.locator("#figure-gender svg text").all_text_contents())
    assert KHMER.search(gender_labels), gender_labels

    # The numbers are one click away.
    kinds = page.locator("#figure-kind details")
    kinds.locator("summary").click()
    expect(kinds.locator("table")).to_be_visible()

    # A shorter range: the board is swapped in place (no page load) and the charts follow.
    period = page.locator(".board-period")
    before = period.get_attribute("data-period") or ""
    time_chart = page.locator("#figure-time svg").inner_html()
    page.evaluate("window.__same_page = true")
    end = dt.date.fromisoformat(before.split("/")[1])
    start = end - dt.timedelta(days=6)
    # Playwright's fill of a date field fires input and change, as a person's pick does.
    page.locator("#id_date_from").fill(start.isoformat())
    expect(period).to_have_attribute("data-period", f"{start.isoformat()}/{end.isoformat()}")
    assert page.evaluate("window.__same_page") is True
    expect(page.locator("form.board-range.htmx-request")).to_have_count(0)
    assert page.locator("#figure-time svg").inner_html() != time_chart
    page.locator("#figure-time svg").screenshot(path=str(SHOTS / "chart-time-km-after-range-change.png"))
    assert re.search(r"[?&]date_from=" + start.isoformat(), page.url)

    # The monthly report, in Khmer, built in the background while a progress bar shows.
    form = page.locator("#document-form")
    form.locator("#id_kind").select_option("monthly")
    form.locator("#id_language").select_option("km")
    form.locator("button[type=submit]").click()
    document = page.locator("#documents .document").first
    expect(document.locator("progress")).to_be_visible()
    document.screenshot(path=str(SHOTS / "report-progress-km.png"))
    download_link = page.locator("#documents .document").first.locator("a.download")
    expect(download_link).to_be_visible(timeout=BUILD_SECONDS * 1000)
    with page.expect_download() as got:
        download_link.click()
    pdf = SHOTS / "report-monthly-km.pdf"
    got.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        for first in ("1", "6"):
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "80",
                    "-f",
                    first,
                    "-l",
                    first,
                    str(pdf),
                    str(SHOTS / "report-monthly-km"),
                ],
                check=True,
            )

    # The CHI yearly export, one click.
    chi = page.locator("a[data-chi-csv]").first
    with page.expect_download() as got:
        chi.click()
    body = Path(got.value.path()).read_text(encoding="utf-8")
    assert body.startswith("year,section,code,label")
    page.context.close()


def test_a_counsellor_is_refused_the_dashboard_and_its_drill_down(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    page = as_staff(chromium, helpline_server, staff_session("counsellor"))
    drill = "/statistics/contacts/?dimension=channel&value=voice&date_from=2026-01-01&date_to=2026-01-31"
    response = page.goto(drill)
    assert response is not None and response.status == 403
    response = page.goto("/statistics/")
    assert response is not None and response.status == 403
    expect(page.locator("header nav a[href='/statistics/']")).to_have_count(0)
    page.context.close()


def test_a_report_refused_for_month_13_says_so_across_the_form(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    """The summary of a refused report form spans the form: it was one 10rem cell of its grid,
    its words a few to a line beside the fields."""
    page = as_staff(chromium, helpline_server, staff_session("supervisor"))
    page.goto("/statistics/")
    form = page.locator("#document-form")
    form.locator("#id_kind").select_option("monthly")
    form.locator("#id_month").fill("13")
    form.locator("button[type=submit]").click()
    summary = page.locator("#document-form .error-summary")
    expect(summary).to_be_visible()
    expect(page.locator("#document-form #id_month")).to_have_value("13")
    form_box, summary_box = page.locator("#document-form").bounding_box(), summary.bounding_box()
    assert form_box is not None and summary_box is not None
    assert summary_box["width"] >= form_box["width"] - 2
    page.context.close()
