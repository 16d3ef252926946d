"""Writes of the risk signals supervisors maintain, each audited in its transaction (old and new)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.contacts.search_text import words
from helpline.routing.matching import WEIGHT_MARK, compile_rules, parse_lines, too_short
from helpline.routing.models import RiskSignal

PHRASE_FIELDS = ("phrases_km", "phrases_en")


def _too_short(line: str) -> str:
    return _(
        '"%(line)s" is too short to mean anything: it would be found in almost every message. Write a '
        "word of at least three letters, or at least two Khmer consonants or independent vowels, and "
        "not pronouns or everyday words alone (she, they, the; គាត់, ពួកគេ, នៅ)."
    ) % {"line": line}


def phrase_problems(text: str) -> list[str]:
    """What is wrong with the lines of a phrases field: a line that would silently match nothing or
    too much. A weight that is not "= a whole number" ("ស្ពាន = abc" was kept as a phrase no message
    contains, "= 5" as the word 5, so every message with a 5 in it), a line of only symbols or
    emoji, and a phrase too short to mean anything ("a" marked every English message urgent)."""
    problems = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        found = WEIGHT_MARK.match(line) if "=" in line else None
        if "=" in line and not (found and found.group(1).strip()):
            problems.append(
                _('"%(line)s": write the phrase, then "=" and a whole number of points from 0 to 999.')
                % {"line": line}
            )
        elif not compile_rules(parse_lines(line, 0), [], words).phrases:
            problems.append(_('"%(line)s" holds nothing a message could match.') % {"line": line})
        elif too_short(found.group(1) if found else line):
            problems.append(_too_short(line))
    return problems


def exclusion_problems(text: str) -> list[str]:
    """An exclusion is blanked out of a message wherever it is found, even inside a word: a short
    one ("a") would blank out almost every text, and no signal would find anything in it."""
    lines = (line.strip() for line in (text or "").splitlines())
    return [_too_short(line) for line in lines if line and too_short(line)]


def signal_problems(data: dict[str, Any]) -> dict[str, list[str]]:
    """The refusals of a signal's words by field, for the form and for risk_signal_save alike."""
    found = {name: phrase_problems(str(data.get(name) or "")) for name in PHRASE_FIELDS}
    found["exclusions"] = exclusion_problems(str(data.get("exclusions") or ""))
    if not any(str(data.get(name) or "").strip() for name in PHRASE_FIELDS):
        found["phrases_km"] = [_("Write at least one word or phrase: a signal without one finds nothing.")]
    return {name: problems for name, problems in found.items() if problems}


def risk_signal_save(actor: Staff, *, signal: RiskSignal | None, data: dict[str, Any]) -> RiskSignal:
    """Add a signal (signal None) or change one; `data` is the form's cleaned data. Words that
    would match nothing or almost everything are refused (ValidationError by field), whoever sends
    them: one short phrase would mark every new message urgent and bury the children at risk."""
    words = {} if signal is None else {n: getattr(signal, n) for n in (*PHRASE_FIELDS, "exclusions")}
    if problems := signal_problems(words | data):  # a change of some fields: the others as they are
        raise ValidationError(problems)
    with transaction.atomic():
        if signal is None:
            signal = RiskSignal.objects.create(**data)
            changes = {name: (None, value) for name, value in data.items()}
        else:
            # Read again: the form that validated `data` has already set it on the instance it held.
            signal = RiskSignal.objects.select_for_update().get(pk=signal.pk)
            changes = {n: (getattr(signal, n), v) for n, v in data.items() if getattr(signal, n) != v}
            if not changes:
                return signal
            for name, (_old, new) in changes.items():
                setattr(signal, name, new)
            signal.save()
        audit_record(
            actor,
            action=AuditAction.RISK_SIGNAL_SAVE,
            record_type="risk_signal",
            record_id=signal.pk,
            changes=changes,
        )
    return signal


def risk_signal_toggle(actor: Staff, *, code: str) -> RiskSignal | None:
    """Retire a signal or bring it back; None when there is no signal by that code."""
    with transaction.atomic():
        signal = RiskSignal.objects.select_for_update().filter(code=code).first()
        if signal is None:
            return None
        signal.is_active = not signal.is_active
        signal.save(update_fields=["is_active", "updated_at"])  # the compiled signals key on updated_at
        audit_record(
            actor,
            action=AuditAction.RISK_SIGNAL_TOGGLE,
            record_type="risk_signal",
            record_id=signal.pk,
            changes={"is_active": (not signal.is_active, signal.is_active)},
        )
    return signal
