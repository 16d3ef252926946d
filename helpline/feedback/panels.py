"""Panels the console composes (helpline/common/panels.py): feedback showing risk that nobody has
acknowledged yet, on every supervisor's console and the wallboard until someone does. The live
notice says it the moment it comes; this says it until it is dealt with, after a reload too, and
lists each such item, not only the last one heard."""

from __future__ import annotations

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.common.panels import Panel
from helpline.feedback.models import State
from helpline.feedback.selectors import feedback_visible_to

SHOWN = 10


def risk_unacknowledged_panel(staff: Staff) -> Panel | None:
    """For those who work every complaint (through feedback_visible_to's gate, which hides an item
    about the reader): oldest first; nothing when there is none."""
    if not role_has(staff.role, Permission.FEEDBACK_MANAGE):
        return None
    # Read on every console's lists refresh: one query, one row past what is shown telling "more".
    waiting = feedback_visible_to(staff).filter(shows_risk=True, state=State.RECEIVED)
    items = list(
        waiting.order_by("received_at").only("id", "kind", "received_at", "acknowledge_by")[: SHOWN + 1]
    )
    if not items:
        return None
    return Panel("feedback/_risk_unacknowledged.html", {"items": items[:SHOWN], "more": len(items) > SHOWN})
