"""The one small interface every text gateway implements, and its errors.

Adapters verify and parse their provider's requests into InboundText and send OutboundText; they
know nothing of contacts or cases. Each failure says whether it is worth retrying.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from helpline.common.text import storable


@dataclass(frozen=True)
class InboundText:
    provider: str  # "kannel", "twilio", ...
    provider_message_id: str
    sender: str  # as the gateway gave it; normalised later
    recipient: str
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", storable(self.text))  # every gateway's text, once


@dataclass(frozen=True)
class OutboundText:
    message_id: str
    to: str  # E.164, e.g. +85512345678
    sender: str  # the short code, e.g. 1280
    text: str


class GatewayError(Exception):
    retryable: bool = True


class RetryableError(GatewayError):
    """The gateway is down, slow or busy: try again later."""

    retryable = True


class PermanentError(GatewayError):
    """The gateway refused this message for good (bad number, bad credentials): do not retry."""

    retryable = False


class TextGateway(Protocol):
    name: str
    per_second: float  # most messages a second this gateway accepts from us

    def send(self, message: OutboundText) -> str | None:
        """Send; return the provider's id when it gives one. Raises GatewayError."""
        ...


class InboundRejected(Exception):
    """An inbound request that must be refused with this HTTP status (and changes nothing)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
