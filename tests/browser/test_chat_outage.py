"""The chat widget in a real browser through a PostgreSQL outage: a child who starts a chat while the
database is away is told in Khmer that the helpline is reconnecting, may write meanwhile, and once the
database is back the chat starts by itself and the message arrives, once.

PostgreSQL only: it runs `manage.py serve` on a database of its own (tests/test_database_outage.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.test_database_outage import DATABASE_URL, Helpline, _query, _sql, _terminate, helpline, readyz

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="a PostgreSQL outage needs PostgreSQL (DATABASE_URL=postgres://...)",
    ),
]
__all__ = ["helpline"]  # the fixture, used by name

WRITTEN_MEANWHILE = "ខ្ញុំរង់ចាំ"


def test_a_chat_started_during_an_outage_starts_by_itself_when_the_database_is_back(
    chromium: Any, helpline: Helpline
) -> None:
    h = helpline
    context = chromium.new_context(base_url=h.url, viewport={"width": 400, "height": 780})
    context.set_default_timeout(15_000)
    child = context.new_page()
    child.goto("/chat/")
    widget = "[data-helpline-chat]"
    _sql(f'ALTER DATABASE "{h.database}" WITH ALLOW_CONNECTIONS false')
    _terminate(h.database)
    try:
        assert readyz(h).status == 503
        child.locator(f"{widget} .open").click()
        child.locator(f'{widget} .langs button[data-lang="km"]').click()
        child.locator(f"{widget} .go").click()
        status = child.locator(f"{widget} .status")
        expect(status).to_contain_text("ភ្ជាប់ឡើងវិញ")  # "the helpline is reconnecting ... wait a moment"
        child.locator(f"{widget} textarea").fill(WRITTEN_MEANWHILE)
        child.locator(f"{widget} textarea").press("Enter")
        expect(child.locator(f"{widget} .msg.you.pending")).to_have_count(1)
        time.sleep(3)  # a few retries meet the outage
        expect(child.locator(f"{widget} .msg.you.pending")).to_have_count(1)
    finally:
        _sql(f'ALTER DATABASE "{h.database}" WITH ALLOW_CONNECTIONS true')
    # Back: the widget starts the chat and sends what was written, within 30 s of the return.
    expect(child.locator(f"{widget} .msg.you.pending")).to_have_count(0, timeout=30_000)
    expect(child.locator(f"{widget} .msg.you")).to_have_text([WRITTEN_MEANWHILE])
    expect(status).not_to_contain_text("ភ្ជាប់ឡើងវិញ")  # the reconnecting notice is gone
    rows = _query(
        h,
        "SELECT count(*) FROM conversations_message WHERE direction = 'in' AND text = %s",
        WRITTEN_MEANWHILE,
    )
    assert rows == [(1,)]
    context.close()
