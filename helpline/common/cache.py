"""No shared or browser cache keeps what a signed-in person or an API caller was shown: a page or an
answer may hold a child's words, and a shared computer's back button or a proxy must not bring it
back. Static files (served by WhiteNoise, outside this middleware) keep their long cache."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or getattr(request, "auth", None) is not None or request.path.startswith("/api/"):
            add_never_cache_headers(response)  # no-store, no-cache, must-revalidate, private
        return response
