"""Children's messages read for risk triage's review: what a phrase would have matched in the last
30 days (so a too-broad phrase is caught before it floods the queue), and counsellors' "triage was
wrong" marks as labelled examples. Here because the messages live in this app; matching is
routing's (helpline.routing.matching)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from helpline.contacts.search_text import words
from helpline.conversations.models import Direction, Message
from helpline.routing import corpus
from helpline.routing.marks import line_lang, line_topic
from helpline.routing.matching import best_match, compile_rules, parse_lines, prepare
from helpline.routing.models import TriageMark, TriageVerdict

PREVIEW_DAYS = 30
# At most this many of the newest messages are read (about a second's work): the page says so.
PREVIEW_CAP = 20_000
PREVIEW_SHOWN = 5
PREVIEW_PHRASES = 10
# Phrases that would have matched more than half of at least this many messages are said to be
# too broad: they would mark most messages urgent and bury the children really at risk.
PREVIEW_BROAD_LEAST = 20


@dataclass
class Preview:
    matched: int = 0
    scanned: int = 0
    capped: bool = False
    # None of the lines is a phrase a message could match (blank, spaces, only symbols or emoji):
    # said as such, not as "0 of 0 messages", which reads as if there were no messages.
    nothing_to_match: bool = False
    examples: list[tuple[Message, str]] = field(default_factory=list)  # message, the phrase it matched
    # How many messages each phrase matched (the heaviest phrase found in a message counts it): a
    # signal of forty phrases is previewed whole, and the one phrase just added may be what floods.
    by_phrase: Counter[str] = field(default_factory=Counter)

    @property
    def too_broad(self) -> bool:
        return self.scanned >= PREVIEW_BROAD_LEAST and self.matched * 2 > self.scanned

    def phrase_counts(self) -> list[tuple[str, int]]:
        return self.by_phrase.most_common(PREVIEW_PHRASES)


def signal_preview(
    *, phrases_km: str, phrases_en: str, exclusions: str, weight: int = 10, now: dt.datetime | None = None
) -> Preview:
    """How many of the last 30 days' inbound messages these phrases would have matched, and the
    newest few of them."""
    rules = compile_rules(parse_lines(f"{phrases_km}\n{phrases_en}", weight), exclusions.splitlines(), words)
    preview = Preview()
    if not rules.phrases:
        preview.nothing_to_match = True
        return preview
    since = (now or timezone.now()) - dt.timedelta(days=PREVIEW_DAYS)
    rows = (
        Message.objects.filter(direction=Direction.INBOUND, created_at__gte=since)
        .select_related("conversation")
        .order_by("-created_at")[: PREVIEW_CAP + 1]
    )
    for message in rows.iterator(chunk_size=2000):
        if preview.scanned == PREVIEW_CAP:
            preview.capped = True
            break
        preview.scanned += 1
        phrase = best_match(rules, prepare(message.text, words))
        if phrase is not None:
            preview.matched += 1
            preview.by_phrase[phrase.written] += 1
            if len(preview.examples) < PREVIEW_SHOWN:
                preview.examples.append((message, phrase.written))
    return preview


# A line break of any kind, with the spaces around it: a corpus line is one message on one line.
_BREAKS = re.compile(rf"\s*[{corpus.BREAK_CHARS}]+\s*")


def mark_words(mark: TriageMark) -> list[Message]:
    """The child's messages behind a mark: those triage had scored when the counsellor marked it.
    Triage scores each inbound message as it arrives (routing.triage.score_text on the message's
    text) and keeps, per signal, the heaviest it found in any of them; a message that came after
    the mark played no part in the score the counsellor judged, and may be what makes the verdict
    wrong (a risk said later under a "too high" mark)."""
    return list(
        Message.objects.filter(
            conversation__contact_id=mark.contact_id,
            direction=Direction.INBOUND,
            created_at__lte=mark.marked_at,
        ).order_by("created_at", "seq")
    )


def later_words(mark: TriageMark) -> int:
    """How many of the child's messages came after the mark (left out of its line)."""
    return Message.objects.filter(
        conversation__contact_id=mark.contact_id, direction=Direction.INBOUND, created_at__gt=mark.marked_at
    ).count()


def as_one_message(texts: list[str]) -> str:
    """The messages as the one message a corpus line holds (README: the message as a child would
    type it): each one's line breaks become a space, and the messages follow one another with a
    space between them, as a child's next SMS goes on from the last. Zero-width spaces stay."""
    return " ".join(part for part in (_BREAKS.sub(" ", text).strip() for text in texts) if part)


def label_of(mark: TriageMark) -> str:
    return "risk" if mark.verdict == TriageVerdict.TOO_LOW else "ordinary"


# The corpus's labels as a reader names them; the export carries the codes.
LABEL_NAMES: dict[str, Promise] = {
    "risk": gettext_lazy("risk"),
    "ordinary": gettext_lazy("ordinary (no risk)"),
}


def deciding(marks: list[TriageMark]) -> TriageMark:
    """Of the marks on one contact (several counsellors may mark it, and may disagree), the one its
    line is made from: the one a supervisor approved last, since they read the words and approved
    them with that verdict; where none is approved, the newest."""
    approved = [m for m in marks if m.text_approved_at is not None]
    if approved:
        return max(approved, key=lambda m: m.text_approved_at or m.marked_at)
    return max(marks, key=lambda m: m.marked_at)


def words_leave(mark: TriageMark, marks: list[TriageMark]) -> bool:
    """Whether the child's words go out with this contact's line: its deciding mark is approved and
    no supervisor refused the words (on any mark of the contact: they are the same words) since."""
    approved = mark.text_approved_at
    return approved is not None and not any(
        m.text_refused_at is not None and m.text_refused_at > approved for m in marks
    )


def contact_line(marks: list[TriageMark], words: list[Message] | None = None) -> dict[str, object]:
    """One contact's marks as one line for the corpus (helpline/routing/corpus/README.md), made
    from its deciding mark: a too-low verdict is a risk example, a too-high one an ordinary
    example. The child's words are included only where a supervisor approved them (words_leave),
    with the gloss, topic and language they gave (routing.marks.triage_mark_approve);
    otherwise the line says what was marked, without text. `marks` counts every mark on the
    contact, `verdicts` how many said each."""
    mark = deciding(marks)
    line: dict[str, object] = {
        "id": f"mark-{str(mark.pk)[:8]}",
        "split": "train",
        "topic": line_topic(mark),
        "label": label_of(mark),
        "verdict": mark.verdict,
        "score": mark.score,
        "marked_at": mark.marked_at.isoformat(),
        "marks": len(marks),
        "verdicts": dict(sorted(Counter(m.verdict for m in marks).items())),
    }
    if words_leave(mark, marks):
        text = as_one_message([m.text for m in (mark_words(mark) if words is None else words)])
        if text:
            line.update({"lang": line_lang(mark, text), "text": text, "gloss": mark.gloss})
    return line


def contact_marks(contact_id: UUID) -> list[TriageMark]:
    return list(TriageMark.objects.select_related("staff").filter(contact_id=contact_id))


def marks_as_examples() -> Iterator[tuple[TriageMark, list[TriageMark], dict[str, object]]]:
    """One line for each marked contact (contact_line), with its deciding mark and all its marks;
    in the order the contacts were first marked."""
    by_contact: dict[UUID, list[TriageMark]] = {}
    # With each contact's triage: the line's topic comes from it (one query, not one a contact).
    for mark in TriageMark.objects.select_related("contact__triage").order_by("marked_at"):
        by_contact.setdefault(mark.contact_id, []).append(mark)
    for marks in by_contact.values():
        yield deciding(marks), marks, contact_line(marks)


@dataclass(frozen=True)
class Export:
    body: str  # JSON lines
    lines: int  # one a marked contact
    marks: int
    texts_of: list[str]  # the contacts whose words are in it


def export_lines() -> Export:
    lines, texts_of, marks = [], [], 0
    for mark, of_contact, line in marks_as_examples():
        marks += len(of_contact)
        if "text" in line:
            texts_of.append(str(mark.contact_id))
        lines.append(json.dumps(line, ensure_ascii=False))
    return Export("".join(f"{line}\n" for line in lines), len(lines), marks, texts_of)
