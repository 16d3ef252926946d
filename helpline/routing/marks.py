"""Counsellors' word that a triage was wrong (too high, too low): recorded, counted for supervisors,
and with a supervisor's approval exported as a labelled example (the export is in
conversations.triage_review: it reads the child's messages, which live above this app)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.text import blank
from helpline.contacts.models import Contact
from helpline.contacts.selectors import contact_writable_by
from helpline.routing import corpus
from helpline.routing.models import RiskSignal, Triage, TriageMark, TriageVerdict


class NotAllowed(Exception):
    """The person may not approve a child's words for export."""


def may_read_messages(staff: Staff) -> bool:
    """Whether the triage review may show this person a child's words (a phrase's matches, the
    text behind a mark, its export) and let them approve it for the corpus: Permission.TRIAGE_REVIEW,
    those who read children's threads at the console and hold client data, that is supervisors.
    Administrators hold client records but never read a conversation, so they see counts only."""
    return role_has(staff.role, Permission.TRIAGE_REVIEW)


def may_mark(staff: Staff, contact: Contact) -> bool:
    """Whether this person may say the contact's triage was wrong: someone who works the console
    (Permission.CONSOLE) and may write the contact (contacts.selectors.contact_writable_by), that is
    the counsellor holding it, once it is closed those who handled it, and supervisors. The same rule
    the mark's view applies (its access rule and access_contact(for_write=True)), so that no page
    offers the buttons to someone the view refuses. No time limit: a wrong triage is often seen
    only after the contact, and a mark on an old contact is as useful to supervisors."""
    return role_has(staff.role, Permission.CONSOLE) and contact_writable_by(staff, contact)


def triage_mark(staff: Staff, *, contact: Contact, verdict: str) -> TriageMark:
    """One mark per counsellor and contact: marking again changes the verdict (and withdraws any
    approval: a supervisor approved the example with its old label)."""
    if verdict not in TriageVerdict.values:
        raise ValueError("unknown verdict")
    score = Triage.objects.filter(contact=contact).values_list("score", flat=True).first() or 0
    with transaction.atomic():
        mark = TriageMark.objects.select_for_update().filter(contact=contact, staff=staff).first()
        if mark is not None and mark.verdict == verdict:
            return mark
        before = mark.verdict if mark else ""
        if mark is None:
            mark = TriageMark(contact=contact, staff=staff)
        mark.verdict, mark.score, mark.marked_at = verdict, score, timezone.now()
        mark.text_approved_by, mark.text_approved_at = None, None
        mark.text_refused_by, mark.text_refused_at = None, None
        mark.save()
        audit_record(
            staff,
            action=AuditAction.TRIAGE_MARK,
            record_type="contact",
            record_id=contact.pk,
            detail={"verdict": verdict, "before": before, "score": score},
        )
    return mark


class Incomplete(ValueError):
    """An approval lacking what the corpus line needs (its message says what)."""


GLOSS_LIMIT = 1000
_SPACES = re.compile(r"\s+")


def triage_topic(mark: TriageMark) -> str:
    """The topic triage gives the contact: the signal that added most (the corpus's topics are the
    signals' codes), else the one the second scorer named; "" when it named none."""
    triage: Triage | None
    if TriageMark.contact.is_cached(mark):  # read with its contact and triage (the export's many marks)
        triage = getattr(mark.contact, "triage", None)
    else:
        triage = Triage.objects.filter(contact_id=mark.contact_id).first()
    if triage is None:
        return ""
    given = (triage.explanation or {}).get("signals") or {}
    signals = sorted(given, key=lambda code: (-int(given[code]), code))
    return str(signals[0] if signals else triage.model_part.get("topic", "") or "")


def topic_choices() -> list[tuple[str, str]]:
    """The corpus's topics, each with its name in the reader's language: the label of the risk
    signal of that code (the corpus's topics are the signals' codes, routing.default_signals), or
    the code where no signal has it."""
    names = {s.code: s.label for s in RiskSignal.objects.filter(code__in=corpus.TOPICS)}
    return [(code, names.get(code, code)) for code in corpus.TOPICS]


def line_topic(mark: TriageMark) -> str:
    """The topic of the mark's corpus line: the supervisor's choice, else triage's."""
    return mark.topic or triage_topic(mark)


LANG_NAMES: dict[str, Promise] = {
    "km": gettext_lazy("Khmer, in Khmer script"),
    "km-Latn": gettext_lazy("Khmer in Latin letters"),
    "en": gettext_lazy("English"),
    "mixed": gettext_lazy("A mix of languages"),
}


def lang_choices(text: str) -> list[tuple[str, str]]:
    """The corpus's languages a line of this text may say, with their names: those its letters
    allow (corpus.script_fits: Khmer letters are not km-Latn, a line without Latin ones is not
    mixed), so that the line chosen passes the corpus's check."""
    return [(code, str(LANG_NAMES[code])) for code in corpus.LANGS if corpus.script_fits(code, text)]


def line_lang(mark: TriageMark, text: str) -> str:
    """The `lang` of the mark's corpus line with this text: the supervisor's choice where the
    text's letters allow it, else the guess from them (corpus.lang_of; marks approved before the
    language was asked have none)."""
    return mark.lang if corpus.script_fits(mark.lang, text) else corpus.lang_of(text)


def triage_mark_approve(
    staff: Staff, *, mark: TriageMark, gloss: str, topic: str = "", lang: str = ""
) -> TriageMark:
    """A supervisor allows the child's words of this contact to leave as a labelled example, with
    what the corpus line needs beside them: the English gloss (required: the corpus refuses a line
    without one, and no one but a supervisor who read the words can write it), where triage
    named no corpus topic (a risk it missed) the topic, and the language the words are in (blank:
    the export guesses it, line_lang). Again on an approved mark, it changes the gloss, topic or
    language (the export carries them as they are when it runs)."""
    gloss = _SPACES.sub(" ", gloss).strip()
    if blank(gloss):  # zero-width characters alone are no gloss
        raise Incomplete(_("Write the English gloss: what the child's words say, in English."))
    if len(gloss) > GLOSS_LIMIT:
        raise Incomplete(_("The gloss is too long: at most 1,000 characters."))
    if topic and topic not in corpus.TOPICS:
        raise Incomplete(_("Choose one of the corpus's topics."))
    if (topic or triage_topic(mark)) not in corpus.TOPICS:
        raise Incomplete(_("Choose the topic: triage named none of the corpus's topics for this contact."))
    if lang and lang not in corpus.LANGS:
        raise Incomplete(_("Choose one of the corpus's languages."))
    return _text_decide(staff, mark, approve=True, gloss=gloss, topic=topic, lang=lang)


def triage_mark_refuse(staff: Staff, *, mark: TriageMark) -> TriageMark:
    """A supervisor keeps the child's words of this contact out of the export (withdrawing an
    approval given before): the mark is still counted and exported without text."""
    return _text_decide(staff, mark, approve=False)


def _text_decide(
    staff: Staff, mark: TriageMark, *, approve: bool, gloss: str = "", topic: str = "", lang: str = ""
) -> TriageMark:
    """Approve or refuse the mark's text: each clears the other; deciding the same again does
    nothing (approving again with another gloss, topic or language changes them). The audit row
    says whether the gloss changed and its length, never the gloss: it renders the child's words,
    which an erasure must be able to remove, and the audit chain keeps what it holds; the topic and
    language it records as they are, with what they were before."""
    if not may_read_messages(staff):
        raise NotAllowed
    with transaction.atomic():
        mark = TriageMark.objects.select_for_update().get(pk=mark.pk)
        already = (mark.text_approved_at if approve else mark.text_refused_at) is not None
        if already and (not approve or (mark.gloss, mark.topic, mark.lang) == (gloss, topic, lang)):
            return mark
        was_approved = mark.text_approved_at is not None
        detail: dict[str, object] = {"mark": str(mark.pk), "verdict": mark.verdict}
        fields = ["gloss", "topic", "lang"]
        if approve:
            detail |= {"gloss_chars": len(gloss), "gloss_changed": gloss != mark.gloss}
            detail |= {"topic": topic, "lang": lang}
            if topic != mark.topic:
                detail["topic_before"] = mark.topic
            if lang != mark.lang:
                detail["lang_before"] = mark.lang
            mark.gloss, mark.topic, mark.lang = gloss, topic, lang
            if already:
                detail["edit"] = True
        else:
            detail["was_approved"] = was_approved
            fields = []
        if not already:
            decided = (staff, timezone.now())
            mark.text_approved_by, mark.text_approved_at = decided if approve else (None, None)
            mark.text_refused_by, mark.text_refused_at = (None, None) if approve else decided
            fields += ["text_approved_by", "text_approved_at", "text_refused_by", "text_refused_at"]
        mark.save(update_fields=fields)
        audit_record(
            staff,
            action=AuditAction.TRIAGE_MARK_APPROVE if approve else AuditAction.TRIAGE_MARK_REFUSE,
            record_type="contact",
            record_id=mark.contact_id,
            detail=detail,
        )
    return mark


def triage_mark_withdraw(staff: Staff, *, contact: Contact) -> bool:
    """The counsellor takes back their mark on this contact (it was not wrong after all): it is no
    longer counted nor exported. False when they had none."""
    with transaction.atomic():
        mark = TriageMark.objects.select_for_update().filter(contact=contact, staff=staff).first()
        if mark is None:
            return False
        audit_record(
            staff,
            action=AuditAction.TRIAGE_MARK_WITHDRAW,
            record_type="contact",
            record_id=contact.pk,
            detail={"verdict": mark.verdict, "score": mark.score},
        )
        mark.delete()
    return True


@dataclass(frozen=True)
class MarkCounts:
    too_high: int
    too_low: int
    approved: int
    since: dt.datetime


def mark_counts(days: int = 30, now: dt.datetime | None = None) -> MarkCounts:
    since = (now or timezone.now()) - dt.timedelta(days=days)
    rows = dict(
        TriageMark.objects.filter(marked_at__gte=since)
        .values_list("verdict")
        .annotate(n=Count("id"))
        .order_by()
    )
    approved = TriageMark.objects.filter(marked_at__gte=since, text_approved_at__isnull=False).count()
    return MarkCounts(
        int(rows.get(TriageVerdict.TOO_HIGH, 0)), int(rows.get(TriageVerdict.TOO_LOW, 0)), approved, since
    )


def recent_marks(limit: int = 20) -> list[TriageMark]:
    """The newest marks, each with `on_contact`: how many marks its contact has (the export gives a
    contact one line however many counsellors marked it)."""
    on_contact = (
        TriageMark.objects.filter(contact_id=OuterRef("contact_id"))
        .order_by()
        .values("contact_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return list(
        TriageMark.objects.select_related("staff", "text_approved_by", "text_refused_by").annotate(
            on_contact=Subquery(on_contact)
        )[:limit]
    )
