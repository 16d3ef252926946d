"""What a referral may share with a partner, field by field: the counsellor ticks the fields, sees
them exactly as the partner will, and the values are frozen into the referral when it is sent
(`Referral.shared`), so a later change to the case never reaches the partner."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpline.cases.models import Case
from helpline.contacts.models import Term


@dataclass(frozen=True)
class Shareable:
    key: str
    label: Promise
    value: Callable[[Case], str]


def _term_label(term: Term | None) -> str:
    # in the language snapshot() overrides to, as every other value here
    return "" if term is None else term.label


# In the order the partner reads them. Nothing here names the caller's number or any contact's
# text: a partner that must call the child is given a way in the request, chosen by the counsellor.
SHAREABLE: tuple[Shareable, ...] = (
    Shareable("nickname", _("Name the child uses"), lambda c: c.nickname),
    Shareable("age", _("Age"), lambda c: "" if c.age is None else str(c.age)),
    Shareable("gender", _("Gender"), lambda c: _term_label(c.gender)),
    Shareable("province", _("Province"), lambda c: _term_label(c.province)),
    Shareable("risk", _("Risk"), lambda c: str(c.get_risk_display())),
)
BY_KEY = {s.key: s for s in SHAREABLE}
DEFAULT_FIELDS = ("age", "gender", "province")


def clean_fields(keys: Iterable[str]) -> list[str]:
    """The chosen keys that exist, in catalogue order (unknown keys are dropped)."""
    chosen = set(keys)
    return [s.key for s in SHAREABLE if s.key in chosen]


def snapshot(case: Case, keys: Iterable[str], *, language: str) -> dict[str, str]:
    """The chosen fields' values as they stand now, to freeze into the referral, in `language`:
    the partner's (Partner.language), never the language of the counsellor's screen."""
    with translation.override(language):
        return {key: BY_KEY[key].value(case) for key in clean_fields(keys)}


def shown(shared: dict[str, str]) -> list[tuple[str, str]]:
    """(label, value) pairs of a frozen snapshot, for the preview and the partner's page."""
    return [(str(s.label), shared[s.key]) for s in SHAREABLE if shared.get(s.key)]
