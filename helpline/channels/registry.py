"""Which gateways exist here. Tests register fakes with use_gateway()."""

from __future__ import annotations

from helpline.channels.base import TextGateway

_OVERRIDES: dict[str, TextGateway] = {}


def gateway(name: str) -> TextGateway:
    if name in _OVERRIDES:
        return _OVERRIDES[name]
    if name == "kannel":
        from helpline.channels.kannel.adapter import KannelGateway

        return KannelGateway()
    if name == "twilio":
        from helpline.channels.twilio.adapter import TwilioGateway

        return TwilioGateway()
    raise KeyError(name)


def use_gateway(name: str, implementation: TextGateway | None) -> None:
    """Replace a gateway (a fake in tests); None restores the real one."""
    if implementation is None:
        _OVERRIDES.pop(name, None)
    else:
        _OVERRIDES[name] = implementation
