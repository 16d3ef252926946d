"""Which language a page is in: the signed-in person's own setting, else the language cookie, else
the site's default (Khmer). One rule for the language middleware (helpline.accounts.middleware) and
for the pages answered before it runs (the 413 of helpline.common.body_limit)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def language_for(request: HttpRequest, *, user: object | None = None) -> str:
    """`user`: the person, where the request has none on it yet (before the authentication
    middleware); by default the request's own."""
    supported = {code for code, _name in settings.LANGUAGES}
    person = user if user is not None else getattr(request, "user", None)
    own = getattr(person, "language", "") if getattr(person, "is_authenticated", False) else ""
    if own in supported:
        return str(own)
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in supported:
        return cookie
    return str(settings.LANGUAGE_CODE)
