"""The printable case summary: the case page's facts as a PDF (WeasyPrint), in Khmer or English,
watermarked on every page with who printed it and when. Reads only; the print is recorded by
services.case_record_print."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from helpline.accounts.models import Staff
from helpline.cases import selectors
from helpline.cases.models import Case, FollowUpStatus

LANGUAGES = ("km", "en")
STYLESHEET = Path(__file__).with_name("print.css")
WHEN_FORMAT = "%Y-%m-%d %H:%M"  # the same digits in both languages: the watermark is read by auditors too


def print_language(staff: Staff, asked: str | None) -> str:
    """The language asked for, else the printer's own, else Khmer."""
    for language in (asked, staff.language):
        if language in LANGUAGES:
            return language
    return "km"


def summary_context(staff: Staff, case: Case, *, printed_at: dt.datetime) -> dict[str, Any]:
    when = timezone.localtime(printed_at)
    return {
        "case": case,
        "printer": staff.display_name,
        "printed_at": when.strftime(WHEN_FORMAT),
        "printed_at_iso": when.isoformat(timespec="seconds"),
        "goals": list(case.goals.order_by("created_at")),
        "follow_ups": list(
            case.follow_ups.filter(status=FollowUpStatus.SCHEDULED).select_related("owner").order_by("due_at")
        ),
        "breaks": list(case.breaks.select_related("decided_by", "signed_off_by").order_by("disclosed_at")),
        "notes": list(case.notes.select_related("author").order_by("written_at")),
        "people": list(case.people.order_by("created_at")),
        "contacts": [c for c, may_see in selectors.case_contacts(staff, case) if may_see],
        "timeline": selectors.case_timeline(case),
    }


def summary_pdf(staff: Staff, case: Case, *, language: str, printed_at: dt.datetime) -> bytes:
    """The summary as PDF bytes. Khmer needs a font with its shaping tables: the page asks for the
    Khmer OS family (Debian's fonts-khmeros, `make system-deps-fonts`) and Pango shapes the clusters."""
    from weasyprint import CSS, HTML  # deferred: loads Pango and the fonts; only printing needs it

    with translation.override(language):
        html = render_to_string(
            "cases/print.html", summary_context(staff, case, printed_at=printed_at) | {"language": language}
        )
    sheet = CSS(string=STYLESHEET.read_text(encoding="utf-8"))
    pdf = HTML(string=html).write_pdf(stylesheets=[sheet])  # no target: the bytes
    assert isinstance(pdf, bytes)
    return pdf
