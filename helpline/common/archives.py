"""Reading zip archives (an XLSX, a DOCX, an ODT) that strangers upload, without letting a small
file unpack into a large one (a "zip bomb": 300 KB that expands to 600 MB).

A member's declared size bounds what zipfile unpacks of it (it stops there and checks the CRC), so
checking the declared sizes before reading, and reading no more than the limit, bounds the memory."""

from __future__ import annotations

import zipfile

MAX_UNPACKED = 40_000_000  # what one uploaded archive may unpack to, all its members together


class ArchiveTooLarge(ValueError):
    """The archive, or the member asked for, unpacks to more than its limit."""


def check_unpacked(archive: zipfile.ZipFile, limit: int = MAX_UNPACKED) -> None:
    """ArchiveTooLarge when the members together unpack to more than `limit` bytes."""
    if sum(info.file_size for info in archive.infolist()) > limit:
        raise ArchiveTooLarge("the archive unpacks to more than its limit")


def read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """One member's bytes, at most `limit` of them (ArchiveTooLarge beyond; KeyError when absent)."""
    if archive.getinfo(name).file_size > limit:
        raise ArchiveTooLarge(f"{name} unpacks to more than {limit} bytes")
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ArchiveTooLarge(f"{name} unpacks to more than {limit} bytes")
    return data
