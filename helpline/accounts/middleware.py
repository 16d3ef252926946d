"""Language choice (the signed-in person's own setting, else the language cookie, else Khmer),
and the idle timeout's clock."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from helpline.common.language import language_for


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


ACTIVITY_KEY = "_active_at"


class SessionActivityMiddleware:
    """A session expires SESSION_COOKIE_AGE after the last activity. Saving it on every request
    would make each request a database write; saving it when the last save is older than
    SESSION_ACTIVITY_SECONDS keeps the idle timeout to within that much."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        # Signed-in sessions only: a cookie alone (stale, or made up) must not make us store one.
        if session is not None and session.get(SESSION_KEY):
            now = int(time.time())
            if now - int(session.get(ACTIVITY_KEY, 0)) >= settings.SESSION_ACTIVITY_SECONDS:
                session[ACTIVITY_KEY] = now  # modified: saved with a fresh expiry
        return self.get_response(request)
