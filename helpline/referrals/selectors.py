"""Reads of the referral network. Partners are not client data: whoever may use the directory
sees it whole. Referrals belong to cases: `referrals_visible_to` starts from the cases the
principal may see (helpline.cases.selectors.cases_visible_to), so a referral is never shown to
someone the case page would refuse."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from helpline.accounts.principals import Principal
from helpline.cases.selectors import of_visible_cases
from helpline.common.text import normalise
from helpline.referrals.eligibility import referrable_q
from helpline.referrals.models import Partner, Referral


def partner_search_text(partner: Partner) -> str:
    """What a search matches for one partner (both languages, normalised). The writer of a
    partner stores it after saving the partner's services and provinces."""
    parts = [partner.name, partner.name_km, partner.districts, partner.languages, partner.description]
    for term in [*partner.services.all(), *partner.provinces.all()]:
        parts += [term.code, term.label_en, term.label_km]
    return normalise(" ".join(p for p in parts if p))


def partner_search(
    *,
    service: str = "",
    province: str = "",
    age: int | None = None,
    text: str = "",
    referrable_only: bool = False,
    with_retired: bool = False,
) -> QuerySet[Partner]:
    """Partners in the directory that give `service` (a code) in `province` (a code; partners that
    name no province are national) to a child of `age`, whose names, services or places contain
    every word of `text` in Khmer or English. Suspended and unassessed partners are included unless
    `referrable_only`, so a picker can show why they cannot be chosen; retired partners (no longer
    in the directory) only `with_retired`, after the others, for the directory's own list."""
    qs = Partner.objects.all() if with_retired else Partner.objects.filter(is_active=True)
    if service:
        qs = qs.filter(services__code=service, services__vocabulary="service")
    if province:
        national = Q(provinces__isnull=True)
        qs = qs.filter(Q(provinces__code=province, provinces__vocabulary="province") | national)
    if age is not None:
        qs = qs.filter(Q(min_age__isnull=True) | Q(min_age__lte=age)).filter(
            Q(max_age__isnull=True) | Q(max_age__gte=age)
        )
    for word in normalise(text).split()[:8]:
        qs = qs.filter(search_text__contains=word)
    if referrable_only:
        qs = qs.filter(referrable_q())
    return qs.distinct().order_by("-is_active", "-emergency", "name")


def referrals_visible_to(principal: Principal) -> QuerySet[Referral]:
    """The referrals of the cases `principal` may see; nothing for anyone else. Not
    `case__in=cases_visible_to(…)`: SQLite would first list every case the principal sees (all of
    them for a supervisor) to show one case's referrals."""
    return of_visible_cases(principal, Referral.objects.all())
