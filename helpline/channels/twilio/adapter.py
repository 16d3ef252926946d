"""Twilio and Twilio-compatible HTTP providers.

Inbound: /hooks/sms/twilio, verified with the twilio library's RequestValidator (X-Twilio-Signature
over the public URL and the posted fields). Outbound: the Messages REST resource.
"""

from __future__ import annotations

import requests
from django.conf import settings
from django.http import HttpRequest
from twilio.request_validator import RequestValidator

from helpline.channels.base import InboundRejected, InboundText, OutboundText, PermanentError, RetryableError
from helpline.channels.config import TwilioConfig, twilio_config
from helpline.common.text import NotAnIdentifier, lookup_key

MAX_TEXT = 2000
TIMEOUT = (3.05, 10)
STATUS = {"delivered": "delivered", "sent": "sent", "failed": "failed", "undelivered": "failed"}


def public_url(request: HttpRequest) -> str:
    """The URL the provider signed: HELPLINE_PUBLIC_URL + path when behind a proxy."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL + request.get_full_path()
    return request.build_absolute_uri()


def verify(request: HttpRequest, config: TwilioConfig | None = None) -> None:
    config = config or twilio_config()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not config.auth_token or not signature:
        raise InboundRejected(403, "twilio signature missing")
    params = {key: request.POST.get(key, "") for key in request.POST}
    if not RequestValidator(config.auth_token).validate(public_url(request), params, signature):
        raise InboundRejected(403, "twilio signature wrong")


def parse_inbound(request: HttpRequest) -> InboundText:
    sender = request.POST.get("From", "")
    recipient = request.POST.get("To", "")
    message_id = request.POST.get("MessageSid", "") or request.POST.get("SmsSid", "")
    text = request.POST.get("Body", "")
    if not sender or not recipient or not message_id:
        raise InboundRejected(400, "From, To and MessageSid are required")
    if len(text) > MAX_TEXT or len(message_id) > 128 or len(sender) > 40 or len(recipient) > 40:
        raise InboundRejected(413, "request too large")
    return InboundText("twilio", message_id, sender, recipient, text)


def parse_status(request: HttpRequest) -> tuple[str, str] | None:
    """A status callback as (MessageSid, our delivery status), None for a status we do not record
    (queued, sending); InboundRejected(400) for a MessageSid no message can have."""
    status = STATUS.get(request.POST.get("MessageStatus", ""))
    sid = request.POST.get("MessageSid", "")
    if status is None or not sid:
        return None
    try:
        return lookup_key(sid, limit=128), status
    except NotAnIdentifier:
        raise InboundRejected(400, "control character in MessageSid or MessageSid too long") from None


class TwilioGateway:
    name = "twilio"

    def __init__(self, config: TwilioConfig | None = None) -> None:
        self.config = config or twilio_config()
        self.per_second = self.config.per_second

    def send(self, message: OutboundText) -> str | None:
        config = self.config
        if not (config.account_sid and config.auth_token):
            raise PermanentError("twilio credentials are not configured")
        url = f"{config.api_url}/2010-04-01/Accounts/{config.account_sid}/Messages.json"
        data = {"To": message.to, "From": config.sender or message.sender, "Body": message.text}
        if settings.PUBLIC_URL:
            data["StatusCallback"] = f"{settings.PUBLIC_URL}/hooks/sms/twilio/status"
        try:
            response = requests.post(
                url, data=data, auth=(config.account_sid, config.auth_token), timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            raise RetryableError("provider unreachable") from exc
        if response.status_code in (200, 201):
            try:
                return str(response.json().get("sid") or "") or None
            except ValueError:
                return None
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableError(f"provider busy ({response.status_code})")
        raise PermanentError(f"provider rejected the message ({response.status_code})")
