"""A partner's link opens exactly the referral its token names, and nothing once it is revoked,
expired or altered; the directory search finds partners by service, province, age and words."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from helpline.accounts.models import Role, Staff
from helpline.referrals.links import Refusal, link_issue, link_resolve, link_revoke
from helpline.referrals.models import Assessment, LinkChannel, Partner, PartnerSuspension
from helpline.referrals.selectors import partner_search, partner_search_text
from tests.case_factories import open_case
from tests.factories import persona
from tests.referral_factories import partner, referral

pytestmark = pytest.mark.django_db


def issue(ref: object, actor: Staff) -> tuple[object, str]:
    return link_issue(ref, channel=LinkChannel.EMAIL, sent_to="a@example.org", actor=actor)  # type: ignore[arg-type]


def test_a_link_opens_its_referral_until_revoked(counsellor: Staff) -> None:
    ref = referral(open_case(counsellor), counsellor)
    token, value = issue(ref, counsellor)
    found = link_resolve(value)
    assert not isinstance(found, Refusal) and found.referral_id == ref.pk
    assert link_resolve(value[:-1] + ("A" if value[-1] != "A" else "B")) is Refusal.TAMPERED
    assert link_resolve("") is Refusal.TAMPERED
    assert link_resolve(value, now=timezone.now() + dt.timedelta(days=31)) is Refusal.EXPIRED
    assert link_revoke(token, counsellor) is True  # type: ignore[arg-type]
    assert link_revoke(token, counsellor) is False  # type: ignore[arg-type]
    assert link_resolve(value) is Refusal.REVOKED


class TestTokensNeverCross(HypothesisTestCase):
    @settings(max_examples=25, deadline=None)
    @given(n=st.integers(min_value=2, max_value=5), pick=st.integers(min_value=0, max_value=4))
    def test_each_link_names_only_its_own_referral(self, n: int, pick: int) -> None:
        counsellor = persona(Role.COUNSELLOR)
        refs = [referral(open_case(counsellor), counsellor) for _ in range(n)]
        values = [issue(r, counsellor)[1] for r in refs]
        i = pick % n
        found = link_resolve(values[i])
        assert not isinstance(found, Refusal)
        assert found.referral_id == refs[i].pk
        assert all(found.referral_id != r.pk for j, r in enumerate(refs) if j != i)


def _indexed(p: Partner) -> Partner:
    Partner.objects.filter(pk=p.pk).update(search_text=partner_search_text(p))
    return p


def test_the_directory_search_filters_by_service_province_age_and_words(supervisor: Staff) -> None:
    shelter = _indexed(partner("Safe Haven", services=("shelter",), min_age=6, max_age=17))
    legal = _indexed(partner("Legal Aid Siem Reap", services=("legal_advice",), provinces=("siem_reap",)))
    national = _indexed(partner("Hotline Health", services=("medical_care", "shelter"), provinces=()))
    unassessed = _indexed(partner("New Shelter", services=("shelter",), assessment=Assessment.NOT_ASSESSED))
    assert set(partner_search(service="shelter")) == {shelter, national, unassessed}
    assert set(partner_search(service="shelter", referrable_only=True)) == {shelter, national}
    assert set(partner_search(province="siem_reap")) == {legal, national}
    assert set(partner_search(service="shelter", age=19)) == {national, unassessed}
    assert set(partner_search(text="សៀមរាប")) == {legal}  # a Khmer province name finds it
    assert set(partner_search(text="haven")) == {shelter}
    suspension = PartnerSuspension.objects.create(
        partner=shelter, reason="serious concern", started_at=timezone.now(), started_by=supervisor
    )
    Partner.objects.filter(pk=shelter.pk).update(suspension=suspension)
    assert shelter not in set(partner_search(service="shelter", referrable_only=True))


def test_sending_queues_an_email_naming_no_child_that_the_worker_sends(
    counsellor: Staff, mailoutbox: list
) -> None:
    from helpline.referrals.delivery import email_partner_link, send_partner_link

    ref = referral(open_case(counsellor, nickname="Sokha"), counsellor)
    [token] = send_partner_link(ref, actor=counsellor)
    assert email_partner_link.call(str(token.pk)) == "sent"
    [mail] = mailoutbox
    assert mail.to == [token.sent_to] and ref.number in mail.subject
    assert "Sokha" not in mail.body and ref.request not in mail.body
    value = mail.body.split("/partner/")[1].split("/")[0]
    found = link_resolve(value)
    assert not isinstance(found, Refusal) and found.pk == token.pk
    link_revoke(token, counsellor)  # type: ignore[arg-type]
    assert email_partner_link.call(str(token.pk)) == "skipped"
