"""Finding a partner in a few keystrokes: by service, province and a child's age, and by words in
Khmer or English (names, services, places), on the directory page (live with htmx, and as a plain
form without JavaScript) and in the refer page's picker, where suspended, unassessed and
unreachable partners are shown but cannot be chosen, with the reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpline.accounts.models import Role, Staff
from helpline.referrals import partnership
from helpline.referrals.eligibility import no_address, partner_refusal
from helpline.referrals.models import ConcernSeverity, ConcernSource, Partner
from helpline.referrals.selectors import partner_search
from helpline.referrals.selectors_partners import partner_choices
from tests.factories import persona
from tests.partner_factories import add_partner
from tests.referral_drafts import child_case
from tests.test_scheduler import writes_in

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]


@pytest.fixture
def keeper(db: None) -> Staff:
    return persona(Role.CASE_MANAGER, username="keeper")


@pytest.fixture
def directory(keeper: Staff) -> dict[str, Partner]:
    return {
        "haven": add_partner(
            keeper,
            "Safe Haven Phnom Penh",
            name_km="ផ្ទះសុវត្ថិភាពភ្នំពេញ",
            services=("shelter", "food"),
            provinces=("phnom_penh",),
            max_age=17,
        ),
        "clinic": add_partner(
            keeper,
            "Angkor Youth Clinic",
            name_km="គ្លីនិកយុវជនអង្គរ",
            services=("medical_care", "sexual_reproductive_health"),
            provinces=("siem_reap",),
            min_age=10,
            max_age=25,
        ),
        "legal": add_partner(
            keeper,
            "Legal Aid for Children",
            name_km="ជំនួយផ្លូវច្បាប់សម្រាប់កុមារ",
            services=("legal_advice",),
            provinces=(),  # the whole country
        ),
    }


def names(qs: object) -> set[str]:
    return {p.name for p in qs}  # type: ignore[attr-defined]


def test_words_in_english_or_khmer_find_names_services_and_places(directory: dict[str, Partner]) -> None:
    assert names(partner_search(text="haven")) == {"Safe Haven Phnom Penh"}
    assert names(partner_search(text="ផ្ទះសុវត្ថិ")) == {"Safe Haven Phnom Penh"}  # a few keystrokes
    assert names(partner_search(text="shelter")) == {"Safe Haven Phnom Penh"}  # the service's label
    assert names(partner_search(text="ទីជម្រក")) == {"Safe Haven Phnom Penh"}  # ... in Khmer
    assert names(partner_search(text="សៀមរាប")) == {"Angkor Youth Clinic"}  # the province in Khmer
    assert names(partner_search(text="siem reap clinic")) == {"Angkor Youth Clinic"}  # every word
    assert names(partner_search(text="ច្បាប់")) == {"Legal Aid for Children"}
    assert names(partner_search(text="nowhere")) == set()


def test_khmer_spelling_variants_find_the_same_partner(keeper: Staff) -> None:
    # ្ដ and ្ត look alike and are typed either way; ឲ្យ and ឱ្យ are one word.
    add_partner(keeper, "Giving Hands", name_km="អង្គការផ្ដល់ក្ដីសង្ឃឹមឲ្យកុមារ")
    assert names(partner_search(text="ផ្តល់")) == {"Giving Hands"}  # coeng ta typed for coeng da
    assert names(partner_search(text="ក្តីសង្ឃឹមឱ្យ")) == {"Giving Hands"}
    assert names(partner_search(text="GIVING  hands")) == {"Giving Hands"}


def test_service_province_and_age_narrow_the_list(directory: dict[str, Partner]) -> None:
    assert names(partner_search(service="shelter")) == {"Safe Haven Phnom Penh"}
    # A partner that names no province serves the whole country.
    assert names(partner_search(province="siem_reap")) == {"Angkor Youth Clinic", "Legal Aid for Children"}
    assert names(partner_search(age=8)) == {"Safe Haven Phnom Penh", "Legal Aid for Children"}
    assert names(partner_search(age=20)) == {"Angkor Youth Clinic", "Legal Aid for Children"}
    assert names(partner_search(service="medical_care", province="phnom_penh")) == set()


def test_the_directory_page_searches_with_a_plain_form_and_live(
    directory: dict[str, Partner], client_for: ClientFor
) -> None:
    client = client_for(persona(Role.COUNSELLOR, username="c"))
    page = client.get("/partners/", {"q": "ទីជម្រក", "province": "phnom_penh", "age": "12"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Safe Haven Phnom Penh" in body and "Angkor Youth Clinic" not in body
    assert 'hx-get="/partners/"' in body and "<html" in body  # the whole page, its form works without JS
    live = client.get("/partners/", {"q": "clinic"}, headers={"HX-Request": "true"})
    assert live.status_code == 200
    rows = live.content.decode()
    assert "<html" not in rows and "Angkor Youth Clinic" in rows and "Safe Haven" not in rows


def test_the_directory_page_refuses_an_unreadable_search(
    directory: dict[str, Partner], client_for: ClientFor
) -> None:
    client = client_for(persona(Role.COUNSELLOR, username="c"))
    assert client.get("/partners/", {"age": "old"}).status_code == 400
    assert client.get("/partners/", {"service": "no_such_service"}).status_code == 400


def test_each_partner_shows_its_badges(
    directory: dict[str, Partner], keeper: Staff, client_for: ClientFor
) -> None:
    add_partner(keeper, "New Hope", approved=False, emergency=True)
    partnership.concern_record(
        keeper,
        partner=directory["clinic"],
        source=ConcernSource.CHILD,
        severity=ConcernSeverity.SERIOUS,
        description="A child said staff shouted at her.",
    )
    body = client_for(keeper).get("/partners/").content.decode()
    assert "partner-suspended" in body and "partner-unassessed" in body and "partner-emergency" in body


def test_the_picker_shows_suspended_and_unassessed_partners_but_not_as_choices(
    directory: dict[str, Partner], keeper: Staff, client_for: ClientFor
) -> None:
    fresh = add_partner(keeper, "New Hope Shelter", services=("shelter",), approved=False)
    partnership.concern_record(
        keeper,
        partner=directory["haven"],
        source=ConcernSource.STAFF,
        severity=ConcernSeverity.SERIOUS,
        description="Children were turned away at night.",
    )
    national = add_partner(keeper, "Shelter Cambodia", services=("shelter",), provinces=())
    choices = partner_choices(service="shelter", province="phnom_penh", age=12)
    assert [(c.partner.name, c.selectable) for c in choices] == [
        ("Shelter Cambodia", True),
        ("New Hope Shelter", False),
        ("Safe Haven Phnom Penh", False),
    ]
    reasons = {c.partner.name: c.reason for c in choices}
    assert "suspended" in reasons["Safe Haven Phnom Penh"] and "assessed" in reasons["New Hope Shelter"]

    counsellor = persona(Role.COUNSELLOR, username="c")
    case = child_case(counsellor, age=12, province="phnom_penh")
    response = client_for(counsellor).get(f"/cases/{case.pk}/refer/partners/", {"service": "shelter"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f'value="{national.pk}"' in body and f'value="{national.pk}" disabled' not in body
    assert f'value="{fresh.pk}" disabled' in body and f'value="{directory["haven"].pk}" disabled' in body
    assert "Referrals to this partner are suspended after a serious concern." in body


def test_a_partner_without_an_email_address_is_shown_but_not_offered_for_a_referral(
    keeper: Staff, client_for: ClientFor
) -> None:
    """Referrals go by email: a partner with no address is greyed out in the picker with the
    reason, not refused only when the referral is sent."""
    reachable = add_partner(keeper, "Shelter Cambodia")
    silent = add_partner(keeper, "Quiet Shelter", email="")
    assert partner_refusal(silent) == no_address(silent) != "" and partner_refusal(reachable) == ""
    counsellor = persona(Role.COUNSELLOR, username="c")
    case = child_case(counsellor, province="phnom_penh")
    body = client_for(counsellor).get(f"/cases/{case.pk}/refer/partners/", {"service": "shelter"}).content
    page = body.decode()
    assert f'value="{silent.pk}" disabled' in page and "no email address" in page
    assert f'value="{reachable.pk}" disabled' not in page
    assert list(partner_search(service="shelter", referrable_only=True)) == [reachable]
    choices = partner_choices(service="shelter")
    assert [(c.partner.name, c.selectable) for c in choices] == [
        ("Shelter Cambodia", True),
        ("Quiet Shelter", False),
    ]


@pytest.mark.parametrize("path", ["/partners/", "/partners/new/", "{detail}", "{edit}"])
def test_directory_pages_write_nothing(
    path: str, directory: dict[str, Partner], keeper: Staff, client_for: ClientFor
) -> None:
    pk = directory["haven"].pk
    url = path.format(detail=f"/partners/{pk}/", edit=f"/partners/{pk}/edit/")
    client = client_for(keeper)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    assert writes_in(captured.captured_queries) == []
