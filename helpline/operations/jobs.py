"""The operations app's periodic work: retention, checked hourly, run once a day."""

from __future__ import annotations

from helpline.common.periodic import Periodic
from helpline.operations.retention import retention_tick

PERIODIC = [Periodic("operations.retention", 3600.0, retention_tick)]
