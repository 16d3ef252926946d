"""SMS gateway webhooks (/hooks/sms/...). Each verifies its request before reading it, answers a
repeat of a message it already has with success (so the gateway stops retrying), and logs refusals
without message text or phone numbers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from helpline.accounts.access import PUBLIC, access
from helpline.channels.base import InboundRejected, InboundText
from helpline.channels.kannel import adapter as kannel
from helpline.channels.twilio import adapter as twilio
from helpline.common.text import is_identifier
from helpline.conversations import services

log = logging.getLogger("helpline.sms")

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _receive(
    provider: str,
    request: HttpRequest,
    verify: Callable[[HttpRequest], None],
    parse: Callable[[HttpRequest], InboundText],
    ok: Callable[[], HttpResponse],
) -> HttpResponse:
    try:
        verify(request)
        inbound = parse(request)
        if not all(
            is_identifier(v) for v in (inbound.provider_message_id, inbound.sender, inbound.recipient)
        ):
            raise InboundRejected(400, "control character in sender, recipient or message id")
        result = services.text_receive(inbound)
    except InboundRejected as exc:
        log.warning("sms inbound refused: provider=%s status=%s reason=%s", provider, exc.status, exc.reason)
        return HttpResponse(exc.reason, status=exc.status, content_type="text/plain")
    if result.duplicate:
        log.info("sms inbound repeated: provider=%s stored once", provider)
    return ok()


@csrf_exempt
@access(PUBLIC)
@require_http_methods(["GET", "POST"])
def kannel_inbound(request: HttpRequest) -> HttpResponse:
    # An empty 200 body: smsbox would otherwise send our answer to the child as an SMS.
    return _receive("kannel", request, kannel.verify, kannel.parse_inbound, lambda: HttpResponse(""))


@csrf_exempt
@access(PUBLIC)
@require_http_methods(["GET", "POST"])
def kannel_delivery(request: HttpRequest) -> HttpResponse:
    try:
        kannel.verify(request)
    except InboundRejected as exc:
        log.warning("kannel delivery report refused: %s", exc.reason)
        return HttpResponse(exc.reason, status=exc.status)
    try:
        kind = int(request.GET.get("type", ""))
    except ValueError:
        return HttpResponse("bad type", status=400)
    status = kannel.DLR_STATUS.get(kind)
    try:  # our message's id, which we put in the dlr-url
        message_id = uuid.UUID(request.GET.get("msg", ""))
    except ValueError:
        message_id = None
    if status is None or message_id is None:
        return HttpResponse("bad report", status=400)
    found = services.delivery_report(message_id=str(message_id), status=status, provider="kannel")
    return HttpResponse("", status=200 if found else 404)


@csrf_exempt
@access(PUBLIC)
@require_http_methods(["POST"])
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    return _receive(
        "twilio",
        request,
        twilio.verify,
        twilio.parse_inbound,
        lambda: HttpResponse(EMPTY_TWIML, content_type="text/xml"),
    )


@csrf_exempt
@access(PUBLIC)
@require_http_methods(["POST"])
def twilio_status(request: HttpRequest) -> HttpResponse:
    try:
        twilio.verify(request)
        report = twilio.parse_status(request)
    except InboundRejected as exc:
        log.warning("twilio status refused: %s", exc.reason)
        return HttpResponse(exc.reason, status=exc.status)
    if report is None:
        return HttpResponse("", status=204)  # queued/sending and the like: nothing to record
    sid, status = report
    found = services.delivery_report(message_id="", provider_message_id=sid, status=status, provider="twilio")
    return HttpResponse("", status=200 if found else 404)
