"""The printable case summary: a PDF in Khmer or English, watermarked on every page with who
printed it and when; the print is on the timeline and the audit trail; refused with the case
page's own 404 to whoever may not see the case, and never made by a GET."""

from __future__ import annotations

import io
from collections.abc import Callable
from uuid import uuid4

import pytest
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.cases import services
from helpline.cases.models import Case, CaseEvent, EventKind
from tests.case_factories import open_case
from tests.factories import persona

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]

KHMER_NOTE = "ប្អូនស្រីបានប្រាប់ថា គាត់ចង់ចាប់ផ្ដើមរៀនឡើងវិញ ហើយត្រូវការជំនួយពីគ្រូ។"


def named(role: str, username: str, full_name: str, language: str) -> Staff:
    staff = persona(role, username=username, language=language)
    staff.full_name = full_name
    staff.save(update_fields=["full_name"])
    return staff


def long_case(counsellor: Staff) -> Case:
    """Enough notes to fill several pages."""
    case = open_case(counsellor, nickname="ដារ៉ា")
    services.goal_add(counsellor, case=case, text="ចូលរៀនវិញមុនខែមិថុនា")
    for i in range(40):
        services.note_add(counsellor, case=case, text=f"{i + 1}. {KHMER_NOTE}")
    return case


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def fonts_of(pdf: bytes) -> set[str]:
    """The fonts the pages draw with (subset prefix dropped): Khmer drawn in a Latin font is boxes."""
    return {
        str(font.get_object()["/BaseFont"]).split("+", 1)[-1]
        for page in PdfReader(io.BytesIO(pdf)).pages
        for font in page["/Resources"]["/Font"].values()
    }


def main_of(html: bytes) -> bytes:
    """The page without its per-request tokens (CSRF, the CSP nonce)."""
    return html.split(b'<main id="main"', 1)[1].split(b">", 1)[1].split(b"</main>", 1)[0]


def printed(case: Case) -> list[CaseEvent]:
    return list(case.events.filter(kind=EventKind.PRINTED))


def print_audits(case: Case) -> int:
    return AuditEvent.objects.filter(action=AuditAction.CASE_PRINT, record_id=str(case.pk)).count()


def test_the_khmer_summary_is_watermarked_on_every_page(client_for: ClientFor) -> None:
    counsellor = named(Role.COUNSELLOR, "km-counsellor", "សុខា ចាន់", "km")
    case = long_case(counsellor)
    response = client_for(counsellor).post(f"/cases/{case.pk}/print/")  # no choice: the printer's language
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{case.number}.pdf"'
    pages = pages_of(response.content)
    assert len(pages) >= 2
    [event] = printed(case)
    when = timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M")
    for number, text in enumerate(pages, start=1):
        assert "សុខា ចាន់" in text and when in text, f"page {number} has no watermark"
    everything = "\n".join(pages)
    assert "សង្ខេបករណី" in everything  # "Case summary", in Khmer
    # A PDF's text layer maps shaped Khmer clusters back to letters only in part (a subscript or a
    # vowel drawn before its consonant is lost): words without those come out whole.
    assert "ជំនួយពីគ្រូ" in everything and "ចូលរៀន" in everything
    assert all(case.number in text for text in pages)  # the page header, from the first page on
    assert fonts_of(response.content) >= {"Khmer-OS-Content"}
    assert "Case summary" not in everything and "Timeline" not in everything


def test_english_is_a_choice_for_a_khmer_speaker(client_for: ClientFor) -> None:
    counsellor = named(Role.COUNSELLOR, "km-counsellor", "Sokha Chan", "km")
    case = open_case(counsellor)
    response = client_for(counsellor).post(f"/cases/{case.pk}/print/", {"language": "en"})
    assert response.status_code == 200
    [text] = pages_of(response.content)
    assert f"Case summary {case.number}" in text and "Printed by Sokha Chan at" in text
    assert "Case opened" in text  # the timeline, in English
    assert printed(case)[0].detail == {"language": "en"}


def test_printing_is_on_the_timeline_and_audited_at_the_watermark_time(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    before = timezone.now()
    response = client_for(counsellor).post(f"/cases/{case.pk}/print/", {"language": "km"})
    assert response.status_code == 200
    [event] = printed(case)
    assert event.actor == counsellor and before <= event.at <= timezone.now()
    assert event.detail == {"language": "km"}
    audit = AuditEvent.objects.get(action=AuditAction.CASE_PRINT, record_id=str(case.pk))
    assert audit.actor_id == counsellor.pk
    page = client_for(counsellor).get(f"/cases/{case.pk}/")
    assert "បានបោះពុម្ពសេចក្ដីសង្ខេប".encode() in page.content or b"Summary printed" in page.content


def test_someone_who_cannot_see_the_case_gets_the_same_404_and_nothing_is_recorded(
    counsellor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    case = open_case(counsellor)
    other = persona(Role.COUNSELLOR, username="other-counsellor")
    for outsider in (other, administrator):
        client = client_for(outsider)
        missing = client.post(f"/cases/{uuid4()}/print/")
        refused = client.post(f"/cases/{case.pk}/print/")
        # A colleague: the case page's 404. An administrator: the 403 of the whole case area, which
        # says nothing about the case either.
        assert missing.status_code == refused.status_code == (404 if outsider == other else 403)
        assert main_of(refused.content) == main_of(missing.content)
    assert printed(case) == [] and print_audits(case) == 0


def test_a_get_prints_nothing(counsellor: Staff, client_for: ClientFor) -> None:
    case = open_case(counsellor)
    response = client_for(counsellor).get(f"/cases/{case.pk}/print/")
    assert response.status_code == 405
    assert printed(case) == [] and print_audits(case) == 0


def test_the_case_page_offers_printing_in_either_language(counsellor: Staff, client_for: ClientFor) -> None:
    case = open_case(counsellor)
    page = client_for(counsellor).get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/print/"' in page
    assert '<option value="en" selected>' in page and '<option value="km">' in page
