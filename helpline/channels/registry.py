"""Which gateways exist here. Tests register fakes with use_gateway()."""

from __future__ import annotations

from django.conf import settings

from helpline.channels.base import TextGateway
from helpline.channels.kannel.adapter import KannelGateway
from helpline.channels.twilio.adapter import TwilioGateway

_OVERRIDES: dict[str, TextGateway] = {}


def gateway(name: str) -> TextGateway:
    if name in _OVERRIDES:
        return _OVERRIDES[name]
    if name == "kannel":
        kannel = KannelGateway()
        return _demo_unless(kannel.config.sendsms_url, kannel)
    if name == "twilio":
        # In demo mode the auth token may be the demo secret (for inbound signatures): real
        # sending needs one given in the environment.
        return _demo_unless(settings.HELPLINE_ENV.get("HELPLINE_TWILIO_AUTH_TOKEN"), TwilioGateway())
    raise KeyError(name)


def _demo_unless(can_send: object, real: TextGateway) -> TextGateway:
    if settings.DEMO and not can_send:
        from helpline.channels.demo import DemoGateway  # deferred: demo code loads only in demo mode

        return DemoGateway(real.name)
    return real


def use_gateway(name: str, implementation: TextGateway | None) -> None:
    """Replace a gateway (a fake in tests); None restores the real one."""
    if implementation is None:
        _OVERRIDES.pop(name, None)
    else:
        _OVERRIDES[name] = implementation
