"""Code lists: loading the shipped lists into the database, and reading them for forms."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from helpline.common.text import normalise
from helpline.contacts.models import Term, Vocabulary
from helpline.contacts.taxonomy_data import iter_terms


def taxonomy_sync() -> tuple[int, int]:
    """Create shipped terms that are missing; never overwrite what an administrator edited.
    Returns (created, already present). Running it twice changes nothing."""

    created = present = 0
    with transaction.atomic():
        existing = {(t.vocabulary, t.code): t for t in Term.objects.all()}
        for vocabulary, parent_code, order, data in iter_terms():
            if (vocabulary, data["code"]) in existing:
                present += 1
                continue
            parent = existing.get((vocabulary, parent_code)) if parent_code else None
            term = Term.objects.create(
                vocabulary=vocabulary,
                code=data["code"],
                parent=parent,
                label_en=data["en"],
                label_km=data["km"],
                chi_code=data["chi"],
                is_local=data["local"],
                sort_order=order,
            )
            existing[(vocabulary, term.code)] = term
            created += 1
    return created, present


def terms(vocabulary: str, *, active_only: bool = True) -> list[Term]:
    qs = Term.objects.filter(vocabulary=vocabulary)
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("sort_order", "code"))


def choices(vocabulary: str) -> list[tuple[str, str]]:
    return [(t.code, t.label) for t in terms(vocabulary)]


def reason_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Subcategories grouped under their category, for a grouped select."""
    all_terms = terms(Vocabulary.REASON)
    children: dict[int | None, list[Term]] = defaultdict(list)
    for term in all_terms:
        children[term.parent_id].append(term)
    return [
        (category.label, [(sub.code, sub.label) for sub in children[category.pk]])
        for category in children[None]
        if children[category.pk]
    ]


@dataclass(frozen=True)
class ReasonChoice:
    code: str
    label: str
    # Both languages' labels and the category's, in the normal form text is compared in: the
    # console's filter finds "bully", "suic" or "រំលោភ" whichever language the page is in.
    search: str


@dataclass(frozen=True)
class ReasonGroup:
    label: str
    reasons: list[ReasonChoice]


def reason_groups() -> list[ReasonGroup]:
    """The reason choices as reason_choices(), each carrying its words to filter by."""
    all_terms = terms(Vocabulary.REASON)
    children: dict[int | None, list[Term]] = defaultdict(list)
    for term in all_terms:
        children[term.parent_id].append(term)
    return [
        ReasonGroup(
            label=category.label,
            reasons=[
                ReasonChoice(
                    code=sub.code,
                    label=sub.label,
                    search=normalise(
                        f"{sub.label_en} {sub.label_km} {category.label_en} {category.label_km}"
                    ),
                )
                for sub in children[category.pk]
            ],
        )
        for category in children[None]
        if children[category.pk]
    ]


def resolve(vocabulary: str, codes: Iterable[str]) -> dict[str, Term]:
    return {t.code: t for t in Term.objects.filter(vocabulary=vocabulary, code__in=list(codes))}
