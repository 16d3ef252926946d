"""Facts about an incoming request that several apps need."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

_SESSION_USER = "_helpline_session_user"


def client_address(request: HttpRequest | None) -> str | None:
    """The client's IP address. Behind a trusted proxy uvicorn has already put the address the
    proxy saw here (see `serve`); X-Forwarded-For itself is never read, as its first hop is
    whatever the client chose to send."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def session_user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser | None:
    """The user the request's session names, for code that runs before the session and
    authentication middleware (the body limit and its 413 page): the session is read here, once
    a request, for that one question. None without a session cookie."""
    user: AbstractBaseUser | AnonymousUser | None = getattr(request, "user", None)
    if user is not None:
        return user
    if not hasattr(request, _SESSION_USER):
        found: AbstractBaseUser | AnonymousUser | None = None
        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if key:
            engine = import_module(settings.SESSION_ENGINE)
            probe = HttpRequest()
            probe.session = engine.SessionStore(key)
            found = get_user(probe)  # type: ignore[arg-type]
        setattr(request, _SESSION_USER, found)
    kept: AbstractBaseUser | AnonymousUser | None = getattr(request, _SESSION_USER)
    return kept
