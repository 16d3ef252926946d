"""Files about a partner (an MOU, an assessment form): what is taken and how it is stored.

A file is taken only when its content is one of the kinds below, whatever its name or the type its
browser declared, and only up to MAX_DOCUMENT_BYTES; it is stored under a random name in Django's
storage (MEDIA_ROOT), never served as it is: the partner page's download checks who asks."""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from dataclasses import dataclass
from typing import IO

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from helpline.common.archives import ArchiveTooLarge, check_unpacked, read_member

MAX_DOCUMENT_BYTES = 10_000_000  # 10 MB
MAX_DOCUMENT_MB = MAX_DOCUMENT_BYTES // 1_000_000
_ODT = b"application/vnd.oasis.opendocument.text"


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str


PDF = Kind("application/pdf", "pdf")
PNG = Kind("image/png", "png")
JPEG = Kind("image/jpeg", "jpg")
DOCX = Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
ODT = Kind(_ODT.decode(), "odt")


class DocumentRefused(ValueError):
    """The file is too large or not a kind taken; the message says which, for the person."""


def _zip_kind(stream: IO[bytes]) -> Kind | None:
    """A Word (DOCX) or OpenDocument text, by what the archive holds, not by its name."""
    try:
        with zipfile.ZipFile(stream) as archive:
            check_unpacked(archive)
            names = set(archive.namelist())
            # The member is read bounded: a forged size cannot make a small file fill the memory.
            if "mimetype" in names and read_member(archive, "mimetype", 2 * len(_ODT)).strip() == _ODT:
                return ODT
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return DOCX
    except (zipfile.BadZipFile, ArchiveTooLarge, OSError, KeyError, RuntimeError, ValueError):
        return None
    return None


def sniff(upload: UploadedFile) -> Kind:
    """The kind of the file by its content, or DocumentRefused."""
    if upload.size is None or upload.size > MAX_DOCUMENT_BYTES:
        raise DocumentRefused(_("The file is too large: at most %(n)d MB.") % {"n": MAX_DOCUMENT_MB})
    if upload.size == 0:
        raise DocumentRefused(_("The file is empty."))
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    kind: Kind | None = None
    if head.startswith(b"%PDF-"):
        kind = PDF
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        kind = JPEG
    elif head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(upload)  # type: ignore[arg-type]
        upload.seek(0)
    if kind is None:
        raise DocumentRefused(_("Only PDF, PNG, JPEG, Word (DOCX) or OpenDocument (ODT) files are taken."))
    return kind


def digest(upload: UploadedFile) -> str:
    hasher = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        hasher.update(chunk)
    upload.seek(0)
    return hasher.hexdigest()


def storage_name(kind: Kind) -> str:
    """A random name: the uploader's file name says nothing on the disk (it is kept on the row)."""
    return f"{uuid.uuid4().hex}.{kind.extension}"
