"""Which gateways exist here. Tests register fakes with use_gateway()."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from helpline.channels.base import TextGateway
from helpline.channels.kannel.adapter import KannelGateway
from helpline.channels.twilio.adapter import TwilioGateway

_OVERRIDES: dict[str, TextGateway] = {}
# Demo mode's stand-in for a gateway that cannot send, given by the demo app when it is installed.
_STAND_IN: list[Callable[[str], TextGateway]] = []


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
    if settings.DEMO and not can_send and _STAND_IN:
        return _STAND_IN[0](real.name)
    return real


def use_stand_in(factory: Callable[[str], TextGateway]) -> None:
    """In demo mode, a gateway with no way to send is replaced by factory(name)."""
    _STAND_IN[:] = [factory]


def use_gateway(name: str, implementation: TextGateway | None) -> None:
    """Replace a gateway (a fake in tests); None restores the real one."""
    if implementation is None:
        _OVERRIDES.pop(name, None)
    else:
        _OVERRIDES[name] = implementation
