"""Kannel: the usual gateway in front of operators' SMSCs (SMPP).

Inbound: smsbox calls /hooks/sms/kannel from an sms-service get-url or post-url, e.g.
  get-url = "http://HOST/hooks/sms/kannel?secret=S&from=%p&to=%P&text=%a&id=%I&coding=%c&charset=%C"
Outbound: Kannel's sendsms HTTP interface, asking for delivery reports at /hooks/sms/kannel/dlr.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl, urlencode

import requests
from django.http import HttpRequest

from helpline.channels.base import InboundRejected, InboundText, OutboundText, PermanentError, RetryableError
from helpline.channels.config import KannelConfig, kannel_config

MAX_TEXT = 2000
TIMEOUT = (3.05, 10)

# Kannel delivery report types (dlr-mask bits) to our delivery statuses.
DLR_STATUS = {1: "delivered", 2: "failed", 4: "sent", 8: "sent", 16: "failed"}


def _param(request: HttpRequest, *names: str) -> str:
    for name in names:
        value = request.GET.get(name)
        if value is None and request.method == "POST" and request.content_type != "text/plain":
            value = request.POST.get(name)
        if value is not None:
            return value
    return ""


# smsbox passes the text in the message's own coding unless smsbox has mo-recode = true: Khmer
# (UCS-2) then arrives as UTF-16BE bytes, percent-encoded, with charset=UTF-16BE.
TEXT_CHARSETS = {
    "UTF-16BE": "utf-16-be",
    "UTF-16": "utf-16",
    "UCS-2": "utf-16-be",
    "UTF-16LE": "utf-16-le",
    "ISO-8859-1": "latin-1",
    "WINDOWS-1252": "cp1252",
}


def _raw_text(request: HttpRequest) -> bytes | None:
    """The text parameter's bytes as sent, before Django decoded them as UTF-8."""
    sources = [request.META.get("QUERY_STRING", "")]
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        sources.append(request.body.decode("latin-1"))
    for source in sources:
        for key, value in parse_qsl(source, keep_blank_values=True, encoding="latin-1"):
            if key == "text":
                return str(value).encode("latin-1")
    return None


def _decoded_text(request: HttpRequest, text: str) -> str:
    charset = _param(request, "charset").strip().upper()
    codec = TEXT_CHARSETS.get(charset)
    if codec is None:
        return text
    raw = _raw_text(request)
    if raw is None:
        return text
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise InboundRejected(400, "text does not match its charset") from exc


def verify(request: HttpRequest, config: KannelConfig | None = None) -> None:
    """The shared secret, from the URL or the X-Helpline-Secret header, compared in constant time."""
    config = config or kannel_config()
    given = request.GET.get("secret") or request.headers.get("X-Helpline-Secret", "")
    if not config.secret or not given or not hmac.compare_digest(given.encode(), config.secret.encode()):
        raise InboundRejected(403, "kannel secret missing or wrong")


def parse_inbound(request: HttpRequest) -> InboundText:
    """smsbox's parameters (get-url), a form post, or a post-url body with X-Kannel-* headers."""
    sender = _param(request, "from") or request.headers.get("X-Kannel-From", "")
    recipient = _param(request, "to") or request.headers.get("X-Kannel-To", "")
    message_id = _param(request, "id") or request.headers.get("X-Kannel-SMS-ID", "")
    text = _decoded_text(request, _param(request, "text"))
    if not text and request.method == "POST" and request.content_type == "text/plain":
        try:
            text = request.body.decode(request.encoding or "utf-8")
        except UnicodeDecodeError as exc:
            raise InboundRejected(400, "body is not valid text") from exc
    if not sender or not recipient or not message_id:
        raise InboundRejected(400, "sender, recipient and message id are required")
    if len(text) > MAX_TEXT or len(message_id) > 128 or len(sender) > 40 or len(recipient) > 40:
        raise InboundRejected(413, "request too large")
    return InboundText("kannel", message_id, sender, recipient, text)


class KannelGateway:
    name = "kannel"

    def __init__(self, config: KannelConfig | None = None) -> None:
        self.config = config or kannel_config()
        self.per_second = self.config.per_second

    def send(self, message: OutboundText) -> str | None:
        if not self.config.sendsms_url:
            raise PermanentError("kannel sendsms url is not configured")
        params = {
            "username": self.config.username,
            "password": self.config.password,
            "to": message.to.lstrip("+"),
            "from": message.sender,
            "text": message.text,
            "charset": "UTF-8",
            "coding": "0" if message.text.isascii() else "2",
        }
        if self.config.dlr_url:
            params["dlr-mask"] = "31"
            joiner = "&" if "?" in self.config.dlr_url else "?"
            # Kannel fills in %d (the report type); the rest identifies our message.
            query = urlencode({"msg": message.message_id, "secret": self.config.secret})
            params["dlr-url"] = f"{self.config.dlr_url}{joiner}{query}&type=%d"
        try:
            response = requests.get(self.config.sendsms_url, params=params, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise RetryableError("kannel unreachable") from exc
        body = response.text.strip()
        if response.status_code in (200, 202) and (body.startswith("0:") or body.startswith("3:")):
            return None  # Kannel gives no id here; delivery reports come back with ours
        if response.status_code in (401, 403):
            raise PermanentError("kannel refused the credentials")
        if response.status_code >= 500 or response.status_code == 503 or body.startswith("4:"):
            raise RetryableError(f"kannel busy ({response.status_code})")
        raise PermanentError(f"kannel rejected the message ({response.status_code})")
