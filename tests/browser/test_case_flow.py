"""A case from first contact to approved closure in a real browser: the counsellor opens it from a
contact at the console, adds a plan goal, schedules a follow-up with safe-contact instructions and
records a confidentiality break; the supervisor signs the break off and approves the closure; the
timeline shows each step, in Khmer and in English."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import expect

from helpline.cases.models import EventKind
from tests.browser.conftest import HelplineServer

pytestmark = pytest.mark.browser

KHMER = re.compile(r"[\u1780-\u17FF]")
GOAL = "ប្អូនត្រឡប់ទៅរៀនវិញ"
INSTRUCTIONS = "ហៅតែក្រោយម៉ោង ៥ ល្ងាច។ បើមនុស្សធំលើក សូមនិយាយថាខុសលេខ។"
RECIPIENT = "ប៉ូលិសខណ្ឌ"
STEPS = [
    EventKind.OPENED,
    EventKind.CONTACT_LINKED,
    EventKind.GOAL_ADDED,
    EventKind.FOLLOW_UP_SCHEDULED,
    EventKind.BREAK_RECORDED,
    EventKind.CLOSURE_REQUESTED,
    EventKind.BREAK_SIGNED_OFF,
    EventKind.CLOSURE_APPROVED,
]


def as_staff(chromium: Any, server: HelplineServer, state: dict[str, Any]) -> Any:
    context = chromium.new_context(
        base_url=server.url, storage_state=state, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def local_minute(at: dt.datetime) -> str:
    return at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%dT%H:%M")


def choose_language(page: Any, language: str) -> None:
    page.locator(f'header form.lang button[name="language"][value="{language}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def label(kind: EventKind, language: str) -> str:
    with translation.override(language):
        return str(kind.label)


def test_a_case_from_the_console_to_an_approved_closure(
    chromium: Any, helpline_server: HelplineServer, staff_session: Any
) -> None:
    now = dt.datetime.now(dt.UTC)
    counsellor = as_staff(chromium, helpline_server, staff_session("counsellor"))
    try:
        counsellor.goto("/console/")
        counsellor.locator("form.start input[name=address]").fill("012 777 555")
        counsellor.locator("form.start button[type=submit]").click()
        expect(counsellor).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
        counsellor.locator(".cases-panel form[action^='/cases/open/'] button").click()
        expect(counsellor).to_have_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))
        case_path = counsellor.url[len(helpline_server.url) :]

        goal = counsellor.locator("#plan form[action$='/goals/']")
        goal.locator("input[name=text]").fill(GOAL)
        goal.locator("button[type=submit]").click()
        expect(counsellor.locator("#plan .goals")).to_contain_text(GOAL)

        follow_up = counsellor.locator("#follow-ups form[action$='/follow-ups/']")
        follow_up.locator("select[name=kind]").select_option("call_back")
        follow_up.locator("input[name=due_at]").fill(local_minute(now + dt.timedelta(days=2)))
        follow_up.locator("textarea[name=instructions]").fill(INSTRUCTIONS)
        follow_up.locator("button[type=submit]").click()
        expect(counsellor.locator("#follow-ups .notice")).to_contain_text(INSTRUCTIONS)

        counsellor.locator("#breaks > details > summary").click()
        record = counsellor.locator("#breaks form[action$='/breaks/']")
        record.locator("select[name=reason]").select_option("risk_to_life")
        record.locator("textarea[name=disclosed]").fill("ប្អូនត្រូវបានគំរាមកំហែងនៅផ្ទះ")
        record.locator("select[name=recipient_kind]").select_option("authority")
        record.locator("input[name=recipient]").fill(RECIPIENT)
        record.locator("input[name=disclosed_at]").fill(local_minute(now - dt.timedelta(hours=1)))
        record.locator("input[name=client_told_first]").check()
        record.locator("button[type=submit]").click()
        expect(counsellor.locator("#breaks article.break")).to_contain_text(RECIPIENT)
        # Its edit form is fetched when "Edit" is opened, filled with what the break says.
        counsellor.locator("#breaks article.break details > summary").click()
        edit = counsellor.locator("#breaks article.break details form")
        expect(edit.locator("input[name=recipient]")).to_have_value(RECIPIENT)
        edit.locator("input[name=recipient]").fill(RECIPIENT + " ភ្នំពេញ")
        edit.locator("button[type=submit]").click()
        expect(counsellor.locator("#breaks article.break")).to_contain_text(RECIPIENT + " ភ្នំពេញ")

        counsellor.locator(".status-actions details summary").click()
        closing = counsellor.locator(".status-actions form[action$='/close/']")
        closing.locator("textarea[name=reason]").fill("ប្អូនមានសុវត្ថិភាព ហើយបានត្រឡប់ទៅរៀនវិញ")
        closing.locator("button[type=submit]").click()
        expect(counsellor.locator(".status-actions .notice")).to_be_visible()
    finally:
        counsellor.context.close()

    supervisor = as_staff(chromium, helpline_server, staff_session("supervisor"))
    try:
        supervisor.goto(case_path)
        sign_off = supervisor.locator("#breaks form[action$='/sign-off/']")
        sign_off.locator("select[name=decision]").select_option("approve")
        sign_off.locator("button[type=submit]").click()
        expect(supervisor.locator("#breaks form[action$='/sign-off/']")).to_have_count(0)
        supervisor.locator(".status-actions form[action$='/close/approve/'] button").click()
        expect(supervisor.locator(".status-actions form[action$='/reopen/']")).to_be_visible()

        spoken = supervisor.locator("html").get_attribute("lang")
        timeline = supervisor.locator("#timeline ol.timeline")
        for language in ("km", "en"):
            choose_language(supervisor, language)
            for kind in STEPS:
                name = label(kind, language)
                assert bool(KHMER.search(name)) == (language == "km"), name
                expect(timeline.locator(f'li[data-kind="{kind.value}"]').first).to_contain_text(name)
            expect(timeline).to_contain_text(GOAL)
        choose_language(supervisor, spoken or "km")  # the demo supervisor's own choice, for other tests
    finally:
        supervisor.context.close()
