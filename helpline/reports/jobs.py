"""Reports' periodic work: the daily rollups follow the contacts within a minute."""

from __future__ import annotations

from helpline.common.periodic import Periodic
from helpline.reports.rollups import rollups_refresh

REFRESH_SECONDS = 60.0

PERIODIC = [Periodic("reports.rollups_refresh", REFRESH_SECONDS, rollups_refresh)]
