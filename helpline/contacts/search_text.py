"""Words for searching summaries in Khmer and English.

Khmer is written without spaces between words, so the text is segmented into words with
khmer-nltk; a search for one word then matches it inside a sentence, and never half a word.
"""

from __future__ import annotations

import re
from functools import lru_cache

from helpline.common.text import normalise

KHMER = re.compile("[\u1780-\u17ff\u19e0-\u19ff]")
WORD = re.compile(r"[\w\u1780-\u17ff\u19e0-\u19ff]+", re.UNICODE)
MAX_QUERY_WORDS = 8


@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    import logging

    logging.getLogger("khmer-nltk").setLevel(logging.WARNING)
    from khmernltk import word_tokenize

    return word_tokenize


def words(text: str) -> list[str]:
    """Words in normal form (helpline.common.text.normalise: the same form triage and blocked words
    compare); Khmer runs are segmented, other scripts split on non-word characters."""
    text = normalise(text)
    result: list[str] = []
    for chunk in WORD.findall(text):
        if KHMER.search(chunk):
            result.extend(w for w in (_segmenter()(chunk) or []) if w.strip() and WORD.fullmatch(w))
        else:
            result.append(chunk)
    return result


def index_text(text: str) -> str:
    """The stored form: words separated by single spaces, with a space at each end."""
    found = words(text)
    return f" {' '.join(found)} " if found else ""


def query_words(query: str) -> list[str]:
    return words(query)[:MAX_QUERY_WORDS]
