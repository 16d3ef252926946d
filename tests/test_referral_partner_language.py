"""What a referral shows its partner is frozen in the language the partner reads (its directory
setting, Khmer unless it says English), whatever language the counsellor's screen was in, and the
partner's page opens in that language."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.referrals import services
from helpline.referrals.links import link_issue
from helpline.referrals.models import LinkChannel, Partner, PartnerLanguage, ReferralToken
from tests.conftest import signed_in_client
from tests.factories import persona
from tests.referral_drafts import child_case, draft, indexed_partner, sent
from tests.test_partners_api import NEW, token
from tests.test_partners_pages import form

pytestmark = pytest.mark.django_db

HIGH_KM = "ហានិភ័យខ្ពស់"


def test_a_counsellor_working_in_english_sends_a_khmer_reading_partner_the_risk_in_khmer(
    counsellor: Staff,
) -> None:
    case = child_case(counsellor)  # risk high
    partner = indexed_partner()
    assert partner.language == PartnerLanguage.KHMER  # the default
    with translation.override("en"):
        ref = sent(counsellor, case, partner, fields=("age", "risk"))
    assert ref.shared["risk"] == HIGH_KM
    # The partner's page shows it so, in either of its languages.
    token = ReferralToken.objects.get(referral=ref)
    _token, value = link_issue(ref, channel=LinkChannel.EMAIL, sent_to=token.sent_to, actor=counsellor)
    page = Client().get(f"/partner/{value}/?lang=en")
    assert HIGH_KM in page.content.decode() and "High risk" not in page.content.decode()


def test_gender_and_province_reach_a_khmer_reading_partner_in_khmer_only(counsellor: Staff) -> None:
    case = child_case(counsellor)
    assert case.gender is not None and case.province is not None
    with translation.override("en"):
        ref = sent(counsellor, case, indexed_partner(), fields=("gender", "province"))
    assert ref.shared == {"gender": case.gender.label_km, "province": case.province.label_km}
    token = ReferralToken.objects.get(referral=ref)
    _token, value = link_issue(ref, channel=LinkChannel.EMAIL, sent_to=token.sent_to, actor=counsellor)
    page = Client().get(f"/partner/{value}/").content.decode()
    assert case.gender.label_km in page and case.gender.label_en not in page
    assert case.province.label_en not in page
    counsellor.language = "km"
    counsellor.save(update_fields=["language"])
    shown = signed_in_client(counsellor).get(f"/referrals/{ref.pk}/").content.decode()
    assert case.gender.label_km in shown and case.gender.label_en not in shown


def test_an_english_reading_partner_gets_english_from_a_counsellor_working_in_khmer(
    counsellor: Staff,
) -> None:
    case = child_case(counsellor)
    partner = indexed_partner()
    Partner.objects.filter(pk=partner.pk).update(language=PartnerLanguage.ENGLISH)
    with translation.override("km"):
        made = draft(counsellor, case, partner, fields=("risk",))
    assert made.shared == {"risk": "High risk"}


def test_an_edit_in_another_language_refreezes_in_the_partners_language(counsellor: Staff) -> None:
    case = child_case(counsellor)
    partner = indexed_partner()
    with translation.override("km"):
        made = draft(counsellor, case, partner, fields=("age",))
    with translation.override("en"):
        services.referral_edit(
            counsellor,
            made,
            partner=partner,
            service="shelter",
            urgency=made.urgency,
            request=made.request,
            shared_fields=["age", "risk"],
            consent=made.consent,
            consent_note=made.consent_note,
        )
    made.refresh_from_db()
    assert made.shared == {"age": "14", "risk": HIGH_KM}


def test_the_partners_page_opens_in_the_language_the_partner_reads(counsellor: Staff) -> None:
    case = child_case(counsellor)
    partner = indexed_partner()
    Partner.objects.filter(pk=partner.pk).update(language=PartnerLanguage.ENGLISH)
    ref = sent(counsellor, case, partner)
    _token, value = link_issue(ref, channel=LinkChannel.EMAIL, sent_to="p@example.org", actor=counsellor)
    english = Client().get(f"/partner/{value}/")
    assert english.status_code == 200 and english["Content-Language"] == "en"
    khmer = Client().get(f"/partner/{value}/?lang=km")  # its switch still works
    assert khmer["Content-Language"] == "km"


def test_the_directory_keeps_the_partners_language_by_form_and_by_api(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    keeper = persona(Role.CASE_MANAGER, username="keeper")
    client = client_for(keeper)
    assert client.post("/partners/new/", form(language="en")).status_code == 302
    added = Partner.objects.get()
    assert added.language == PartnerLanguage.ENGLISH
    assert client.post(f"/partners/{added.pk}/edit/", form(language="fr")).status_code == 400
    added.refresh_from_db()
    assert added.language == PartnerLanguage.ENGLISH
    assert client.post(f"/partners/{added.pk}/edit/", form(language="km")).status_code == 302
    assert AuditEvent.objects.get(action=AuditAction.PARTNER_UPDATE).changes == {"language": ["en", "km"]}

    auth = token("partners:read", "partners:write")
    made = Client().post("/api/v1/partners", NEW, content_type="application/json", **auth)
    assert made.status_code == 201 and made.json()["language"] == "km"
    url = f"/api/v1/partners/{made.json()['id']}"
    for bad in ("fr", None, 3):
        refused = Client().patch(url, {"language": bad}, content_type="application/json", **auth)
        assert refused.status_code in {400, 422}, bad
    changed = Client().patch(url, {"language": "en"}, content_type="application/json", **auth)
    assert changed.status_code == 200 and changed.json()["language"] == "en"
    assert Partner.objects.get(pk=made.json()["id"]).language == "en"
