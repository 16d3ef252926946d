"""A case's timeline reads in the reader's language, whoever wrote it in whichever: an entry keeps
codes (a line, a referral's number, a partner, a status, a role) and its sentence is made when the
page is read. Words a person typed stay as typed; entries written before codes still read."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from helpline.accounts.models import Staff
from helpline.cases import services
from helpline.cases.erasure import cases_erase
from helpline.cases.models import Case, CaseEvent, EventKind
from tests.case_factories import open_case
from tests.referral_factories import partner
from tests.test_referral_portal import act, make_link, partner_client

pytestmark = pytest.mark.django_db

ACCEPTED_KM = "បានទទួលយក"
HOUSEHOLD_KM = "សមាជិកក្នុងគ្រួសារ"


def timeline(client_for: Callable[[Staff], Client], reader: Staff, lang: str, case: Case) -> str:
    reader.language = lang
    reader.save(update_fields=["language"])
    page = client_for(reader).get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert page.status_code == 200 and page["Content-Language"] == lang
    body = page.content.decode()
    return body[body.index('<ol class="timeline">') :]


def test_a_partners_answer_on_the_english_portal_reads_in_khmer_and_in_english(
    counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ref, _token, value = make_link(counsellor)
    assert act(partner_client(), value, "accepted", lang="en").status_code == 302
    english = f"{ref.number} to {ref.partner.name}: Accepted"

    khmer_page = timeline(client_for, supervisor, "km", ref.case)
    assert f"{ref.partner.name}" in khmer_page and ACCEPTED_KM in khmer_page
    assert english not in khmer_page and "Accepted" not in khmer_page
    with translation.override("km"):
        assert CaseEvent.objects.get(case=ref.case, kind=EventKind.REFERRAL).line in khmer_page

    english_page = timeline(client_for, counsellor, "en", ref.case)
    assert english in english_page and ACCEPTED_KM not in english_page


def test_the_partner_is_named_in_the_readers_language_as_on_the_referral_page(
    counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    # The Khmer timeline named the partner by its English name, where the referral page used its Khmer one.
    khmer_name, english_name = "មជ្ឈមណ្ឌលសុវត្ថិភាព zq7", "Safe Haven zq7"
    ref, _token, value = make_link(counsellor, to=partner(english_name, name_km=khmer_name))
    assert act(partner_client(), value, "accepted", note="zq7 we will call her", lang="en").status_code == 302

    khmer_page = timeline(client_for, supervisor, "km", ref.case)
    assert f"{ref.number} ទៅ {khmer_name}៖" in khmer_page and english_name not in khmer_page
    detail = reverse("referrals:referral_detail", kwargs={"referral_id": ref.pk})
    assert khmer_name in client_for(supervisor).get(detail).content.decode()

    english_page = timeline(client_for, counsellor, "en", ref.case)
    assert f"{ref.number} to {english_name}: Accepted" in english_page and khmer_name not in english_page


def test_a_partner_without_a_khmer_name_keeps_its_name_in_khmer(
    counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ref, _token, value = make_link(counsellor, to=partner("Safe Haven zq8"))
    assert act(partner_client(), value, "accepted", lang="en").status_code == 302
    assert "Safe Haven zq8" in timeline(client_for, supervisor, "km", ref.case)


def test_entries_written_before_the_khmer_name_was_kept_are_given_it_by_the_migration(
    counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    khmer_name, english_name = "មជ្ឈមណ្ឌលសុវត្ថិភាព zq9", "Safe Haven zq9"
    ref, _token, value = make_link(counsellor, to=partner(english_name, name_km=khmer_name))
    assert act(partner_client(), value, "accepted", lang="en").status_code == 302
    step = CaseEvent.objects.get(case=ref.case, kind=EventKind.REFERRAL)
    before = {k: v for k, v in step.detail.items() if k != "partner_km"}  # as written before
    CaseEvent.objects.filter(pk=step.pk).update(detail=before)
    assert english_name in timeline(client_for, supervisor, "km", ref.case)

    backfill = importlib.import_module("helpline.referrals.migrations.0006_timeline_partner_khmer_names")
    backfill.add_khmer_names(apps, None)
    backfill.add_khmer_names(apps, None)  # run twice: the same result
    khmer_page = timeline(client_for, supervisor, "km", ref.case)
    assert f"{ref.number} ទៅ {khmer_name}៖" in khmer_page and english_name not in khmer_page
    assert f"{ref.number} to {english_name}: Accepted" in timeline(client_for, counsellor, "en", ref.case)


def test_a_khmer_counsellors_entry_reads_in_english(
    counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    case = open_case(counsellor)
    with translation.override("km"):
        services.case_add_person(counsellor, case=case, role="household", name="Srey Mom")
        services.case_update_profile(
            counsellor, case=case, nickname=case.nickname, age=None, gender=None, province=None, risk="high"
        )

    english = timeline(client_for, supervisor, "en", case)
    assert "Household member" in english and "Risk: Low risk → High risk" in english
    assert HOUSEHOLD_KM not in english
    khmer = timeline(client_for, counsellor, "km", case)
    assert HOUSEHOLD_KM in khmer and "Household member" not in khmer and "Risk:" not in khmer


def test_an_entry_written_before_codes_shows_its_stored_text(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    case = open_case(counsellor)
    services.record_event(case, None, EventKind.REFERRAL, summary="zq7 R-2025-00001 to Old Partner: Sent")
    services.record_event(case, counsellor, EventKind.PERSON_ADDED, summary=HOUSEHOLD_KM)
    for lang in ("en", "km"):
        page = timeline(client_for, counsellor, lang, case)
        assert "zq7 R-2025-00001 to Old Partner: Sent" in page and HOUSEHOLD_KM in page


def test_erasure_blanks_the_partners_words_and_keeps_the_step(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ref, _token, value = make_link(counsellor)
    assert (
        act(partner_client(), value, "note", note="zq8 Srey Mom is with her aunt", lang="en").status_code
        == 302
    )
    step = CaseEvent.objects.get(case=ref.case, kind=EventKind.REFERRAL)
    assert "zq8 Srey Mom is with her aunt" in step.line
    assert "zq8" not in str(step.detail)  # the partner's words live only in the erasable summary

    assert cases_erase("retention", case_ids=[ref.case.pk]) == 1
    step.refresh_from_db()
    with translation.override("en"):  # a request through the test client leaves its language active
        assert step.summary == "" and step.line == f"{ref.number}: note from {ref.partner.name}"
    assert "zq8" not in timeline(client_for, counsellor, "en", ref.case)


def test_stored_sentences_in_either_language_become_codes_and_unknown_ones_stay(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    case = open_case(counsellor)
    number, partner = "R-2025-00042", "Child Protection Network Cambodia"
    with translation.override("km"):  # as a Khmer screen stored them
        khmer_step = _("%(number)s to %(partner)s: %(status)s") % {
            "number": number,
            "partner": partner,
            "status": _("Accepted"),
        }
        khmer_role = _("Household member")
    old = {
        "accepted": (EventKind.REFERRAL, khmer_step, {"referral": number, "status": "accepted"}),
        "suspended": (
            EventKind.REFERRAL,
            f"{number} to {partner}: partner suspended: its link is held",
            {"referral": number, "status": "sent"},
        ),
        "note": (
            EventKind.REFERRAL,
            f"{number}: note from {partner}: zq6 she is safe",
            {"referral": number, "status": "accepted"},
        ),
        "role": (EventKind.PERSON_ADDED, khmer_role, {}),
        "risk": (EventKind.PROFILE_CHANGED, "Risk: Low risk → High risk", {"fields": "risk"}),
        "goal": (EventKind.GOAL_CHANGED, "zq5 back to school · Planned → Achieved", {}),
        "typed": (EventKind.REFERRAL, "zq4 something else entirely", {"referral": number}),
    }
    made = {
        name: services.record_event(case, counsellor, kind, summary=text, **detail)
        for name, (kind, text, detail) in old.items()
    }
    migration = importlib.import_module("helpline.cases.migrations.0006_timeline_lines_from_stored_text")
    migration.sentences_to_codes(apps, SimpleNamespace(connection=connection))

    rows = {name: CaseEvent.objects.get(pk=event.pk) for name, event in made.items()}
    assert rows["accepted"].summary == "" and rows["accepted"].detail["partner"] == partner
    assert rows["note"].summary == "zq6 she is safe"
    assert rows["typed"].summary == "zq4 something else entirely" and "line" not in rows["typed"].detail
    english = {name: row.line for name, row in rows.items()}
    assert english == {
        "accepted": f"{number} to {partner}: Accepted",
        "suspended": f"{number} to {partner}: partner suspended: its link is held",
        "note": f"{number}: note from {partner}: zq6 she is safe",
        "role": "Household member",
        "risk": "Risk: Low risk → High risk",
        "goal": "zq5 back to school · Planned → Achieved",
        "typed": "zq4 something else entirely",
    }
    with translation.override("km"):
        assert rows["accepted"].line == khmer_step and rows["role"].line == khmer_role
        assert "Household member" not in rows["role"].line
        assert rows["risk"].line != english["risk"] and rows["goal"].line.startswith("zq5 back to school · ")
