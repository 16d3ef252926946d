"""The ground floor's periodic work: live events relayed without Redis that no server took."""

from __future__ import annotations

from helpline.common.live_relay import prune
from helpline.common.periodic import Periodic

# Events older than two minutes are deleted; once a minute keeps the table to a few minutes' pushes.
PERIODIC = [Periodic("common.live_events_prune", 60.0, prune)]
