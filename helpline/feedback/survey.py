"""The short survey after a chat or SMS conversation: a link sent once the contact is closed (when
the service asks it), its answers stored against the contact. Never required, and never sent to
a caller whose safety note says not to contact them (any safety note holds it back: the note is
free text, and a survey is never worth the risk)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.contacts.models import NON_DATA_KINDS, Channel, Contact, Status
from helpline.conversations.services import text_send_automatic
from helpline.feedback import public
from helpline.feedback.models import Answer, Question, SurveyAnswer, SurveyInvite
from helpline.feedback.services import feedback_settings

# Only conversations that closed lately: switching the survey on never reaches children of the past.
LOOK_BACK = dt.timedelta(hours=6)
BATCH = 200


def _questions() -> list[str]:
    config = feedback_settings()
    wanted = [
        (Question.HELPFUL, config.survey_helpful),
        (Question.HEARD, config.survey_heard),
        (Question.AGAIN, config.survey_again),
    ]
    return [str(q) for q, on in wanted if on]


def surveys_send(now: dt.datetime | None = None) -> int:
    """For the scheduler: each chat or SMS contact closed lately, not yet decided, gets the survey
    link or a record of why not. The number of links sent."""
    config = feedback_settings()
    questions = _questions()
    if not config.survey_enabled or not questions:
        return 0
    now = now or timezone.now()
    contacts = (
        Contact.objects.filter(
            channel__in=[Channel.SMS, Channel.WEBCHAT],
            status=Status.CLOSED,
            ended_at__gte=now - LOOK_BACK,
        )
        .exclude(kind__in=NON_DATA_KINDS)
        .exclude(pk__in=SurveyInvite.objects.values("contact"))
        .select_related("caller")[:BATCH]
    )
    sent = 0
    for contact in contacts:
        sent += int(_decide(contact, questions, now))
    return sent


def _decide(contact: Contact, questions: list[str], now: dt.datetime) -> bool:
    language = "en" if contact.language == "en" else "km"
    skipped = "safety_note" if contact.caller is not None and contact.caller.safety_note.strip() else ""
    try:
        with transaction.atomic():
            invite = SurveyInvite.objects.create(
                contact=contact,
                decided_at=now,
                skipped_because=skipped,
                language=language,
                questions=" ".join(questions),
            )
            if not skipped:
                with translation.override(language):
                    link = settings.PUBLIC_URL + reverse(
                        "feedback:survey", kwargs={"token": public.survey_token(contact.pk)}
                    )
                    text = _(
                        "Child Helpline 1280: a few short questions about your conversation, "
                        "if you like: %(link)s"
                    ) % {"link": link}
                message = text_send_automatic(contact=contact, text=text, reason="survey")
                if message is None:
                    invite.skipped_because = "no_conversation"
                    invite.save(update_fields=["skipped_because"])
                else:
                    invite.sent = True
                    invite.save(update_fields=["sent"])
            audit_record(
                "scheduler",
                action=AuditAction.SURVEY_SEND,
                record_type="contact",
                record_id=contact.pk,
                detail={"sent": str(invite.sent), "skipped": invite.skipped_because},
            )
    except IntegrityError:  # another scheduler decided it first
        return False
    return invite.sent


def survey_answered_elsewhere(contact: Contact, *, answers: dict[str, str], at: dt.datetime) -> int:
    """Answers given outside the link (read out at the end of a call, or the demo's): recorded as
    an invitation that was not sent, with the answers. The number stored."""
    invite, _created = SurveyInvite.objects.get_or_create(
        contact=contact,
        defaults={"decided_at": at, "skipped_because": "answered_elsewhere", "questions": " ".join(answers)},
    )
    return survey_answer(invite, answers=answers, at=at)


def invite_for_token(token: str) -> SurveyInvite | None:
    contact_id = public.survey_contact_id(token)
    if contact_id is None:
        return None
    return SurveyInvite.objects.filter(contact_id=contact_id, sent=True).first()


def survey_answer(
    invite: SurveyInvite,
    *,
    answers: dict[str, Any],
    request: HttpRequest | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Store the answers given (a question left out stays unanswered; answering again changes
    nothing). The number stored."""
    now = at or timezone.now()
    asked = set(invite.questions.split())
    stored = 0
    with transaction.atomic():
        for question, answer in answers.items():
            if question not in asked or answer not in Answer.values:
                continue
            _row, created = SurveyAnswer.objects.get_or_create(
                contact_id=invite.contact_id,
                question=question,
                defaults={"answer": answer, "answered_at": now},
            )
            stored += int(created)
        if stored:
            audit_record(
                None,
                action=AuditAction.SURVEY_ANSWER,
                record_type="contact",
                record_id=invite.contact_id,
                request=request,
                detail={"answers": str(stored)},
            )
    return stored
