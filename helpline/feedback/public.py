"""The public side: the feedback form's rate limit, and the survey link's signed token."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest

from helpline.common.requests import client_address

WINDOW_SECONDS = 3600
SURVEY_SALT = "helpline.feedback.survey"
SURVEY_MAX_AGE = 7 * 24 * 3600  # a week to answer


# Attempts (refused ones included) an address may make in the window, per message it may send:
# a child who mistypes an address a few times still gets through, a flood of junk does not.
ATTEMPTS_PER_MESSAGE = 4
REPEAT_SECONDS = 600  # the same words again from the same address within this: a double click


def _key(request: HttpRequest, what: str) -> str:
    return f"feedback:form:{what}:" + (client_address(request) or "unknown")


def form_flooded(request: HttpRequest) -> bool:
    """True once this address has sent as many messages this hour as the setting allows, or
    tried many times more often than that."""
    limit = settings.FEEDBACK_FORM_PER_HOUR
    sent = int(cache.get(_key(request, "sent"), 0))
    tried = int(cache.get(_key(request, "tried"), 0))
    return sent >= limit or tried >= limit * ATTEMPTS_PER_MESSAGE


def _count(key: str) -> None:
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)


def form_tried(request: HttpRequest) -> None:
    _count(_key(request, "tried"))


def form_sent(request: HttpRequest) -> None:
    _count(_key(request, "sent"))


REPEAT_FIELDS = ("kind", "subject", "subject_words", "text", "name", "email")


def form_words(data: Mapping[str, str]) -> str:
    """What makes two sends of the form the same: everything the risk triage reads (so a repeat
    reads as the first did), and the name and address too (the same words sent again with an
    address to answer, by a child who wants a reply after all, are kept, not dropped as a repeat)."""
    return "\x1f".join(data.get(field, "") for field in REPEAT_FIELDS)


def _repeat_key(request: HttpRequest, words: str) -> str:
    digest = hashlib.sha256(words.encode()).hexdigest()[:32]
    return _key(request, "words") + ":" + digest


def form_repeated(request: HttpRequest, words: str) -> bool:
    """True when these words came from this address a moment ago (a double click or a resend):
    the first is kept, the second thanked without keeping it again. Claims the words otherwise."""
    return not cache.add(_repeat_key(request, words), 1, timeout=REPEAT_SECONDS)


def form_release(request: HttpRequest, words: str) -> None:
    """The words were refused after all: the same words may be sent again at once."""
    cache.delete(_repeat_key(request, words))


def survey_token(contact_id: object) -> str:
    return signing.dumps(str(contact_id), salt=SURVEY_SALT, compress=True)


def survey_contact_id(token: str) -> str | None:
    try:
        value = signing.loads(token, salt=SURVEY_SALT, max_age=SURVEY_MAX_AGE)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) else None
