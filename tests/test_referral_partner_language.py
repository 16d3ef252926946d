"""What a referral shows its partner is frozen as codes and named in the reader's language: the
partner's page in the language it is opened in (the one the partner reads, Khmer unless its
directory entry says English, or the other by its switch), the staff page in the staff member's,
whatever language the counsellor's screen was in when it was sent. Referrals sent before codes were
kept still read."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.utils import translation

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.referrals import services
from helpline.referrals.links import link_issue
from helpline.referrals.models import LinkChannel, Partner, PartnerLanguage, Referral
from tests.conftest import signed_in_client
from tests.factories import persona
from tests.referral_drafts import child_case, draft, indexed_partner, sent
from tests.test_partners_api import NEW, token
from tests.test_partners_pages import form

pytestmark = pytest.mark.django_db

HIGH_KM = "ហានិភ័យខ្ពស់"


def shared_view(response: HttpResponse) -> str:
    """The part of a page that shows what the partner is given (the staff page shows the case's
    own risk elsewhere)."""
    body = response.content.decode()
    start = body.index('<div class="shared-view">')
    return body[start : body.index("</div>", start)]


def partner_view(ref: Referral, counsellor: Staff, lang: str) -> str:
    _token, value = link_issue(ref, channel=LinkChannel.EMAIL, sent_to="p@example.org", actor=counsellor)
    page = Client().get(f"/partner/{value}/?lang={lang}")
    assert page.status_code == 200 and page["Content-Language"] == lang
    return shared_view(page)


def staff_view(ref: Referral, reader: Staff, lang: str) -> str:
    reader.language = lang
    reader.save(update_fields=["language"])
    page = signed_in_client(reader).get(f"/referrals/{ref.pk}/")
    assert page.status_code == 200
    return shared_view(page)


def test_sent_in_khmer_it_reads_in_english_on_the_partners_page_and_the_staff_page(
    counsellor: Staff,
) -> None:
    case = child_case(counsellor)  # a girl in Phnom Penh, risk high
    assert case.gender is not None and case.province is not None
    partner = indexed_partner()  # reads Khmer
    with translation.override("km"):
        ref = sent(counsellor, case, partner, fields=("age", "gender", "province", "risk"))
    # Frozen as codes, in no one's language.
    assert ref.shared == {"age": "14", "gender": "female", "province": "phnom_penh", "risk": "high"}
    for shown in (partner_view(ref, counsellor, "en"), staff_view(ref, counsellor, "en")):
        assert case.gender.label_en in shown and case.province.label_en in shown and "High risk" in shown
        assert case.gender.label_km not in shown and case.province.label_km not in shown
        assert HIGH_KM not in shown
    # Its own language still reads in Khmer.
    khmer = partner_view(ref, counsellor, "km")
    assert case.gender.label_km in khmer and case.province.label_km in khmer and HIGH_KM in khmer


def test_sent_in_english_it_reads_in_khmer_on_the_partners_page_and_the_staff_page(
    counsellor: Staff,
) -> None:
    case = child_case(counsellor)
    assert case.gender is not None and case.province is not None
    partner = indexed_partner()
    Partner.objects.filter(pk=partner.pk).update(language=PartnerLanguage.ENGLISH)
    with translation.override("en"):
        ref = sent(counsellor, case, partner, fields=("gender", "province", "risk"))
    for shown in (partner_view(ref, counsellor, "km"), staff_view(ref, counsellor, "km")):
        assert case.gender.label_km in shown and case.province.label_km in shown and HIGH_KM in shown
        assert case.gender.label_en not in shown and case.province.label_en not in shown
        assert "High risk" not in shown


def test_the_partners_page_shows_its_referral_and_no_other(counsellor: Staff) -> None:
    ours = sent(counsellor, child_case(counsellor), indexed_partner(), fields=("province",))
    other_case = child_case(counsellor, province="battambang", nickname="Sokha")
    sent(counsellor, other_case, indexed_partner("Other Shelter"), fields=("nickname", "province"))
    _token, value = link_issue(ours, channel=LinkChannel.EMAIL, sent_to="p@example.org", actor=counsellor)
    body = Client().get(f"/partner/{value}/?lang=en").content.decode()
    assert "Phnom Penh" in body
    assert "Battambang" not in body and "Sokha" not in body and "Dara" not in body


def test_an_edit_in_another_language_freezes_the_same_codes(counsellor: Staff) -> None:
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
    assert made.shared == {"age": "14", "risk": "high"}


def keep_as_sent(ref: Referral, shared: dict[str, str]) -> None:
    """What a referral sent before codes were kept holds."""
    Referral.objects.filter(pk=ref.pk).update(shared=shared)


def test_names_frozen_before_codes_were_kept_become_codes_and_the_rest_shows_as_stored(
    counsellor: Staff,
) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    khmer = sent(counsellor, case, shelter, fields=("gender", "province", "risk"))
    english = sent(counsellor, case, shelter, fields=("gender", "province", "risk"))
    both = sent(counsellor, case, shelter, fields=("gender", "province"))
    unknown = sent(counsellor, case, shelter, fields=("nickname", "gender", "province", "risk"))
    keep_as_sent(khmer, {"gender": "ស្រី", "province": "ភ្នំពេញ", "risk": HIGH_KM})
    keep_as_sent(english, {"gender": "Girl/female", "province": "Phnom Penh", "risk": "High risk"})
    keep_as_sent(both, {"gender": "ស្រី / Girl/female", "province": "ភ្នំពេញ / Phnom Penh"})
    old = {"nickname": "Dara", "gender": "Girl (old list)", "province": "Phnum Penh", "risk": "very high"}
    keep_as_sent(unknown, old)
    # Before the migration, a stored name still reads (as it was stored).
    assert "Girl (old list)" in staff_view(unknown, counsellor, "en")

    migration = importlib.import_module("helpline.referrals.migrations.0005_referral_shared_codes")
    migration.names_to_codes(apps, SimpleNamespace(connection=connection))

    codes = {"gender": "female", "province": "phnom_penh", "risk": "high"}
    for ref in (khmer, english):
        ref.refresh_from_db()
        assert ref.shared == codes
        shown = staff_view(ref, counsellor, "en")
        assert "Girl/female" in shown and "Phnom Penh" in shown and "High risk" in shown
        assert "ស្រី" not in shown and HIGH_KM not in shown
    both.refresh_from_db()
    assert both.shared == {"gender": "female", "province": "phnom_penh"}
    unknown.refresh_from_db()
    assert unknown.shared == old  # nothing it could name: left as it was
    for lang in ("en", "km"):
        shown = staff_view(unknown, counsellor, lang)
        assert all(value in shown for value in old.values()), lang
        assert "Dara" in partner_view(unknown, counsellor, lang)


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
