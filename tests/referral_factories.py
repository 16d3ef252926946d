"""Partners and referrals for the referral tests. Rows are made directly (a test's own setup, not a
project writer): the services under test then act on them."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.cases.models import Case
from helpline.contacts.models import Term, Vocabulary
from helpline.referrals.models import Assessment, Consent, Partner, Referral, ReferralStatus


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary=vocabulary, code=code)


def partner(
    name: str = "Safe Haven Phnom Penh",
    *,
    name_km: str = "",
    services: tuple[str, ...] = ("shelter",),
    provinces: tuple[str, ...] = ("phnom_penh",),
    assessment: str = Assessment.APPROVED,
    min_age: int | None = None,
    max_age: int | None = None,
    email: str = "referrals@safehaven.example.org",
) -> Partner:
    made = Partner.objects.create(
        name=name,
        name_km=name_km,
        assessment=assessment,
        min_age=min_age,
        max_age=max_age,
        email=email,
        phone="+85523555123",
    )
    made.services.set([term(Vocabulary.SERVICE, code) for code in services])
    made.provinces.set([term(Vocabulary.PROVINCE, code) for code in provinces])
    return made


def referral(
    case: Case,
    sender: Staff,
    *,
    to: Partner | None = None,
    status: str = ReferralStatus.SENT,
    service: str = "shelter",
    number: str | None = None,
) -> Referral:
    """A referral already in `status` (sent a day ago unless a draft)."""
    sent_at = None if status == ReferralStatus.DRAFT else timezone.now() - dt.timedelta(days=1)
    return Referral.objects.create(
        number=number or f"R-2026-{Referral.objects.count() + 1:05d}",
        case=case,
        partner=to or partner(),
        service=term(Vocabulary.SERVICE, service),
        status=status,
        shared_fields=["age"],
        shared={"age": case.age},
        request="A safe place to stay tonight",
        consent=Consent.GIVEN,
        created_by=sender,
        sent_by=sender if sent_at else None,
        sent_at=sent_at,
    )
