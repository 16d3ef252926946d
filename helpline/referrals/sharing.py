"""What a referral may share with a partner, field by field: the counsellor ticks the fields, sees
them as the partner will, and the values are frozen into the referral when it is sent
(`Referral.shared`), so a later change to the case never reaches the partner.

A value from a code list (gender, province) or a choice (risk) is frozen as its code and named
when it is read, in the reader's language: the partner's page in the language it is opened in,
the staff page in the staff member's. Free text (the name the child uses) and numbers are frozen
as they are. A referral sent before codes were kept holds names; migration 0005 turned those it
could back into codes, and a value that is no code is shown as it was stored."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpline.cases.models import Case, Risk
from helpline.contacts.models import Term, Vocabulary


@dataclass(frozen=True)
class Shareable:
    key: str
    label: Promise
    value: Callable[[Case], str]  # what is frozen: a code where `vocabulary` or `choices` names it
    vocabulary: str = ""  # the code list a frozen code is from
    choices: type[TextChoices] | None = None  # the choices a frozen code is one of


def _code(term: Term | None) -> str:
    return "" if term is None else term.code


# In the order the partner reads them. Nothing here names the caller's number or any contact's
# text: a partner that must call the child is given a way in the request, chosen by the counsellor.
SHAREABLE: tuple[Shareable, ...] = (
    Shareable("nickname", _("Name the child uses"), lambda c: c.nickname),
    Shareable("age", _("Age"), lambda c: "" if c.age is None else str(c.age)),
    Shareable("gender", _("Gender"), lambda c: _code(c.gender), vocabulary=Vocabulary.GENDER),
    Shareable("province", _("Province"), lambda c: _code(c.province), vocabulary=Vocabulary.PROVINCE),
    Shareable("risk", _("Risk"), lambda c: str(c.risk), choices=Risk),
)
BY_KEY = {s.key: s for s in SHAREABLE}
DEFAULT_FIELDS = ("age", "gender", "province")


def clean_fields(keys: Iterable[str]) -> list[str]:
    """The chosen keys that exist, in catalogue order (unknown keys are dropped)."""
    chosen = set(keys)
    return [s.key for s in SHAREABLE if s.key in chosen]


def snapshot(case: Case, keys: Iterable[str]) -> dict[str, str]:
    """The chosen fields' values as they stand now, to freeze into the referral: codes and plain
    values, in no language (each reader's page names them in its own)."""
    return {key: BY_KEY[key].value(case) for key in clean_fields(keys)}


def shown(shared: Mapping[str, str]) -> list[tuple[str, str]]:
    """(label, value) pairs of a frozen snapshot, for the preview and the partner's page, in the
    active language. One query names every code-list value."""
    present = [s for s in SHAREABLE if shared.get(s.key)]
    wanted = {(s.vocabulary, shared[s.key]) for s in present if s.vocabulary}
    terms: dict[tuple[str, str], Term] = {}
    if wanted:
        found = Term.objects.filter(
            vocabulary__in={v for v, _code in wanted}, code__in={c for _v, c in wanted}
        ).only("vocabulary", "code", "label_en", "label_km")
        terms = {(t.vocabulary, t.code): t for t in found}
    return [(str(s.label), _name(s, shared[s.key], terms)) for s in present]


def _name(s: Shareable, stored: str, terms: Mapping[tuple[str, str], Term]) -> str:
    if s.vocabulary:
        term = terms.get((s.vocabulary, stored))
        return stored if term is None else term.label  # None: a name frozen before codes were kept
    if s.choices is not None and stored in s.choices.values:
        return str(s.choices(stored).label)
    return stored
