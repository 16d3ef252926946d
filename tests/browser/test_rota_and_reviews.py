"""The rota and reviews in a real browser: a supervisor builds next week's rota (adds a shift that
needs three, puts one counsellor on it) and sees it flagged as a gap; the counsellor goes from the
console to their reviews and reads the supervisor's comment."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from playwright.sync_api import expect

from helpline.demo.people import COMMENTS
from tests.browser.conftest import HelplineServer

pytestmark = pytest.mark.browser
TIMES = "09:30\u201313:30"  # as the rota writes a shift's hours, with an en dash


def as_staff(chromium: Any, server: HelplineServer, state: dict[str, Any]) -> Any:
    context = chromium.new_context(
        base_url=server.url, storage_state=state, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def next_monday() -> dt.date:
    today = dt.datetime.now(ZoneInfo(settings.TIME_ZONE)).date()
    return today + dt.timedelta(days=7 - today.weekday())


def test_a_supervisor_builds_next_weeks_rota_and_sees_the_gap(
    chromium: Any, helpline_server: HelplineServer, staff_session: Any
) -> None:
    day = next_monday() + dt.timedelta(days=2)
    supervisor = as_staff(chromium, helpline_server, staff_session("supervisor"))
    try:
        supervisor.goto(f"/rota/?start={next_monday().isoformat()}")
        form = supervisor.locator("#shift-form")
        form.locator("input[name=starts_at]").fill(f"{day.isoformat()}T09:30")
        form.locator("input[name=ends_at]").fill(f"{day.isoformat()}T13:30")
        form.locator("select[name=role]").select_option("supervision")
        form.locator("input[name=minimum]").fill("3")
        form.locator("button[type=submit]").click()
        expect(supervisor).to_have_url(re.compile(rf"/rota/\?start={day.isoformat()}$"))

        row = supervisor.locator("#rota tr.shift", has_text=TIMES)
        expect(row).to_have_count(1)
        expect(row).to_have_class(re.compile(r"\bgap\b"))  # nobody on it yet
        row.locator("select[name=staff]").select_option("counsellor")
        row.locator("form[action$='/assign/'] button").click()

        row = supervisor.locator("#rota tr.shift", has_text=TIMES)
        expect(row.locator(".badge")).to_have_text("Dara Counsellor")
        expect(row).to_have_class(re.compile(r"\bgap\b"))  # one of three: still a gap
        flag = row.locator(".gap-flag")
        expect(flag).to_be_visible()
        expect(flag).to_contain_text("1")
        expect(flag).to_contain_text("3")
        expect(supervisor.locator("#gap-count")).to_have_class(re.compile(r"\balert\b"))
    finally:
        supervisor.context.close()


def test_the_counsellor_reads_their_review_comment(
    chromium: Any, helpline_server: HelplineServer, staff_session: Any
) -> None:
    comments = [comment for who, _scores, comment in COMMENTS if who == "counsellor"]
    counsellor = as_staff(chromium, helpline_server, staff_session("counsellor"))
    try:
        counsellor.goto("/console/")
        counsellor.locator("#my-shift a[href='/my/reviews/']").click()
        expect(counsellor).to_have_url(re.compile(r"/my/reviews/$"))
        shown = counsellor.locator(".review-comment")
        expect(shown).to_have_count(len(comments))
        for comment in comments:
            expect(counsellor.locator(".review-comment", has_text=comment)).to_be_visible()
        # Only their own: the volunteer's comments are not here.
        volunteer_comment = next(c for who, _s, c in COMMENTS if who == "volunteer")
        expect(counsellor.locator("main")).not_to_contain_text(volunteer_comment)
    finally:
        counsellor.context.close()
