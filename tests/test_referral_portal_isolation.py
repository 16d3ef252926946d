"""A partner's link reaches its own referral and nothing else: whatever a partner posts with
referral A's link never shows or changes referral B, and with only its link every other URL of
the project answers the partner as it answers an anonymous visitor."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.urls import get_resolver, reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from helpline.accounts.access import rule_of
from helpline.accounts.models import Role, Staff
from helpline.cases.models import CaseEvent
from helpline.referrals.links import link_issue, link_revoke
from helpline.referrals.models import LinkChannel, Referral, ReferralEvent, ReferralToken
from tests.case_factories import open_case
from tests.factories import persona
from tests.referral_factories import referral
from tests.test_url_access import walk

ACTIONS = ["view", "acknowledged", "accepted", "declined", "delivered", "note", "closed", "bogus"]


def _referral_with_links(counsellor: Staff, i: int, links: int) -> tuple[Referral, list[str]]:
    case = open_case(counsellor, nickname=f"child{i}zq")
    ref = referral(case, counsellor)
    Referral.objects.filter(pk=ref.pk).update(
        shared={"nickname": f"child{i}zq", "age": str(10 + i)}, request=f"request{i}zq"
    )
    values = []
    for _ in range(links):
        _token, value = link_issue(ref, channel=LinkChannel.EMAIL, sent_to="p@example.org", actor=counsellor)
        values.append(value)
    return ref, values


def _state(ref: Referral) -> tuple[Any, ...]:
    """Everything of a referral a partner's act could change."""
    row = Referral.objects.values().get(pk=ref.pk)
    return (
        row,
        list(ReferralEvent.objects.filter(referral=ref).values_list("pk", flat=True)),
        list(ReferralToken.objects.filter(referral=ref).values_list("pk", "last_used_at", "revoked_at")),
        CaseEvent.objects.filter(case_id=ref.case_id).count(),
    )


class TestALinkNeverReachesAnotherReferral(HypothesisTestCase):
    counsellor: Staff

    @classmethod
    def setUpTestData(cls) -> None:
        cls.counsellor = persona(Role.COUNSELLOR, username="isolation")

    @settings(max_examples=30, deadline=None)
    @given(
        sizes=st.lists(st.integers(min_value=1, max_value=2), min_size=2, max_size=4),
        steps=st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 1), st.sampled_from(ACTIONS), st.integers(0, 3)),
            min_size=1,
            max_size=6,
        ),
        revoke_first=st.booleans(),
    )
    def test_posts_with_a_links_value_touch_only_its_own_referral(
        self, sizes: list[int], steps: list[tuple[int, int, str, int]], revoke_first: bool
    ) -> None:
        cache.clear()  # the guessing limit counts across examples otherwise (revoked links)
        counsellor = self.counsellor
        made = [_referral_with_links(counsellor, i, links) for i, links in enumerate(sizes)]
        if revoke_first:  # a referral whose first link was replaced: the old one opens nothing
            first = ReferralToken.objects.filter(referral=made[0][0]).order_by("created_at").first()
            assert first is not None
            link_revoke(first, counsellor)
        client = Client()
        for pick, link, action, hostile in steps:
            i = pick % len(made)
            ref, values = made[i]
            value = values[link % len(values)]
            others = [(r, _state(r)) for j, (r, _v) in enumerate(made) if j != i]
            target = made[hostile % len(made)][0]
            if action == "view":
                response = client.get(f"/partner/{value}/?lang=en")
            else:
                # The post names another referral every way it could: none of it is read.
                response = client.post(
                    f"/partner/{value}/",
                    {
                        "action": action,
                        "note": f"note from link of {ref.number}",
                        "referral": str(target.pk),
                        "referral_id": str(target.pk),
                        "number": target.number,
                        "value": made[hostile % len(made)][1][0],
                    },
                )
            assert response.status_code in {200, 302, 400, 409, 410}, response.status_code
            body = response.content.decode()
            for other, before in others:
                assert _state(other) == before, f"{action} with {ref.number}'s link changed {other.number}"
                assert other.number not in body
            for j in range(len(made)):
                if j != i:
                    assert f"child{j}zq" not in body and f"request{j}zq" not in body
            if response.status_code == 200:
                assert f"request{i}zq" in body and ref.number in body


def _fill(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", lambda _m: str(uuid.uuid4()), route)


ROUTES = [
    (route, name, rule_of(callback))
    for route, name, callback in walk(get_resolver())
    if name != "referrals:portal"
]


@pytest.mark.django_db
def test_with_only_its_link_a_partner_reaches_nothing_an_anonymous_visitor_cannot(counsellor: Staff) -> None:
    _ref, [value] = _referral_with_links(counsellor, 0, 1)
    partner = Client(enforce_csrf_checks=True)
    page = partner.get(f"/partner/{value}/")
    assert page.status_code == 200 and "request0zq" in page.content.decode()
    partner_csrf = partner.cookies["helpline_csrf"].value
    stranger = Client(enforce_csrf_checks=True)
    stranger.get(reverse("accounts:login"))
    stranger_csrf = stranger.cookies["helpline_csrf"].value
    lookalike = signing.Signer(salt="helpline.referrals.partner-link").sign(uuid.uuid4().hex)
    compared = 0
    for route, name, rule in ROUTES:
        path = _fill(route)
        seen = {}
        for who, client, csrf, key in (
            ("partner", partner, partner_csrf, value),
            ("stranger", stranger, stranger_csrf, lookalike),
        ):
            answers = []
            # As a page, with the link's value as a bearer token (the API), and as a query.
            answers.append(client.get(path))
            answers.append(client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}"))
            answers.append(client.get(path, {"token": key, "value": key}))
            if rule is not None and rule.level != "public":
                answers.append(client.post(path, {"csrfmiddlewaretoken": csrf}, HTTP_X_CSRFTOKEN=csrf))
            # A sign-in redirect names the path it came from, query and all: the key is the
            # request's own, not something reached.
            key_id, signature = key.split(":")
            seen[who] = [
                (a.status_code, a.get("Location", "").replace(key_id, "ID").replace(signature, "SIG"))
                for a in answers
            ]
        assert seen["partner"] == seen["stranger"], f"{route} ({name}): {seen}"
        if rule is not None and rule.level not in {"public"}:
            assert all(status in {302, 401, 403, 404, 405} for status, _loc in seen["partner"]), (route, seen)
        compared += 1
    assert compared > 50
