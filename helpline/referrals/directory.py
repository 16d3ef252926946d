"""Writes to the partner directory: adding a partner and changing what the directory says of it.

The partnership itself (assessments, documents, monitoring visits, concerns and suspensions) is
written in partnership.py; imports in directory_io.py go through partner_create. Each write saves
the partner, its services, provinces and genders, then its search text (which reads them), and an
audit row naming each changed field's old and new value (a directory is no client data), in one
transaction. A partner is written by staff who keep the directory, or by an integration token with
the partners:write scope."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.accounts.principals import Principal
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.text import normalise, storable
from helpline.contacts.identity import AddressError, normalise_phone
from helpline.contacts.models import Term, Vocabulary
from helpline.referrals.lifecycle import links_revoke_all
from helpline.referrals.models import Partner, PartnerLanguage, ReferralToken
from helpline.referrals.selectors import partner_search_text

MAX_AGE = 120
MAX_REASON = 500
MIN_MONITORING_DAYS, MAX_MONITORING_DAYS = 7, 3650
# The most each text field holds (the model's lengths; free texts get a sane bound).
LIMITS = {
    "name": 200,
    "name_km": 200,
    "description": 4000,
    "districts": 2000,
    "languages": 200,
    "opening_hours": 300,
    "contact_person": 200,
    "email": 254,
}


class PartnerError(ValueError):
    """A request that cannot be carried out (a 400); names the field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class PartnerConflict(PartnerError):
    """The directory or the partner is not in the state the request assumed (a 409): a name
    already in the directory, a suspension already lifted."""


class PartnerInvalid(PartnerError):
    """Facts with one problem or more: the first is the error's own field and message, `problems`
    holds them all, so that a form can show every one at once."""

    def __init__(self, problems: Sequence[PartnerError]) -> None:
        super().__init__(problems[0].field, problems[0].message)
        self.problems = list(problems)


@dataclass
class PartnerFacts:
    """What the directory says of a partner, as a form, the API or an import row gives it."""

    name: str
    services: Sequence[Term]
    name_km: str = ""
    description: str = ""
    provinces: Sequence[Term] = ()
    districts: str = ""
    genders: Sequence[Term] = ()
    min_age: int | None = None
    max_age: int | None = None
    languages: str = ""
    language: str = PartnerLanguage.KHMER  # the one it reads referrals in
    opening_hours: str = ""
    phone: str = ""
    email: str = ""
    contact_person: str = ""
    emergency: bool = False
    monitoring_every_days: int = 180

    @classmethod
    def of(cls, partner: Partner) -> PartnerFacts:
        """What a partner says now: the start of an edit."""
        return cls(
            name=partner.name,
            services=list(partner.services.all()),
            name_km=partner.name_km,
            description=partner.description,
            provinces=list(partner.provinces.all()),
            districts=partner.districts,
            genders=list(partner.genders.all()),
            min_age=partner.min_age,
            max_age=partner.max_age,
            languages=partner.languages,
            language=partner.language,
            opening_hours=partner.opening_hours,
            phone=partner.phone,
            email=partner.email,
            contact_person=partner.contact_person,
            emergency=partner.emergency,
            monitoring_every_days=partner.monitoring_every_days,
        )


_SCALARS = (
    "name",
    "name_km",
    "description",
    "districts",
    "min_age",
    "max_age",
    "languages",
    "language",
    "opening_hours",
    "phone",
    "email",
    "contact_person",
    "emergency",
    "monitoring_every_days",
)
_MULTILINE = frozenset({"description", "districts"})  # kept as written, lines and all
# The partner's code lists, by field: the one map the form, the API and the import read.
TERM_LISTS = {"services": Vocabulary.SERVICE, "provinces": Vocabulary.PROVINCE, "genders": Vocabulary.GENDER}
_TERMS = TERM_LISTS
_FIELDS = frozenset(_SCALARS) | frozenset(_TERMS)


def facts_problems(facts: PartnerFacts) -> tuple[PartnerFacts, list[PartnerError]]:
    """The facts as they would be stored (texts repaired and trimmed, the phone in E.164) and every
    problem with them, so that an import can report them all for a row; none: they may be stored."""
    problems: list[PartnerError] = []
    texts: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        raw = storable(getattr(facts, name) or "")
        value = raw.strip() if name in _MULTILINE else " ".join(raw.split())
        if len(value) > limit:
            problems.append(PartnerError(name, _("Too long: at most %(n)d characters.") % {"n": limit}))
        texts[name] = value
    if not texts["name"]:
        problems.append(PartnerError("name", _("A partner needs a name.")))
    phone = (facts.phone or "").strip()
    if phone:
        try:
            phone = normalise_phone(phone)
        except AddressError:
            problems.append(PartnerError("phone", _("Not a phone number (012 345 678 or +855...).")))
    if texts["email"]:
        try:
            validate_email(texts["email"])
        except ValidationError:
            problems.append(PartnerError("email", _("Not an email address.")))
    if facts.language not in PartnerLanguage.values:
        problems.append(PartnerError("language", _("Khmer or English.")))
    problems += _age_problems(facts.min_age, facts.max_age)
    if not MIN_MONITORING_DAYS <= facts.monitoring_every_days <= MAX_MONITORING_DAYS:
        problems.append(
            PartnerError(
                "monitoring_every_days",
                _("A monitoring visit every %(low)d to %(high)d days.")
                % {"low": MIN_MONITORING_DAYS, "high": MAX_MONITORING_DAYS},
            )
        )
    for name, vocabulary in _TERMS.items():
        if any(t.vocabulary != vocabulary for t in getattr(facts, name)):
            problems.append(
                PartnerError(name, _("Not a code from the %(list)s code list.") % {"list": vocabulary})
            )
    if not facts.services:
        problems.append(PartnerError("services", _("Choose at least one service.")))
    clean = dataclasses.replace(
        facts,
        **texts,
        phone=phone,
        language=str(facts.language),
        services=_unique(facts.services),
        provinces=_unique(facts.provinces),
        genders=_unique(facts.genders),
    )
    return clean, problems


def _age_problems(low: int | None, high: int | None) -> list[PartnerError]:
    found = [
        PartnerError(name, _("An age from 0 to %(n)d.") % {"n": MAX_AGE})
        for name, age in (("min_age", low), ("max_age", high))
        if age is not None and not 0 <= age <= MAX_AGE
    ]
    if not found and low is not None and high is not None and low > high:
        found.append(PartnerError("max_age", _("The oldest age served is below the youngest.")))
    return found


def _unique(terms: Iterable[Term]) -> list[Term]:
    return list({t.pk: t for t in terms}.values())


def directory_names(*, other_than: Partner | None = None) -> set[str]:
    """The names in the directory, in the normal form ("Safe Haven" and "safe  haven" are one)."""
    names = Partner.objects.filter(is_active=True)
    if other_than is not None:
        names = names.exclude(pk=other_than.pk)
    return {normalise(n) for n in names.values_list("name", flat=True).iterator()}


def may_keep_directory(actor: Principal) -> bool:
    """Staff whose role keeps the directory; a token's scope was checked where it came in."""
    return not isinstance(actor, Staff) or (
        actor.is_active and role_has(actor.role, Permission.PARTNERS_MANAGE)
    )


def _checked(actor: Principal, facts: PartnerFacts) -> PartnerFacts:
    """The facts as they would be stored, or the first problem with them."""
    if not may_keep_directory(actor):
        raise PartnerError("actor", _("Your role does not keep the partner directory."))
    clean, problems = facts_problems(facts)
    if problems:
        raise PartnerInvalid(problems)
    return clean


def _name_free(clean: PartnerFacts, partner: Partner | None, names: set[str] | None = None) -> None:
    """PartnerConflict when another partner in the directory has this name; called inside the
    writing transaction, so the names are those of the moment of the write."""
    taken = directory_names(other_than=partner) if names is None else names
    if normalise(clean.name) in taken:
        raise PartnerConflict("name", _("A partner of this name is already in the directory."))


def _values(partner: Partner) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(partner, name) for name in _SCALARS}
    for name in _TERMS:
        values[name] = sorted(t.code for t in getattr(partner, name).all())
    return values


def _write(partner: Partner, facts: PartnerFacts) -> None:
    for name in _SCALARS:
        setattr(partner, name, getattr(facts, name))
    partner.save()
    partner.services.set(facts.services)
    partner.provinces.set(facts.provinces)
    partner.genders.set(facts.genders)
    partner.search_text = partner_search_text(partner)  # reads the services and places just set
    partner.save(update_fields=["search_text"])


def partner_create(
    actor: Principal,
    *,
    facts: PartnerFacts,
    request: HttpRequest | None = None,
    detail: dict[str, str] | None = None,
    names: set[str] | None = None,
) -> Partner:
    """A new partner, not yet assessed (no referral goes to it until an assessment approves it).
    `detail`: said on the audit row (the import it came from); `names`: the directory's names
    (directory_names) when many partners are added at once, kept up to date here."""
    clean = _checked(actor, facts)
    with transaction.atomic():
        _name_free(clean, None, names)
        partner = Partner()
        _write(partner, clean)
        audit_record(
            actor,
            action=AuditAction.PARTNER_CREATE,
            record_type="partner",
            record_id=partner.pk,
            request=request,
            detail={"name": partner.name, **(detail or {})},
        )
    if names is not None:
        names.add(normalise(partner.name))
    return partner


def partner_update(
    actor: Principal,
    *,
    partner: Partner,
    facts: PartnerFacts | None = None,
    changes: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> list[str]:
    """The fields that changed (none: nothing written). Either the whole of what the directory
    says (`facts`, a form's edit) or only some fields (`changes`, an API PATCH): these are applied
    to the partner as it is once locked, so two PATCHes of different fields both hold."""
    if (facts is None) == (changes is None):
        raise TypeError("partner_update takes facts or changes, not both")
    if changes is not None and not set(changes) <= _FIELDS:
        raise PartnerError("changes", _("Not a field of the directory."))
    if facts is not None:
        _checked(actor, facts)  # refused before anything is locked
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        given = facts if facts is not None else dataclasses.replace(PartnerFacts.of(partner), **changes or {})
        clean = _checked(actor, given)
        _name_free(clean, partner)
        before = _values(partner)
        wanted = {name: getattr(clean, name) for name in _SCALARS} | {
            name: sorted(t.code for t in getattr(clean, name)) for name in _TERMS
        }
        changed = sorted(name for name, value in wanted.items() if before[name] != value)
        if not changed:
            return []
        _write(partner, clean)
        _links_to_old_addresses_revoked(actor, partner, before, changed, request)
        audit_record(
            actor,
            action=AuditAction.PARTNER_UPDATE,
            record_type="partner",
            record_id=partner.pk,
            request=request,
            detail={"name": partner.name},
            changes={name: (before[name], wanted[name]) for name in changed},
        )
    return changed


# The directory's addresses that a partner link may have been sent to.
ADDRESSES = ("email", "phone")


def _links_to_old_addresses_revoked(
    actor: Principal,
    partner: Partner,
    before: Mapping[str, Any],
    changed: Sequence[str],
    request: HttpRequest | None,
) -> int:
    """A partner's address changed (the person who read that inbox left, the phone was handed on):
    the links already sent there stop opening, each revoked with its history step and audit row.
    The referral is sent again to give the new address a link of its own."""
    old = {before[name] for name in ADDRESSES if name in changed and before[name]}
    if not old:
        return 0
    held = ReferralToken.objects.filter(
        referral__partner=partner, sent_to__in=old, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("referral")
    return sum(links_revoke_all(token.referral, actor, request=request, token=token) for token in held)


# --- Leaving the directory and coming back ---------------------------------------------------


def _standing(
    actor: Principal,
    *,
    partner: Partner,
    active: bool,
    reason: str,
    request: HttpRequest | None,
) -> Partner:
    if not may_keep_directory(actor):
        raise PartnerError("actor", _("Your role does not keep the partner directory."))
    why = " ".join(storable(reason or "").split())
    if not why:
        raise PartnerError("reason", _("Say why."))
    if len(why) > MAX_REASON:
        raise PartnerError("reason", _("Too long: at most %(n)d characters.") % {"n": MAX_REASON})
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if partner.is_active == active:
            raise PartnerConflict(
                "partner",
                _("This partner is already in the directory.")
                if active
                else _("This partner is no longer in the directory."),
            )
        if active:  # its name may have been given to another partner meanwhile
            _name_free(PartnerFacts.of(partner), partner)
        partner.is_active = active
        partner.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor,
            action=AuditAction.PARTNER_REINSTATE if active else AuditAction.PARTNER_RETIRE,
            record_type="partner",
            record_id=partner.pk,
            request=request,
            reason=why,
            detail={"name": partner.name},
            changes={"is_active": (not active, active)},
        )
    return partner


def partner_retire(
    actor: Principal, *, partner: Partner, reason: str, request: HttpRequest | None = None
) -> Partner:
    """The partnership has ended: the partner stays on its page and in the directory's list,
    marked retired, but no new referral goes to it and no visit is planned or reminded. Referrals
    already sent keep their course. By someone who keeps the directory, with the reason."""
    return _standing(actor, partner=partner, active=False, reason=reason, request=request)


def partner_reinstate(
    actor: Principal, *, partner: Partner, reason: str, request: HttpRequest | None = None
) -> Partner:
    """A retired partner back in the directory (its assessment and any suspension as they were),
    unless another partner has taken its name meanwhile (PartnerConflict)."""
    return _standing(actor, partner=partner, active=True, reason=reason, request=request)


def partners_rebuild_search_text() -> tuple[str, int]:
    """Every partner's search words in today's normal form (after an upgrade that changed it, or
    a code list's labels renamed): for the rebuild_search_text command. ("partners", rows changed)."""
    changed = 0
    for partner in Partner.objects.prefetch_related("services", "provinces").iterator(chunk_size=500):
        text = partner_search_text(partner)
        if text != partner.search_text:
            changed += Partner.objects.filter(pk=partner.pk).update(search_text=text)
    return "partners", changed
