"""Reports' periodic work: the daily rollups follow the contacts within a minute; a report document
lost on its way is said to have failed."""

from __future__ import annotations

from helpline.common.periodic import Periodic
from helpline.reports.rollups import rollups_refresh
from helpline.reports.tasks import documents_abandoned_fail

REFRESH_SECONDS = 60.0

ABANDONED_SECONDS = 600.0

PERIODIC = [
    Periodic("reports.rollups_refresh", REFRESH_SECONDS, rollups_refresh),
    Periodic("reports.documents_abandoned", ABANDONED_SECONDS, documents_abandoned_fail),
]
