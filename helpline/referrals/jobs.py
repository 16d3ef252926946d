"""The referral network's periodic work, whether or not a page is open: whoever is to visit a
partner hears of it when the monitoring visit falls due; the closed loop chases partners that have
not acknowledged in time and expires referrals nobody answered."""

from __future__ import annotations

from helpline.common.periodic import Periodic
from helpline.referrals.delivery import partner_links_resend
from helpline.referrals.directory_io import imports_forget
from helpline.referrals.loop import referrals_alert_overdue, referrals_expire
from helpline.referrals.partnership import visits_remind_due

# Visits fall due by the day: a check every ten minutes is soon enough. An alarm reaches the
# counsellor within a minute of the deadline; expiry counts in days.
VISIT_REMINDER_SECONDS = 600.0
ACKNOWLEDGE_ALERT_SECONDS = 60.0
EXPIRY_SECONDS = 600.0
# A failed partner email is tried again within a minute of its retry time.
RESEND_SECONDS = 60.0
IMPORT_CLEANUP_SECONDS = 3600.0  # uploads are kept a day: an hourly sweep is enough

PERIODIC = [
    Periodic("referrals.visit_reminders", VISIT_REMINDER_SECONDS, visits_remind_due),
    Periodic("referrals.acknowledge_alerts", ACKNOWLEDGE_ALERT_SECONDS, referrals_alert_overdue),
    Periodic("referrals.expiry", EXPIRY_SECONDS, referrals_expire),
    Periodic("referrals.link_resend", RESEND_SECONDS, partner_links_resend),
    Periodic("referrals.import_cleanup", IMPORT_CLEANUP_SECONDS, imports_forget),
]
