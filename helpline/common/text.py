"""Text as a database can keep it."""

from __future__ import annotations

import re

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """A NUL (PostgreSQL takes none) and half of a broken emoji (a lone surrogate: a browser's JSON
    carries one as it is, and no UTF-8 database takes it) become U+FFFD; the rest is kept. Applied
    where a child's or a counsellor's words come in, so a stray character never loses them."""
    return _UNSTORABLE.sub("\ufffd", text)


_NOT_IN_IDENTIFIERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def is_identifier(value: str) -> bool:
    """An id a gateway or PBX gives us (a message id, a call id, a queue): kept exactly as sent, so
    it cannot be repaired as words are; one holding a control character (a NUL, which PostgreSQL
    refuses) or half an emoji is refused where it comes in."""
    return not _NOT_IN_IDENTIFIERS.search(value)
