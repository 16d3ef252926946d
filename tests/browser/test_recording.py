"""Recording by keyboard, counted: a silent call after a screen-pop in one key, a full counselling
contact in under 40 keys plus what is typed; and by mouse: every reason for contact reachable.
The counts are printed (run with -s to see them)."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import HelplineServer, _manage, _server_env
from tests.browser.test_screen_pop import post_call_event

pytestmark = pytest.mark.browser

SUMMARY = "Girl of 14 bullied at school, thinks of suicide; talked it through, she will tell her aunt."
SILENT_CALL_AIM = 1
FULL_CONTACT_AIM = 40


class Keyboard:
    """The page's keyboard, counting: a key pressed is a keystroke, text typed into a field is
    typing (counted apart, as the aim is "keystrokes plus typing")."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.keys: list[str] = []
        self.typed = 0

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)
            self.keys.append(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.typed += len(text)

    def focused(self) -> str:
        return str(
            self.page.evaluate(
                "() => { const e = document.activeElement; return e.name || e.id || e.tagName; }"
            )
        )


def console_for(chromium: Any, server: HelplineServer, state: dict[str, Any]) -> Any:
    context = chromium.new_context(
        base_url=server.url, storage_state=state, viewport={"width": 1440, "height": 900}
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def test_a_silent_call_takes_one_key_after_a_screen_pop(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    give_extension = "from helpline.accounts.models import Staff; " + (
        "Staff.objects.filter(username='volunteer').update(extension='1002')"
    )
    _manage(_server_env(helpline_server.data_dir), "shell", "-c", give_extension)
    page = console_for(chromium, helpline_server, staff_session("volunteer"))
    page.goto("/console/")
    page.wait_for_timeout(1000)  # the console's websocket connects
    now = dt.datetime.now(dt.UTC)
    call = {"call_id": f"silent-{int(time.time())}", "queue": "1280", "caller": "+85512345611"}
    assert post_call_event(helpline_server, {**call, "event": "join", "time": now.isoformat()}) == 200
    connect = {
        **call,
        "event": "connect",
        "agent": "1002",
        "time": (now + dt.timedelta(seconds=3)).isoformat(),
    }
    assert post_call_event(helpline_server, connect) == 200
    expect(page).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
    short_id = page.url.rstrip("/").rsplit("/", 1)[1][:8].upper()
    expect(page.locator("#contact-form")).to_be_visible()
    page.wait_for_load_state("load")  # the deferred console.js binds the keys by then

    keyboard = Keyboard(page)
    keyboard.press("Alt+1")
    expect(page).to_have_url(re.compile(r"/console/$"))
    confirmation = page.locator("ul.messages[role=status]")
    expect(confirmation).to_be_visible()
    expect(confirmation).to_contain_text(f"#{short_id}")
    print(f"\nSilent call after a screen-pop: {len(keyboard.keys)} keystroke(s) {keyboard.keys}")
    assert len(keyboard.keys) <= SILENT_CALL_AIM
    page.context.close()


def test_a_full_counselling_contact_by_keyboard_takes_under_forty_keys(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    page = console_for(chromium, helpline_server, staff_session("counsellor"))
    page.goto("/console/")
    page.wait_for_load_state("load")
    keyboard = Keyboard(page)

    keyboard.press("Alt+N")  # the phone rings: start
    expect(page).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
    contact_url = page.url
    page.wait_for_load_state("load")
    # The keyboard is in the form at once: no Tab through the menu, lists and buttons.
    assert page.evaluate("() => !!document.activeElement.closest('#contact-form')")
    assert keyboard.focused() == "kind"
    keyboard.press("Space")  # counselling
    keyboard.press("Tab", "ArrowDown")  # who is contacting: the child about themself
    keyboard.press("Tab", "Tab", "Tab")  # relationship (not for a child about themself), language: Khmer
    assert keyboard.focused() == "gender"
    keyboard.press("ArrowDown", "ArrowDown")  # girl
    keyboard.press("Tab")
    keyboard.type("14")
    keyboard.press("Tab", "Tab", "s")  # past "over 25" to the province: Siem Reap
    keyboard.press("Tab", "r")  # rural
    keyboard.press("Tab", "w")  # with parents
    keyboard.press("Tab", "n")  # no disability
    keyboard.press("Tab", "u")  # urgent
    keyboard.press("Tab")
    assert keyboard.focused() == "reason-filter"
    keyboard.type("bully")
    keyboard.press("Enter")  # ticks the first reason found; the words stay selected
    keyboard.type("suic")
    keyboard.press("Enter")
    keyboard.press("Alt+C", "Space")  # actions: emotional support
    keyboard.press("Alt+M")
    assert keyboard.focused() == "summary"
    keyboard.type(SUMMARY)
    keyboard.press("Control+Enter")

    expect(page).to_have_url(re.compile(r"/console/$"))
    expect(page.locator("ul.messages[role=status]")).to_be_visible()
    print(
        f"\nFull counselling contact: {len(keyboard.keys)} keystrokes plus {keyboard.typed} characters typed"
        f"\n  {' '.join(keyboard.keys)}"
    )
    assert len(keyboard.keys) < FULL_CONTACT_AIM

    # What the keys recorded, read back from the contact's page.
    page.goto(contact_url)
    expect(page).to_have_url(re.compile(r"/contacts/[0-9a-f-]{36}/$"))
    facts = page.locator("dl.facts")
    expect(page.locator("h1")).to_contain_text("Counselling")
    expect(facts).to_contain_text("The child/young person about themself")
    expect(facts).to_contain_text("Girl/female")
    expect(facts).to_contain_text("14")
    expect(facts).to_contain_text("Siem Reap")
    expect(facts).to_contain_text("Rural")
    expect(facts).to_contain_text("Khmer")
    expect(facts).to_contain_text("Urgent")
    expect(facts).to_contain_text("Bullying")
    expect(facts).to_contain_text("Suicid")
    expect(facts).to_contain_text("Emotional support given")
    expect(page.locator(".summary")).to_contain_text(SUMMARY)
    page.context.close()


def test_every_reason_is_reachable_by_mouse_and_the_filter_finds_both_languages(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    page = console_for(chromium, helpline_server, staff_session("counsellor"))
    page.goto("/console/")
    page.locator("form.start button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/console/[0-9a-f-]{36}/$"))
    box = page.locator(".reason-groups")
    reasons = page.locator(".reason-groups input[name=reasons]")
    assert reasons.count() > 80
    # Nothing runs out of the box sideways: it scrolls down only.
    width, client_width = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
    assert width <= client_width, (width, client_width)
    left, right = box.evaluate("b => { const r = b.getBoundingClientRect(); return [r.left, r.right]; }")
    edges = reasons.evaluate_all(
        "all => all.map(b => b.closest('label').getBoundingClientRect()).map(r => [r.left, r.right])"
    )
    assert all(left - 1 <= a and b <= right + 1 for a, b in edges), edges
    # The last reason, by mouse.
    last = page.locator(".reason-groups label.reason").last
    last.click()
    expect(reasons.last).to_be_checked()

    # The filter finds subcategories in either language, whatever the page's.
    search = page.locator("#reason-filter")
    shown = page.locator(".reason-groups label.reason:visible")
    for words, expected in [("bully", "Bullying"), ("suic", "Suicid"), ("រំលោភ", "abuse")]:
        search.fill(words)
        expect(shown.first).to_contain_text(expected)
        assert shown.count() < 10, words
    search.press("Escape")
    expect(shown).to_have_count(reasons.count())
    page.context.close()


def test_the_skip_link_is_the_first_stop_and_leads_into_the_page(
    chromium: Any, helpline_server: HelplineServer, staff_session: Callable[[str], dict[str, Any]]
) -> None:
    page = console_for(chromium, helpline_server, staff_session("counsellor"))
    page.goto("/console/")
    page.wait_for_load_state("load")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link:focus")
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('main')")
    page.context.close()
