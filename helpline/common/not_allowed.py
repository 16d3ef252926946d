"""A page, not a blank one, for an address that only takes a form's answer opened as a page.

Views that only act (take, close, revoke, switch language) are require_POST: a GET of them, typed,
bookmarked or reloaded after a failed redirect, gets Django's 405 with an empty body, which a
browser shows as a white page. Here such an answer gets a short page in the reader's language
with a way back. The API (and any caller asking for JSON) keeps its own answers, and a 405 that
already says something is left as it is."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from helpline.common.errors import not_allowed
from helpline.common.requests import wants_json


class NotAllowedPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.streaming or response.content or wants_json(request):
            return response
        return not_allowed(request, response)
