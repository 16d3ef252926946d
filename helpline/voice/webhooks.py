"""POST /hooks/voice/events: call events from PBXs other than Asterisk (the format and its signature:
helpline/channels/voice_http.py)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from helpline.accounts.access import PUBLIC, access
from helpline.channels.voice_http import MAX_BODY, SignatureRefused, parse_event, verify
from helpline.common import outage
from helpline.voice.services import DatabaseUnavailable, EventRejected, voice_event

log = logging.getLogger("helpline.voice")


@csrf_exempt
@access(PUBLIC)
@require_POST
def voice_events(request: HttpRequest) -> HttpResponse:
    body = request.body
    if len(body) > MAX_BODY:  # before signing it: no hashing of whatever size anyone sends
        return JsonResponse({"detail": "body too large"}, status=413)
    try:
        verify(body, request.headers.get("X-Helpline-Signature", ""))
    except SignatureRefused:
        log.warning("voice event refused: signature missing or wrong")
        return JsonResponse({"detail": "signature missing or wrong"}, status=403)
    try:
        outcome = voice_event(parse_event(body))
    except (ValueError, EventRejected) as exc:
        field = str(exc) if str(exc).isidentifier() else "body"
        log.warning("voice event refused: bad %s", field)
        return JsonResponse({"detail": f"bad or missing field: {field}"}, status=400)
    except DatabaseUnavailable:
        log.warning("voice event not stored: the database is unavailable")
        outage.mark(request)
        return JsonResponse({"detail": "not stored; send it again"}, status=503)
    if outcome == "failed":
        return JsonResponse({"detail": "not stored; send it again"}, status=503)
    return JsonResponse({"result": outcome})
