"""Referring from the case page: the case's referrals listed on it, a partner picked from the
directory (suspended and unassessed partners shown greyed out with the reason), what the partner will
see previewed before anything is sent, then sent, answered, closed. Another counsellor's case or
referral is a 404; a refused form comes back with the reason and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.referrals.models import (
    Assessment,
    Partner,
    PartnerSuspension,
    Referral,
    ReferralSettings,
    ReferralStatus,
    ReferralToken,
)
from tests.factories import persona
from tests.referral_drafts import break_of, child_case, counts, draft, indexed_partner, sent

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]


def refer_form(to: Partner, **overrides: Any) -> dict[str, Any]:
    return {
        "service": "shelter",
        "province": "phnom_penh",
        "age": "14",
        "q": "",
        "partner": str(to.pk),
        "urgency": "routine",
        "request": "A safe place to stay from tonight",
        "shared_fields": ["age", "province"],
        "consent": "given",
        "consent_note": "She agreed on the phone",
        "confidentiality_break": "",
    } | overrides


def test_the_case_page_lists_its_referrals_and_offers_to_refer(
    make_persona: Callable[..., Staff], client_for: ClientFor
) -> None:
    counsellor = make_persona(Role.COUNSELLOR, username="km-counsellor", language="km")
    case = child_case(counsellor)
    ref = sent(counsellor, case, indexed_partner())
    page = client_for(counsellor).get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="referrals"' in html and ref.number in html and f"/referrals/{ref.pk}/" in html
    assert "ការបញ្ជូនបន្ត" in html and "បញ្ជូនទៅដៃគូ" in html  # Khmer first: "Referrals", "Refer to a partner"
    assert f"/cases/{case.pk}/refer/" in html
    # The referral's steps are on the case timeline.
    assert f"{ref.number}" in html.split('id="timeline"')[1]


def test_the_picker_shows_partners_for_the_service_greying_out_those_that_cannot_receive(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = child_case(counsellor, province="siem_reap")
    here = indexed_partner("Siem Reap Shelter", provinces=("siem_reap",))
    national = indexed_partner("Everywhere Shelter", provinces=())
    elsewhere = indexed_partner("Kampot Shelter", provinces=("kampot",))
    unassessed = indexed_partner("New Shelter", provinces=("siem_reap",), assessment=Assessment.NOT_ASSESSED)
    suspended = indexed_partner("Hit Shelter", provinces=("siem_reap",))
    suspension = PartnerSuspension.objects.create(
        partner=suspended, reason="serious concern", started_at=timezone.now(), started_by=supervisor
    )
    Partner.objects.filter(pk=suspended.pk).update(suspension=suspension)
    client = client_for(counsellor)
    page = client.get(f"/cases/{case.pk}/refer/?service=shelter")
    assert page.status_code == 200
    html = page.content.decode()
    # The child's province is the default filter.
    for shown in (here, national, unassessed, suspended):
        assert shown.name in html
    assert elsewhere.name not in html
    assert "suspended after a serious concern" in html and "not been assessed" in html
    assert html.count(" disabled ") + html.count(" disabled>") >= 2
    # Those that can be chosen come first, whatever their names.
    assert html.index(here.name) < html.index(suspended.name) and html.index(here.name) < html.index(
        unassessed.name
    )
    partial = client.get(f"/cases/{case.pk}/refer/partners/?service=shelter&province=kampot")
    assert partial.status_code == 200 and b"Kampot Shelter" in partial.content
    assert b"Siem Reap Shelter" not in partial.content
    assert client.get(f"/cases/{case.pk}/refer/partners/").content.count(b'type="radio"') == 0


def test_a_referral_is_drafted_previewed_exactly_as_the_partner_will_see_it_then_sent(
    counsellor: Staff, client_for: ClientFor, mailoutbox: list[Any]
) -> None:
    case = child_case(counsellor, age=14, nickname="Sokha")
    shelter = indexed_partner()
    client = client_for(counsellor)
    response = client.post(f"/cases/{case.pk}/refer/", refer_form(shelter, shared_fields=["age"]))
    ref = Referral.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/referrals/{ref.pk}/#preview"
    assert ref.status == ReferralStatus.DRAFT and not ReferralToken.objects.exists()
    preview = client.get(f"/referrals/{ref.pk}/").content.decode()
    shared = preview.split('class="shared-view"')[1].split("</div>")[0]
    assert "14" in shared and "A safe place to stay from tonight" in shared
    assert "Sokha" not in shared and case.province.label_en not in shared  # only what was ticked
    assert "Nothing has been sent yet" in preview
    assert AuditEvent.objects.filter(action=AuditAction.REFERRAL_VIEW, record_id=str(ref.pk)).exists()

    response = client.post(f"/referrals/{ref.pk}/send/")
    assert response.status_code == 302
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.SENT and ref.shared == {"age": "14"}
    assert ReferralToken.objects.filter(referral=ref).count() == 1
    page = client.get(f"/referrals/{ref.pk}/").content.decode()
    assert "What the partner sees" in page and ref.number in page
    # Sending twice is refused (409) and queues no second link.
    assert client.post(f"/referrals/{ref.pk}/send/").status_code == 409
    assert ReferralToken.objects.filter(referral=ref).count() == 1


def test_a_draft_is_changed_from_its_own_page(counsellor: Staff, client_for: ClientFor) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    ref = draft(counsellor, case, shelter)
    client = client_for(counsellor)
    form = client.get(f"/referrals/{ref.pk}/edit/")
    assert form.status_code == 200 and ref.request.encode() in form.content
    response = client.post(f"/referrals/{ref.pk}/edit/", refer_form(shelter, urgency="urgent"))
    assert response.status_code == 302
    ref.refresh_from_db()
    assert ref.urgency == "urgent"


def test_no_consent_and_no_break_is_refused_keeping_what_was_typed(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    before = counts()
    response = client_for(counsellor).post(
        f"/cases/{case.pk}/refer/", refer_form(shelter, consent="not_given", request="Collect her at 6 pm")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "confidentiality break" in html and "Collect her at 6 pm" in html
    assert counts() == before
    brk = break_of(case, counsellor)
    response = client_for(counsellor).post(
        f"/cases/{case.pk}/refer/",
        refer_form(shelter, consent="not_given", confidentiality_break=str(brk.pk)),
    )
    assert response.status_code == 302
    assert Referral.objects.get().confidentiality_break == brk


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"shared_fields": ["age", "phone_number"]}, "phone_number"),
        ({"partner": ""}, "Choose a partner"),
        ({"partner": "not-a-uuid"}, "UUID"),
        ({"service": "teleportation"}, "Select a valid choice"),
        ({"request": ""}, "required"),
        ({"confidentiality_break": "00000000-0000-0000-0000-000000000000"}, "Select a valid choice"),
    ],
)
def test_bad_forms_are_refused_with_a_4xx_and_change_nothing(
    counsellor: Staff, client_for: ClientFor, overrides: dict[str, Any], words: str
) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    before = counts()
    response = client_for(counsellor).post(f"/cases/{case.pk}/refer/", refer_form(shelter, **overrides))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert counts() == before


def test_a_suspended_partner_is_refused_with_the_reason(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    suspension = PartnerSuspension.objects.create(
        partner=shelter, reason="serious concern", started_at=timezone.now(), started_by=supervisor
    )
    Partner.objects.filter(pk=shelter.pk).update(suspension=suspension)
    before = counts()
    response = client_for(counsellor).post(f"/cases/{case.pk}/refer/", refer_form(shelter))
    assert response.status_code == 400 and b"suspended" in response.content
    assert counts() == before


def test_another_counsellors_case_and_referral_are_404_and_nothing_changes(
    counsellor: Staff, client_for: ClientFor
) -> None:
    other = persona(Role.COUNSELLOR, username="other")
    case = child_case(other)
    shelter = indexed_partner()
    ref = draft(other, case, shelter)
    client = client_for(counsellor)
    before = counts()
    for url in (f"/cases/{case.pk}/refer/", f"/cases/{case.pk}/refer/partners/", f"/referrals/{ref.pk}/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/cases/{case.pk}/refer/", refer_form(shelter)).status_code == 404
    for action, data in (
        ("send", {}),
        ("close", {"reason": "x"}),
        ("answer", {"to": "accepted", "note": "x"}),
        ("notes", {"text": "x"}),
        ("edit", refer_form(shelter)),
    ):
        assert client.post(f"/referrals/{ref.pk}/{action}/", data).status_code == 404
    assert counts() == before
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.DRAFT


def test_a_partners_answer_by_phone_a_note_and_a_close(counsellor: Staff, client_for: ClientFor) -> None:
    ref = sent(counsellor, child_case(counsellor), indexed_partner())
    client = client_for(counsellor)
    before = counts()
    assert client.post(f"/referrals/{ref.pk}/answer/", {"to": "delivered", "note": "jump"}).status_code == 409
    assert client.post(f"/referrals/{ref.pk}/answer/", {"to": "accepted", "note": ""}).status_code == 400
    assert client.post(f"/referrals/{ref.pk}/close/", {"reason": ""}).status_code == 400
    assert counts() == before
    assert (
        client.post(f"/referrals/{ref.pk}/answer/", {"to": "accepted", "note": "They phoned"}).status_code
        == 302
    )
    assert client.post(f"/referrals/{ref.pk}/notes/", {"text": "Bed from Monday"}).status_code == 302
    assert client.post(f"/referrals/{ref.pk}/close/", {"reason": "Family moved"}).status_code == 302
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.CLOSED and ref.accepted_at is not None
    page = client.get(f"/referrals/{ref.pk}/").content.decode()
    assert "Bed from Monday" in page and "Family moved" in page


def test_viewing_a_referral_writes_only_its_read_audit(counsellor: Staff, client_for: ClientFor) -> None:
    ref = sent(counsellor, child_case(counsellor), indexed_partner())
    before = counts()
    client = client_for(counsellor)
    for url in (f"/referrals/{ref.pk}/", f"/referrals/{ref.pk}/edit/", f"/cases/{ref.case_id}/refer/"):
        assert client.get(url).status_code == 200
    assert counts() == before


def test_the_settings_page_is_for_supervisors_and_saves_through_the_service(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    assert client_for(counsellor).get("/referrals/settings/").status_code == 403
    client = client_for(supervisor)
    assert client.get("/referrals/settings/").status_code == 200
    assert not ReferralSettings.objects.exists()  # a GET writes nothing
    values = {
        "acknowledge_working_days": "3",
        "acknowledge_urgent_hours": "4",
        "link_valid_days": "30",
        "expire_after_days": "14",
        "follow_up_after_delivery_days": "3",
    }
    assert client.post("/referrals/settings/", values | {"acknowledge_working_days": "0"}).status_code == 400
    assert not ReferralSettings.objects.exists()
    assert client.post("/referrals/settings/", values).status_code == 302
    assert ReferralSettings.objects.get(pk=1).acknowledge_working_days == 3
    audit = AuditEvent.objects.get(action=AuditAction.REFERRAL_SETTINGS)
    assert audit.actor == supervisor and audit.changes == {"acknowledge_working_days": [2, 3]}


def test_the_picker_is_widened_to_any_province_and_any_age_past_the_cases_own(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = child_case(counsellor, age=14, province="siem_reap")
    here = indexed_partner("Siem Reap Shelter", provinces=("siem_reap",))
    elsewhere = indexed_partner("Kampot Shelter", provinces=("kampot",))
    older = indexed_partner("Young Adults Shelter", provinces=("siem_reap",), min_age=18, max_age=25)
    client = client_for(counsellor)
    url = f"/cases/{case.pk}/refer/partners/"
    narrow = client.get(url, {"service": "shelter", "province": "", "age": ""}).content.decode()
    assert here.name in narrow and elsewhere.name not in narrow and older.name not in narrow
    wide = client.get(url, {"service": "shelter", "province": "any", "any_age": "on"}).content.decode()
    assert here.name in wide and elsewhere.name in wide and older.name in wide
    # The widened filters travel with the choice, so a refused form keeps the same list.
    assert 'name="province" value="any"' in wide and 'name="any_age" value="on"' in wide
    page = client.get(f"/cases/{case.pk}/refer/", {"service": "shelter", "province": "any"}).content.decode()
    assert elsewhere.name in page and older.name not in page  # any province, the child's age


@pytest.mark.parametrize(
    ("action", "body"),
    [("close", {"reason": ""}), ("answer", {"to": "", "note": ""}), ("notes", {"text": ""})],
)
def test_a_refused_change_shows_the_referral_again_and_its_read_is_audited(
    action: str, body: dict[str, str], counsellor: Staff, client_for: ClientFor
) -> None:
    ref = sent(counsellor, child_case(counsellor), indexed_partner())
    reads = AuditEvent.objects.filter(action=AuditAction.REFERRAL_VIEW, record_id=str(ref.pk))
    before = reads.count()
    response = client_for(counsellor).post(f"/referrals/{ref.pk}/{action}/", body)
    assert response.status_code == 400 and ref.number in response.content.decode()
    assert reads.count() == before + 1
    assert reads.latest("seq").actor_id == counsellor.pk


def test_an_acknowledgement_deadline_at_midnight_reads_as_the_end_of_the_day_before(
    counsellor: Staff, client_for: ClientFor
) -> None:
    case = child_case(counsellor)
    ref = sent(counsellor, case, indexed_partner())
    midnight = timezone.make_aware(dt.datetime(2026, 12, 8, 0, 0))
    Referral.objects.filter(pk=ref.pk).update(acknowledge_by=midnight)
    client = client_for(counsellor)
    for url in (f"/referrals/{ref.pk}/", f"/cases/{case.pk}/"):
        html = client.get(url).content.decode()
        assert ">by the end of 7 December 2026</time>" in html, url  # not "8 December, 00:00"
    afternoon = timezone.make_aware(dt.datetime(2026, 12, 8, 14, 30))
    Referral.objects.filter(pk=ref.pk).update(acknowledge_by=afternoon)
    assert "8 December 2026, 14:30" in client.get(f"/referrals/{ref.pk}/").content.decode()
