"""Demo feedback: complaints in every state (one overdue, one about a partner, one about a staff
member) and survey answers on closed chat and SMS contacts; written by the feedback services."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.contacts.models import Channel, Contact, Status
from helpline.feedback.models import Feedback, FeedbackKind, ReplyChannel, Source, State, Subject
from helpline.feedback.services import feedback_advance, feedback_flag_overdue, feedback_receive
from helpline.feedback.survey import survey_answered_elsewhere
from helpline.referrals.models import Partner

MARK = "demo-feedback"


class DemoFeedbackError(Exception):
    pass


def demo_feedback_present() -> bool:
    return Feedback.objects.filter(name=MARK).exists()


def create_demo_feedback() -> int | None:
    """The number of items created, or None when another run got there first."""
    staff = {s.username: s for s in Staff.objects.filter(username__in=["supervisor", "counsellor"])}
    if len(staff) != 2:
        raise DemoFeedbackError("Create the demo staff first (seed_demo).")
    supervisor, counsellor = staff["supervisor"], staff["counsellor"]
    partner = Partner.objects.order_by("name").first()
    now = timezone.now()
    with transaction.atomic():
        if demo_feedback_present():
            return None
        made: list[Feedback] = []

        def item(actor: Staff | str, days_ago: float, **kwargs: object) -> Feedback:
            found = feedback_receive(
                actor,
                name=MARK,
                received_at=now - dt.timedelta(days=days_ago),
                **kwargs,  # type: ignore[arg-type]
            )
            made.append(found)
            return found

        def walk(found: Feedback, *states: str, response: str = "") -> None:
            for state in states:
                found = feedback_advance(supervisor, feedback=found, state=state, response=response)

        item(
            "web form",
            0.1,
            source=Source.WEB_FORM,
            kind=FeedbackKind.COMPLAINT,
            text="ខ្ញុំបានរង់ចាំយូរណាស់ មុនពេលមានអ្នកឆ្លើយ។",
            language="km",
        )
        walk(
            item(
                "web form",
                0.5,
                source=Source.WEB_FORM,
                kind=FeedbackKind.COMPLAINT,
                text="The chat closed before I finished.",
                language="en",
            ),
            State.ACKNOWLEDGED,
        )
        if partner is not None:
            about_partner = item(
                supervisor,
                4,
                source=Source.STAFF,
                kind=FeedbackKind.COMPLAINT,
                subject=Subject.PARTNER,
                subject_partner=partner,
                severity="high",
                text="The shelter asked the child to pay for food.",
            )
            walk(about_partner, State.ACKNOWLEDGED, State.INVESTIGATING)
        walk(
            item(
                supervisor,
                6,
                source=Source.STAFF,
                kind=FeedbackKind.COMPLAINT,
                text="A parent says the counsellor promised a call back that never came.",
            ),
            State.ACKNOWLEDGED,
            State.INVESTIGATING,
            State.RESPONDED,
            response="We are sorry. The counsellor will call back today.",
        )
        walk(
            item(
                "web form",
                9,
                source=Source.WEB_FORM,
                kind=FeedbackKind.FEEDBACK,
                text="អរគុណបងៗដែលបានជួយខ្ញុំ។",
                reply_channel=ReplyChannel.NONE,
            ),
            State.ACKNOWLEDGED,
            State.CLOSED,
        )
        walk(
            item(
                supervisor,
                3,
                source=Source.STAFF,
                kind=FeedbackKind.COMPLAINT,
                subject=Subject.STAFF,
                subject_staff=counsellor,
                text="The caller says the counsellor sounded impatient.",
            ),
            State.ACKNOWLEDGED,
        )
        item(
            "web form",
            3,
            source=Source.WEB_FORM,
            kind=FeedbackKind.COMPLAINT,
            text="Nobody answered my SMS for a whole day.",
        )  # overdue: not acknowledged in 2 days
        feedback_flag_overdue(now)
        answers = [
            {"helpful": "yes", "heard": "yes", "again": "yes"},
            {"helpful": "somewhat", "heard": "yes"},
            {"helpful": "no", "heard": "somewhat", "again": "yes"},
            {"again": "yes"},
        ]
        contacts = Contact.objects.filter(
            channel__in=[Channel.SMS, Channel.WEBCHAT], status=Status.CLOSED, kind="counselling"
        ).order_by("arrived_at")[: len(answers)]
        for contact, given in zip(contacts, answers, strict=False):
            survey_answered_elsewhere(contact, answers=given, at=contact.ended_at or now)
    return len(made)
