"""A complaint's journey in a real browser: a child sends it through the public form (Khmer
first, no account, no JavaScript needed); a supervisor finds it in the list, acknowledges it,
investigates and responds, and each step shows on the page and in its history."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer

pytestmark = pytest.mark.browser


def test_a_complaint_from_the_public_form_is_acknowledged_investigated_and_answered(
    chromium: Any, helpline_server: HelplineServer, staff_session: Any
) -> None:
    marker = f"ចាំយូរពេក {uuid.uuid4().hex[:8]}"
    child = chromium.new_context(base_url=helpline_server.url, java_script_enabled=False)
    form = child.new_page()
    form.goto("/say/")
    expect(form.locator("html")).to_have_attribute("lang", "km")
    form.locator("input[name=kind][value=complaint]").check()
    form.locator("#id_text").fill(marker)
    form.locator("main form button.primary").click()
    expect(form).to_have_url(re.compile(r"/say/thanks/$"))
    child.close()

    staff = chromium.new_context(
        base_url=helpline_server.url,
        storage_state=staff_session("supervisor"),
        viewport={"width": 1280, "height": 900},
    )
    staff.set_default_timeout(15_000)
    page = staff.new_page()
    page.goto("/feedback/?state=received")
    page.locator("table tbody tr a").first.click()
    expect(page.locator("#words")).to_contain_text(marker)
    expect(page.locator("#state")).not_to_be_empty()

    advance = page.locator("form[action$='/advance/']")
    for state in ("acknowledged", "investigating"):
        advance.locator("#id_state").select_option(state)
        advance.locator("button").click()
        expect(page.locator("ol.timeline li")).to_have_count(
            1 + ["acknowledged", "investigating"].index(state) + 1
        )
    advance.locator("#id_state").select_option("responded")
    advance.locator("#id_response").fill("We are sorry you waited. We have added a counsellor at night.")
    advance.locator("button").click()
    expect(page.locator("#response")).to_contain_text("We have added a counsellor at night.")
    expect(page.locator("ol.timeline li")).to_have_count(4)
    staff.close()
