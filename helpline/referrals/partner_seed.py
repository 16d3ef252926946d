"""Adding a partner already assessed and approved, in one step: for data brought in from elsewhere
(the demo's partners). The directory's own pages add a partner and record its assessment as two
steps; when its services are in, this should call them rather than write the rows itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.contacts.models import Term, Vocabulary
from helpline.referrals.lifecycle import ReferralError
from helpline.referrals.models import Assessment, Partner, PartnerAssessment
from helpline.referrals.selectors import partner_search_text


@dataclass(frozen=True)
class PartnerFacts:
    name: str
    name_km: str
    services: Sequence[str]  # service codes
    provinces: Sequence[str]  # province codes; none: every province
    email: str
    phone: str
    description: str = ""
    min_age: int | None = None
    max_age: int | None = None
    languages: str = "ខ្មែរ, English"
    opening_hours: str = ""
    contact_person: str = ""
    emergency: bool = False


def _terms(vocabulary: str, codes: Sequence[str]) -> list[Term]:
    found = list(Term.objects.filter(vocabulary=vocabulary, code__in=codes, is_active=True))
    if len(found) != len(set(codes)):
        raise ReferralError(vocabulary, f"unknown {vocabulary} codes among {sorted(codes)}")
    return found


def partner_add_assessed(
    actor: Staff, *, facts: PartnerFacts, assessed_on: dt.date, notes: str = ""
) -> Partner:
    """A partner in the directory with an approving assessment by `actor`, audited as the two steps
    the directory's pages would take."""
    services = _terms(Vocabulary.SERVICE, facts.services)
    provinces = _terms(Vocabulary.PROVINCE, facts.provinces)
    with transaction.atomic():
        partner = Partner.objects.create(
            name=facts.name,
            name_km=facts.name_km,
            description=facts.description,
            min_age=facts.min_age,
            max_age=facts.max_age,
            languages=facts.languages,
            opening_hours=facts.opening_hours,
            phone=facts.phone,
            email=facts.email,
            contact_person=facts.contact_person,
            emergency=facts.emergency,
            assessment=Assessment.APPROVED,
        )
        partner.services.set(services)
        partner.provinces.set(provinces)
        Partner.objects.filter(pk=partner.pk).update(search_text=partner_search_text(partner))
        PartnerAssessment.objects.create(
            partner=partner,
            assessed_on=assessed_on,
            assessor=actor,
            outcome=Assessment.APPROVED,
            notes=notes,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        for action in (AuditAction.PARTNER_CREATE, AuditAction.PARTNER_ASSESS):
            audit_record(
                actor,
                action=action,
                record_type="partner",
                record_id=partner.pk,
                detail={"name": partner.name},
            )
    partner.refresh_from_db()
    return partner
