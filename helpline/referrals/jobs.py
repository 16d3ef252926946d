"""The referral network's periodic work: whoever is to visit a partner hears of it when the
monitoring visit falls due, whether or not a page is open."""

from __future__ import annotations

from helpline.common.periodic import Periodic
from helpline.referrals.partnership import visits_remind_due

# Visits fall due by the day: a check every ten minutes is soon enough.
VISIT_REMINDER_SECONDS = 600.0

PERIODIC = [Periodic("referrals.visit_reminders", VISIT_REMINDER_SECONDS, visits_remind_due)]
