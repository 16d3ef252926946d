"""The public side: the feedback form's rate limit, and the survey link's signed token."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest

from helpline.common.requests import client_address

WINDOW_SECONDS = 3600
SURVEY_SALT = "helpline.feedback.survey"
SURVEY_MAX_AGE = 7 * 24 * 3600  # a week to answer


def _key(request: HttpRequest) -> str:
    return "feedback:form:" + (client_address(request) or "unknown")


def form_flooded(request: HttpRequest) -> bool:
    """True once this address has sent as many forms this hour as the setting allows."""
    return int(cache.get(_key(request), 0)) >= settings.FEEDBACK_FORM_PER_HOUR


def form_counted(request: HttpRequest) -> None:
    key = _key(request)
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)


def survey_token(contact_id: object) -> str:
    return signing.dumps(str(contact_id), salt=SURVEY_SALT, compress=True)


def survey_contact_id(token: str) -> str | None:
    try:
        value = signing.loads(token, salt=SURVEY_SALT, max_age=SURVEY_MAX_AGE)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) else None
