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


REPEAT_SECONDS = 600  # the same words again from the same address within this: a double click


def _key(request: HttpRequest, what: str) -> str:
    return f"feedback:form:{what}:" + (client_address(request) or "unknown")


def form_flooded(request: HttpRequest) -> bool:
    """True once this address has sent as many messages this hour as FEEDBACK_FORM_PER_HOUR
    allows, or made FEEDBACK_FORM_REFUSED_PER_HOUR attempts that kept nothing. The two are
    counted apart: attempts that keep nothing still cost the server work (a repeat is read by the
    risk triage again) and a flood of junk must stop, but a child who mistypes a few times, or
    shares a school's address with others who did, must still be able to send."""
    sent = int(cache.get(_key(request, "sent"), 0))
    refused = int(cache.get(_key(request, "refused"), 0))
    return sent >= settings.FEEDBACK_FORM_PER_HOUR or refused >= settings.FEEDBACK_FORM_REFUSED_PER_HOUR


def form_flood_readable(request: HttpRequest) -> bool:
    """Whether the words of one more attempt from a flooded address may still be read by the risk
    triage (to put the helpline's numbers first): as many as its refused attempts were allowed,
    then no more reading, so a flood cannot make the server run the triage without end."""
    _count(_key(request, "flooded"))
    return int(cache.get(_key(request, "flooded"), 0)) <= settings.FEEDBACK_FORM_REFUSED_PER_HOUR


def _count(key: str) -> None:
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)


def form_refused(request: HttpRequest) -> None:
    """An attempt that kept nothing: refused input, a robot's, or a repeat of words just kept."""
    _count(_key(request, "refused"))


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
