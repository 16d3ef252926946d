"""Risk triage of inbound text by two scorers, both explained to the counsellor and never hidden:
supervisor-maintained signals (phrases matched in normal form: helpline.routing.matching) and a
classifier of whole messages (helpline.routing.context) that only ever moves a contact up."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from helpline.common.text import normalise
from helpline.contacts.intake import contact_urgency_raise
from helpline.contacts.models import Contact, Urgency
from helpline.contacts.search_text import words
from helpline.routing import context
from helpline.routing.matching import (
    Prepared,
    Rules,
    best_match,
    compact,
    compile_rules,
    contains_words,
    parse_lines,
)
from helpline.routing.models import RiskSignal, RoutingSettings, Triage

__all__ = ["contains_words", "score_text", "triage_contact"]


@dataclass(frozen=True)
class CompiledSignal:
    pk: UUID
    code: str
    weight: int
    rules: Rules


@dataclass
class Score:
    signal_ids: set[UUID] = field(default_factory=set)
    matched: list[str] = field(default_factory=list)  # the phrases as supervisors wrote them
    points: dict[str, int] = field(default_factory=dict)  # signal code: weight of its heaviest phrase
    model: context.Assessment | None = None  # None when the second scorer is off
    model_points: int = 0

    @property
    def score(self) -> int:
        return sum(self.points.values()) + self.model_points

    @property
    def found_anything(self) -> bool:
        return bool(self.points) or self.model_points > 0


@lru_cache(maxsize=4)
def _compiled(version: tuple[int, str]) -> tuple[CompiledSignal, ...]:
    compiled = []
    for signal in RiskSignal.objects.filter(is_active=True):
        lines = parse_lines(signal.phrases_km + "\n" + signal.phrases_en, signal.weight)
        rules = compile_rules(lines, signal.exclusions.splitlines(), words)
        if rules.phrases:
            compiled.append(CompiledSignal(signal.pk, signal.code, signal.weight, rules))
    return tuple(compiled)


# Read on every inbound message, changed rarely: each process keeps them this long. A change
# saved in a process is seen there at once (forget_cached); other processes see it within this.
CACHE_SECONDS = 5
SIGNALS_VERSION_KEY, SETTINGS_KEY = "routing:signals-version", "routing:settings"


def forget_cached(**_: object) -> None:
    def forget() -> None:
        cache.delete_many([SIGNALS_VERSION_KEY, SETTINGS_KEY])

    forget()
    # Again after commit: meanwhile another thread may have cached the rows as they were.
    transaction.on_commit(forget)


def signals() -> tuple[CompiledSignal, ...]:
    """The active signals, compiled once and reused until a supervisor changes them."""
    version = cache.get(SIGNALS_VERSION_KEY)
    if version is None:
        state = RiskSignal.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
        version = (state["n"], str(state["latest"]))
        cache.set(SIGNALS_VERSION_KEY, version, CACHE_SECONDS)
    return _compiled(version)


def prepared(text: str, found: list[str] | None = None) -> Prepared:
    """`found`: the text's words (search_text.words) when the caller has segmented it already."""
    form = normalise(text)
    return Prepared(form=form, compact=compact(form), segment=words, found=found)


def score_text(text: str, *, found: list[str] | None = None, with_model: bool = True) -> Score:
    """Both scorers on one message. CPU only (segmenting, the classifier): callers run it before
    their transaction, never while holding the write lock."""
    message = prepared(text, found)
    result = Score()
    for signal in signals():
        phrase = best_match(signal.rules, message)
        if phrase is not None:
            result.points[signal.code] = phrase.weight
            result.signal_ids.add(signal.pk)
            result.matched.append(phrase.written)
    if with_model:
        result.model = context.assess(message.form, lambda: message.words)
        if result.model is not None and result.model.is_risk:
            result.model_points = routing_settings().high_risk_score
    return result


def routing_settings() -> RoutingSettings:
    found = cache.get(SETTINGS_KEY)
    if found is None:
        # Defaults until someone saves the settings: reading them (a page, a template tag) writes nothing.
        found = RoutingSettings.objects.filter(pk=1).first() or RoutingSettings(pk=1)
        cache.set(SETTINGS_KEY, found, CACHE_SECONDS)
    return found  # type: ignore[no-any-return]


def _added_points(triage: Triage, result: Score, points: dict[str, int]) -> int:
    """What this message adds to the contact's score: per signal, only beyond the points it gave
    before (a signal counts once, at its heaviest phrase); the second scorer likewise."""
    explanation: dict[str, Any] = dict(triage.explanation or {})
    given: dict[str, int] = dict(explanation.get("signals") or {})
    added = 0
    for code, weight in points.items():
        before = given.get(code, 0)
        if weight > before:
            added += weight - before
            given[code] = weight
    model_before = dict(explanation.get("model") or {})
    if result.model is not None and result.model_points > int(model_before.get("points", 0)):
        added += result.model_points - int(model_before.get("points", 0))
        explanation["model"] = {**result.model.as_dict(), "points": result.model_points}
    explanation["signals"] = given
    triage.explanation = explanation
    return added


def triage_contact(contact: Contact, text: str, *, scored: Score | None = None) -> tuple[Triage | None, bool]:
    """Add this text's findings to the contact's triage. Returns (triage, newly high risk); no
    triage when neither scorer found anything (no triage reads as score 0: arrival order).
    Callers inside a transaction pass `scored` (score_text, run before it began): segmenting and
    the classifier take CPU time that must not be spent holding the write lock."""
    result = scored if scored is not None else score_text(text)
    if not result.found_anything:
        return None, False
    config = routing_settings()
    with transaction.atomic():
        triage, _created = Triage.objects.select_for_update().get_or_create(
            contact=contact, defaults={"scored_at": timezone.now()}
        )
        before = triage.score
        # A signal retired or deleted since the message was scored adds nothing.
        present = {s.pk: s for s in RiskSignal.objects.filter(pk__in=result.signal_ids)}
        codes = {s.code for s in present.values()}
        _legacy_points(triage)
        added = _added_points(triage, result, {c: p for c, p in result.points.items() if c in codes})
        if added:
            triage.score += added
            new_ids = set(present) - set(triage.signals.values_list("pk", flat=True))
            if new_ids:
                triage.signals.add(*(present[pk] for pk in new_ids))
            phrases = [p for p in result.matched if p]
            triage.matched = sorted(set(triage.matched) | set(phrases))[:50]
            triage.scored_at = timezone.now()
            triage.save()
        wanted = ""
        if triage.score >= config.critical_risk_score:
            wanted = Urgency.CRITICAL
        elif triage.score >= config.high_risk_score:
            wanted = Urgency.URGENT
        if wanted:
            contact_urgency_raise(contact=contact, urgency=wanted)
    newly_high = before < config.high_risk_score <= triage.score
    return triage, newly_high


def _legacy_points(triage: Triage) -> None:
    """A triage scored before points were kept per signal counted each of its signals at the
    signal's weight: record that, so a new match adds only beyond it (a score never goes down)."""
    if not triage.pk or (triage.explanation or {}).get("signals") is not None:
        return
    given = {s.code: s.weight for s in triage.signals.all()}
    triage.explanation = {**(triage.explanation or {}), "signals": given}
