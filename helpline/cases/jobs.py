"""Cases' periodic work: owners hear of follow-ups as they fall due, whether or not a page is open."""

from __future__ import annotations

from helpline.cases.followups import follow_ups_remind_due
from helpline.common.periodic import Periodic

# A reminder reaches the owner within a minute of the due time.
REMINDER_SECONDS = 60.0

PERIODIC = [Periodic("cases.follow_up_reminders", REMINDER_SECONDS, follow_ups_remind_due)]
