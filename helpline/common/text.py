"""Text as a database can keep it."""

from __future__ import annotations

import re

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """A NUL (PostgreSQL takes none) and half of a broken emoji (a lone surrogate: a browser's JSON
    carries one as it is, and no UTF-8 database takes it) become U+FFFD; the rest is kept. Applied
    where a child's or a counsellor's words come in, so a stray character never loses them."""
    return _UNSTORABLE.sub("\ufffd", text)
