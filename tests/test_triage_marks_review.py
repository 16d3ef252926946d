"""Triage marks and the risk-signal preview as their users meet them: a preview of lines that hold
no phrase says so."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from helpline.accounts.models import Staff
from tests.test_triage_review import sms_contact

ClientFor = Callable[[Staff], Client]


def test_a_preview_of_lines_without_a_phrase_says_there_is_nothing_to_match(
    supervisor: Staff, client_for: ClientFor
) -> None:
    sms_contact("ញុំនៅក្រោមស្ពានតែម្នាក់ឯង")
    form = {"phrases_km": " \n\U0001f600\n", "phrases_en": "...", "exclusions": "", "weight": "10"}
    page = client_for(supervisor).post("/risk-signals/preview/", form).content.decode()
    assert "no phrase here that a message could match" in page
    assert "would have matched" not in page
