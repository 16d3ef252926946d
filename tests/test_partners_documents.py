"""Documents about a partner (an MOU, an assessment form): taken only as PDF, PNG, JPEG, DOCX or
ODT by their content and up to 10 MB; a 30 MB upload is refused with the limit said and nothing
stored; a document is downloaded only by those who keep the directory, as an attachment, and who
opened it is audited."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.common.archives import MAX_UNPACKED, ArchiveTooLarge, check_unpacked
from helpline.referrals import directory_io, documents, partnership
from helpline.referrals.directory import PartnerError
from helpline.referrals.documents import MAX_DOCUMENT_BYTES
from helpline.referrals.models import Partner, PartnerAssessment, PartnerDocument
from tests.factories import persona
from tests.partner_factories import DOCX_BYTES, ODT_BYTES, PDF_BYTES, PNG_BYTES, add_partner, upload, zipped

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def keeper(db: None) -> Staff:
    return persona(Role.CASE_MANAGER, username="keeper")


@pytest.fixture
def partner(keeper: Staff) -> Partner:
    return add_partner(keeper, approved=False)


def stored(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("mou.pdf", PDF_BYTES, "application/pdf"),
        ("photo.png", PNG_BYTES, "image/png"),
        ("scan.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg"),
        ("form.docx", DOCX_BYTES, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("form.odt", ODT_BYTES, "application/vnd.oasis.opendocument.text"),
        ("no-extension", PDF_BYTES, "application/pdf"),  # the content decides, not the name
    ],
)
def test_each_kind_is_taken_by_its_content(
    name: str, data: bytes, content_type: str, keeper: Staff, partner: Partner, media: Path
) -> None:
    document = partnership.document_add(keeper, partner=partner, upload=upload(name, data), title="MOU 2026")
    assert document.content_type == content_type and document.size == len(data)
    assert document.original_name == name and name not in document.file.name  # stored under a random name
    assert len(stored(media)) == 1 and stored(media)[0].read_bytes() == data
    assert AuditEvent.objects.filter(
        action=AuditAction.PARTNER_DOCUMENT_ADD, record_id=str(partner.pk)
    ).exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("mou.pdf", b"MZ\x90\x00 this is a program, not a PDF"),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("book.docx", zipped({"xl/workbook.xml": b"<workbook/>"})),  # a zip, but not a text document
        ("broken.docx", b"PK\x03\x04 not really a zip"),
        ("empty.pdf", b""),
    ],
)
def test_any_other_content_is_refused_and_nothing_stored(
    name: str, data: bytes, keeper: Staff, partner: Partner, media: Path
) -> None:
    with pytest.raises(PartnerError):
        partnership.document_add(keeper, partner=partner, upload=upload(name, data, "application/pdf"))
    assert not PartnerDocument.objects.exists() and stored(media) == []


def test_a_file_just_over_10_mb_is_refused_by_its_size(keeper: Staff, partner: Partner, media: Path) -> None:
    big = PDF_BYTES + b"0" * (MAX_DOCUMENT_BYTES + 1 - len(PDF_BYTES))
    with pytest.raises(PartnerError, match="10 MB"):
        partnership.document_add(keeper, partner=partner, upload=upload("big.pdf", big))
    assert stored(media) == []


def test_a_30_mb_upload_is_refused_with_the_limit_said_and_nothing_stored(
    keeper: Staff, partner: Partner, media: Path, client_for: ClientFor
) -> None:
    client = client_for(keeper)
    huge = PDF_BYTES + b"0" * (30_000_000 - len(PDF_BYTES))
    response = client.post(
        f"/partners/{partner.pk}/documents/", {"file": upload("huge.pdf", huge), "title": "Huge"}
    )
    assert response.status_code == 413
    body = response.content.decode()
    assert "10 MB" in body  # the page says how much may be sent
    assert not PartnerDocument.objects.exists() and stored(media) == []
    # Between the limit and what the page lets through, the form says why.
    over = PDF_BYTES + b"0" * (MAX_DOCUMENT_BYTES + 10 - len(PDF_BYTES))
    refused = client.post(f"/partners/{partner.pk}/documents/", {"file": upload("over.pdf", over)})
    assert refused.status_code == 400 and "10 MB" in refused.content.decode()
    assert not PartnerDocument.objects.exists() and stored(media) == []


def test_an_assessment_with_its_mou_from_the_page(
    keeper: Staff, partner: Partner, client_for: ClientFor
) -> None:
    client = client_for(keeper)
    response = client.post(
        f"/partners/{partner.pk}/assessments/",
        {
            "assessed_on": timezone.localdate().isoformat(),
            "assessor": keeper.username,
            "outcome": "approved",
            "notes": "Policy read, premises visited.",
            "file": upload("mou.pdf", PDF_BYTES),
            "document_title": "MOU",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assessment = PartnerAssessment.objects.get()
    assert assessment.documents.get().title == "MOU"
    partner.refresh_from_db()
    assert partner.assessment == "approved"


def test_a_bad_file_with_an_assessment_records_neither(
    keeper: Staff, partner: Partner, client_for: ClientFor, media: Path
) -> None:
    response = client_for(keeper).post(
        f"/partners/{partner.pk}/assessments/",
        {
            "assessed_on": timezone.localdate().isoformat(),
            "assessor": keeper.username,
            "outcome": "approved",
            "file": upload("mou.pdf", b"not a pdf"),
        },
    )
    assert response.status_code == 400
    assert not PartnerAssessment.objects.exists() and stored(media) == []
    partner.refresh_from_db()
    assert partner.assessment == "not_assessed"


def test_a_document_is_downloaded_as_an_attachment_by_keepers_only_and_audited(
    keeper: Staff, partner: Partner, client_for: ClientFor
) -> None:
    document = partnership.document_add(keeper, partner=partner, upload=upload("mou.pdf", PDF_BYTES))
    url = f"/partners/{partner.pk}/documents/{document.pk}/"
    counsellor = persona(Role.COUNSELLOR, username="c")
    assert client_for(counsellor).get(url).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.PARTNER_DOCUMENT_READ).exists()
    response = client_for(keeper).get(url)
    assert response.status_code == 200
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and "mou.pdf" in response["Content-Disposition"]
    )
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    event = AuditEvent.objects.get(action=AuditAction.PARTNER_DOCUMENT_READ)
    assert event.actor == keeper and event.record_id == str(partner.pk)
    # Another partner's address for the same document is the same 404 as a missing one.
    other = add_partner(keeper, "Other Partner", approved=False)
    assert client_for(keeper).get(f"/partners/{other.pk}/documents/{document.pk}/").status_code == 404
    # A counsellor's partner page lists no documents.
    assert "mou.pdf" not in client_for(counsellor).get(f"/partners/{partner.pk}/").content.decode()


def test_a_small_zip_that_unpacks_to_a_huge_mimetype_is_refused_without_unpacking_it(
    keeper: Staff, partner: Partner, media: Path
) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text" + b" " * 30_000_000)
    bomb = out.getvalue()
    assert len(bomb) < 100_000  # a few dozen kilobytes on the wire
    tracemalloc.start()
    try:
        with pytest.raises(PartnerError):
            partnership.document_add(keeper, partner=partner, upload=upload("bomb.odt", bomb))
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, f"unpacked {peak} bytes to look at a file of {len(bomb)}"
    assert stored(media) == []


def test_the_xlsx_import_and_the_documents_share_one_zip_guard() -> None:
    assert documents.check_unpacked is directory_io.check_unpacked is check_unpacked
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_UNPACKED + 1))
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive, pytest.raises(ArchiveTooLarge):
        check_unpacked(archive)


def test_the_too_large_page_is_in_the_readers_language_and_leads_back(
    partner: Partner,
) -> None:
    page_url = f"/partners/{partner.pk}/"
    huge = PDF_BYTES + b"0" * (30_000_000 - len(PDF_BYTES))
    response = Client(HTTP_REFERER=f"http://testserver{page_url}").post(
        f"/partners/{partner.pk}/documents/",
        {"file": upload("huge.pdf", huge)},
        headers={"Cookie": "helpline_language=en"},
    )
    assert response.status_code == 413
    body = response.content.decode()
    assert "Too large" in body and f'href="http://testserver{page_url}"' in body
    elsewhere = Client(HTTP_REFERER="https://evil.example/").post(
        f"/partners/{partner.pk}/documents/", {"file": upload("huge.pdf", huge)}
    )
    assert elsewhere.status_code == 413 and "evil.example" not in elsewhere.content.decode()


def test_the_partner_pages_labels_each_lead_to_one_box(
    keeper: Staff, partner: Partner, client_for: ClientFor
) -> None:
    # The assessment form and the document form both have a file box: with one id for both, the
    # document form's label (and a screen reader following it) led to the assessment's box.
    page = client_for(keeper).get(f"/partners/{partner.pk}/").content.decode()
    ids = re.findall(r'\bid="([^"]+)"', page)
    targets = re.findall(r'<label for="([^"]+)"', page)
    assert "id_file" in targets or any(t.endswith("_file") for t in targets)
    assert [t for t in targets if ids.count(t) != 1] == []
