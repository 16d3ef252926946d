"""Feedback's periodic work, whether or not a page is open: contacts recorded as complaints taken
up, the feedback mailbox read, overdue complaints flagged to supervisors, surveys sent."""

from __future__ import annotations

from helpline.common.periodic import Periodic
from helpline.feedback.intake import feedback_from_contacts
from helpline.feedback.mailbox import feedback_mailbox_read
from helpline.feedback.services import feedback_flag_overdue
from helpline.feedback.survey import surveys_send

PERIODIC = [
    Periodic("feedback.from_contacts", 60.0, feedback_from_contacts),
    Periodic("feedback.mailbox", 120.0, feedback_mailbox_read),
    Periodic("feedback.overdue", 300.0, feedback_flag_overdue),
    Periodic("feedback.surveys", 60.0, surveys_send),
]
