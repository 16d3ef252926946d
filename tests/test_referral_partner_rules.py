"""One rule for whether a partner may be sent a referral (eligibility.partner_refusal): the
partner's own flag, the picker's query and the services all give the same answer for every
combination of retired, suspended, assessed and addressed."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.referrals.eligibility import partner_refusal
from helpline.referrals.models import Assessment, Partner, PartnerSuspension
from helpline.referrals.selectors import partner_search
from tests.referral_factories import partner

pytestmark = pytest.mark.django_db


def test_the_flag_the_query_and_the_refusal_agree_on_every_partner(counsellor: Staff) -> None:
    made: list[Partner] = []
    combos = itertools.product((True, False), (True, False), Assessment.values, ("", "p@example.org"))
    for i, (active, suspended, assessment, email) in enumerate(combos):
        p = partner(f"Partner {i}", assessment=assessment, email=email)
        if suspended:
            p.suspension = PartnerSuspension.objects.create(
                partner=p, reason="serious", started_at=timezone.now(), started_by=counsellor
            )
        p.is_active = active
        p.save()
        made.append(p)
    found = set(partner_search(referrable_only=True, with_retired=True).values_list("pk", flat=True))
    for p in made:
        fresh = Partner.objects.get(pk=p.pk)
        may = not partner_refusal(fresh)
        assert fresh.may_receive == may, (fresh.name, partner_refusal(fresh))
        assert (fresh.pk in found) == may, (fresh.name, partner_refusal(fresh))
    assert sum(not partner_refusal(Partner.objects.get(pk=p.pk)) for p in made) == 2  # approved, conditional
