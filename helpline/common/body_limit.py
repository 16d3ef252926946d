"""A request body over DATA_UPLOAD_MAX_MEMORY_SIZE is answered 413, in every mode, before any
view or middleware reads it. (Django raises RequestDataTooBig only once something reads the body,
and shows it as a 400, with a traceback when debug is on.)"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from helpline.common.errors import bad_request, too_large


class BodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = max(int(declared), _buffered_size(request))
        except ValueError:
            return bad_request(request)
        if limit is not None and length > limit:
            return too_large(request)
        return self.get_response(request)


def _buffered_size(request: HttpRequest) -> int:
    """Under ASGI, Django has the whole body in a file before the request exists: a body sent
    without a length (chunked) is measured there."""
    stream = getattr(request, "_stream", None)
    if stream is None or not getattr(stream, "seekable", lambda: False)():
        return 0
    here = stream.tell()
    size = int(stream.seek(0, 2))
    stream.seek(here)
    return size
