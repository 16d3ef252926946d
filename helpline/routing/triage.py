"""Risk triage of inbound text: whole-word matching of supervisor-maintained signals, Khmer
segmented into words first. The score and the matched phrases are kept and shown, never hidden."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from uuid import UUID

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from helpline.contacts.models import Contact, Urgency
from helpline.contacts.search_text import words
from helpline.routing.models import RiskSignal, RoutingSettings, Triage

URGENCY_RANK = {"": 0, Urgency.NON_CRITICAL: 1, Urgency.URGENT: 2, Urgency.CRITICAL: 3}


@dataclass(frozen=True)
class CompiledSignal:
    pk: UUID
    code: str
    weight: int
    phrases: tuple[tuple[tuple[str, ...], str], ...]  # (segmented words, phrase as written)


@dataclass
class Score:
    score: int = 0
    signal_ids: set[UUID] = field(default_factory=set)
    matched: list[str] = field(default_factory=list)


def contains_words(haystack: list[str], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    if n == 0 or n > len(haystack):
        return False
    first = needle[0]
    return any(
        haystack[i] == first and tuple(haystack[i : i + n]) == needle for i in range(len(haystack) - n + 1)
    )


@lru_cache(maxsize=4)
def _compiled(version: tuple[int, str]) -> tuple[CompiledSignal, ...]:
    compiled = []
    for signal in RiskSignal.objects.filter(is_active=True):
        phrases = []
        for line in (signal.phrases_km + "\n" + signal.phrases_en).splitlines():
            phrase = line.strip()
            if phrase:
                segmented = tuple(words(phrase))
                if segmented:
                    phrases.append((segmented, phrase))
        compiled.append(CompiledSignal(signal.pk, signal.code, signal.weight, tuple(phrases)))
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
    """The active signals, segmented once and reused until a supervisor changes them."""
    version = cache.get(SIGNALS_VERSION_KEY)
    if version is None:
        state = RiskSignal.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
        version = (state["n"], str(state["latest"]))
        cache.set(SIGNALS_VERSION_KEY, version, CACHE_SECONDS)
    return _compiled(version)


def score_text(text: str, *, found: list[str] | None = None) -> Score:
    """`found`: the text's words when the caller has segmented it already."""
    found = words(text) if found is None else found
    result = Score()
    for signal in signals():
        for segmented, phrase in signal.phrases:
            if contains_words(found, segmented):
                result.score += signal.weight
                result.signal_ids.add(signal.pk)
                result.matched.append(phrase)
                break  # a signal counts once per message
    return result


def routing_settings() -> RoutingSettings:
    found = cache.get(SETTINGS_KEY)
    if found is None:
        found, _created = RoutingSettings.objects.get_or_create(pk=1)
        cache.set(SETTINGS_KEY, found, CACHE_SECONDS)
    return found  # type: ignore[no-any-return]


def triage_contact(contact: Contact, text: str, *, scored: Score | None = None) -> tuple[Triage | None, bool]:
    """Add this text's signals to the contact's triage. Returns (triage, newly high risk); no
    triage when the text matched nothing.
    Callers inside a transaction pass `scored` (score_text, run before it began): segmenting Khmer
    takes CPU time that must not be spent holding the write lock."""
    result = scored if scored is not None else score_text(text)
    if not result.signal_ids:
        return None, False  # nothing matched: nothing to write (no triage reads as score 0)
    config = routing_settings()
    with transaction.atomic():
        triage, _created = Triage.objects.select_for_update().get_or_create(
            contact=contact, defaults={"scored_at": timezone.now()}
        )
        before = triage.score
        known = set(triage.signals.values_list("pk", flat=True))
        new_ids = result.signal_ids - known
        if new_ids:
            added = list(RiskSignal.objects.filter(pk__in=new_ids))
            triage.score += sum(signal.weight for signal in added)
            triage.signals.add(*added)
            triage.matched = sorted(set(triage.matched) | set(result.matched))[:50]
            triage.scored_at = timezone.now()
            triage.save()
        wanted = ""
        if triage.score >= config.critical_risk_score:
            wanted = Urgency.CRITICAL
        elif triage.score >= config.high_risk_score:
            wanted = Urgency.URGENT
        if wanted and URGENCY_RANK[wanted] > URGENCY_RANK.get(contact.urgency, 0):
            Contact.objects.filter(pk=contact.pk).update(urgency=wanted)
            contact.urgency = wanted
    newly_high = before < config.high_risk_score <= triage.score
    return triage, newly_high
