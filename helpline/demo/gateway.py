"""Demo mode's stand-in for a gateway that is not set up to send."""

from __future__ import annotations

import logging

from helpline.channels.base import OutboundText

log = logging.getLogger("helpline.sms")


class DemoGateway:
    """Nothing leaves this machine: the reply is logged (by id, never the number or the text) and
    reported sent, so `make run` shows a reply's whole path instead of a failure. Used only with
    HELPLINE_DEMO=1 and only while the real gateway has no way to send."""

    per_second = 50.0

    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, message: OutboundText) -> str | None:
        log.info(
            "demo: reply %s via %s kept on this machine (no gateway set up)",
            message.message_id[:8],
            self.name,
        )
        return f"demo-{message.message_id}"
