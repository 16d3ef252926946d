"""Referrals' periodic work: the closed loop chases partners that have not acknowledged in time and
expires referrals nobody answered, whether or not a page is open."""

from __future__ import annotations

from helpline.common.periodic import Periodic
from helpline.referrals.loop import referrals_alert_overdue, referrals_expire

# An alarm reaches the counsellor within a minute of the deadline; expiry counts in days.
ACKNOWLEDGE_ALERT_SECONDS = 60.0
EXPIRY_SECONDS = 600.0

PERIODIC = [
    Periodic("referrals.acknowledge_alerts", ACKNOWLEDGE_ALERT_SECONDS, referrals_alert_overdue),
    Periodic("referrals.expiry", EXPIRY_SECONDS, referrals_expire),
]
