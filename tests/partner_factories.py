"""Partners for the directory's tests, written through the directory's own services (so their
search text is there, as in real use), and small real files of each kind an upload takes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.contacts.models import Term, Vocabulary
from helpline.referrals import directory, partnership
from helpline.referrals.models import Assessment, Partner


def terms(vocabulary: str, codes: Sequence[str]) -> list[Term]:
    return [Term.objects.get(vocabulary=vocabulary, code=code) for code in codes]


def add_partner(
    keeper: Staff,
    name: str = "Safe Haven Phnom Penh",
    *,
    name_km: str = "",
    services: Sequence[str] = ("shelter",),
    provinces: Sequence[str] = ("phnom_penh",),
    genders: Sequence[str] = (),
    min_age: int | None = None,
    max_age: int | None = None,
    emergency: bool = False,
    approved: bool = True,
    email: str = "referrals@example.org",
    **extra: object,
) -> Partner:
    facts = directory.PartnerFacts(
        name=name,
        name_km=name_km,
        services=terms(Vocabulary.SERVICE, services),
        provinces=terms(Vocabulary.PROVINCE, provinces),
        genders=terms(Vocabulary.GENDER, genders),
        min_age=min_age,
        max_age=max_age,
        emergency=emergency,
        phone="012 345 678",
        email=email,
        **extra,  # type: ignore[arg-type]
    )
    partner = directory.partner_create(keeper, facts=facts)
    if approved:
        partnership.assessment_record(
            keeper,
            partner=partner,
            assessed_on=timezone.localdate() - dt.timedelta(days=10),
            assessor=keeper,
            outcome=Assessment.APPROVED,
        )
        partner.refresh_from_db()
    return partner


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


DOCX_BYTES = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT_BYTES = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
