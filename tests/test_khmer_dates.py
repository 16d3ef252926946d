"""Dates on Khmer pages carry Khmer day and month names (the rota shows "D j M")."""

from __future__ import annotations

import datetime as dt

from django.utils import translation
from django.utils.dateformat import format as date_format

KHMER = ("ច័ន្ទ", "អង្គារ", "ពុធ", "ព្រហស្បតិ៍", "សុក្រ", "សៅរ៍", "អាទិត្យ")


def test_every_weekday_abbreviation_is_khmer_on_a_khmer_page() -> None:
    monday = dt.date(2026, 12, 7)
    with translation.override("km"):
        shown = [date_format(monday + dt.timedelta(days=i), "D") for i in range(7)]
    assert shown == list(KHMER)


def test_the_rota_day_label_has_no_english_in_khmer() -> None:
    with translation.override("km"):
        label = date_format(dt.date(2026, 12, 7), "D j M")
    assert label.startswith("ច័ន្ទ 7 ")
    assert not any(ch.isascii() and ch.isalpha() for ch in label), label
