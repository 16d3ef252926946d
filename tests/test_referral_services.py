"""Referring a case: a draft the counsellor sees as the partner will, sent with the shared fields
frozen, a deadline for acknowledgement and the partner's link queued; closed with a reason. Every
step on the case timeline and in the audit trail; every refusal clear, changing nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.cases import services as case_services
from helpline.cases import supervision
from helpline.cases.models import CaseEvent, EventKind
from helpline.referrals import services
from helpline.referrals.lifecycle import ReferralConflict, ReferralError
from helpline.referrals.models import (
    Assessment,
    Consent,
    Partner,
    PartnerSuspension,
    Referral,
    ReferralEvent,
    ReferralEventKind,
    ReferralStatus,
    ReferralToken,
)
from helpline.referrals.selectors_referrals import shown_to_partner
from tests.factories import persona
from tests.referral_drafts import break_of, child_case, counts, draft, indexed_partner, sent

pytestmark = pytest.mark.django_db


def test_a_draft_is_numbered_on_the_timeline_and_audited_naming_no_values(counsellor: Staff) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    first = draft(counsellor, case, shelter)
    second = draft(counsellor, case, shelter)
    year = timezone.localdate().year
    assert re.fullmatch(rf"R-{year}-\d{{5}}", first.number)
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1
    assert first.status == ReferralStatus.DRAFT and first.sent_at is None
    assert first.shared == {"age": "14", "province": "phnom_penh"}  # codes: each reader names them
    assert first.shared_fields == ["age", "province"]
    [entry, _second] = CaseEvent.objects.filter(case=case, kind=EventKind.REFERRAL).order_by("at")
    assert first.number in entry.line and entry.detail["status"] == "draft"
    audit = AuditEvent.objects.get(action=AuditAction.REFERRAL_CREATE, record_id=str(first.pk))
    assert audit.actor == counsellor and "safe place" not in str(audit.detail)
    assert ReferralEvent.objects.filter(referral=first, kind=ReferralEventKind.CREATED).count() == 1


def test_sending_freezes_what_is_shared_sets_the_deadline_and_queues_the_link(counsellor: Staff) -> None:
    case = child_case(counsellor, age=14)
    ref = sent(counsellor, case, indexed_partner(), fields=("age", "gender"))
    assert ref.status == ReferralStatus.SENT and ref.sent_by == counsellor and ref.sent_at
    assert ref.shared == {"age": "14", "gender": "female"}
    assert ref.acknowledge_by is not None and ref.acknowledge_by > ref.sent_at
    [token] = ReferralToken.objects.filter(referral=ref)
    assert token.sent_to == ref.partner.email
    statuses = [
        e.detail["status"] for e in CaseEvent.objects.filter(case=case, kind="referral").order_by("at")
    ]
    assert statuses == ["draft", "sent"]
    # A later change to the case never reaches the partner.
    case_services.case_update_profile(
        counsellor,
        case=case,
        nickname="Dara",
        age=15,
        gender=case.gender,
        province=case.province,
        risk="high",
    )
    ref.refresh_from_db()
    assert ref.shared["age"] == "14"


def test_what_is_sent_is_what_the_counsellor_previewed_even_if_the_case_changed_since(
    counsellor: Staff,
) -> None:
    case = child_case(counsellor, age=14)
    shelter = indexed_partner()
    ref = draft(counsellor, case, shelter, fields=("age",))
    other = draft(counsellor, case, shelter, fields=("age",))
    assert shown_to_partner(ref) == [("Age", "14")]  # the preview
    # Someone corrects the age on the case after the counsellor looked at the preview.
    case_services.case_update_profile(
        counsellor,
        case=case,
        nickname="Dara",
        age=17,
        gender=case.gender,
        province=case.province,
        risk="high",
    )
    ref.refresh_from_db()
    assert shown_to_partner(ref) == [("Age", "14")]  # still what was looked at
    assert services.referral_send(counsellor, ref).shared == {"age": "14"}

    # Saving a draft again shows (and then sends) the case as it stands.
    changed = services.referral_edit(
        counsellor,
        other,
        partner=shelter,
        service="shelter",
        urgency="routine",
        request=other.request,
        shared_fields=["age"],
        consent=Consent.GIVEN,
        consent_note=other.consent_note,
    )
    assert changed == ["shared"]
    other.refresh_from_db()
    assert shown_to_partner(other) == [("Age", "17")]
    assert services.referral_send(counsellor, other).shared == {"age": "17"}


def test_a_draft_is_edited_until_sent_then_never(counsellor: Staff) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    ref = draft(counsellor, case, shelter)
    same = {
        "partner": shelter,
        "service": "shelter",
        "urgency": "routine",
        "request": ref.request,
        "shared_fields": ["province", "age"],
        "consent": Consent.GIVEN,
        "consent_note": ref.consent_note,
    }
    assert services.referral_edit(counsellor, ref, **same) == []  # nothing changed, nothing written
    assert services.referral_edit(
        counsellor, ref, **{**same, "urgency": "urgent", "shared_fields": ["age"]}
    ) == [
        "urgency",
        "shared_fields",
        "shared",
    ]
    audit = AuditEvent.objects.get(action=AuditAction.REFERRAL_UPDATE)
    assert audit.detail["fields"] == ["shared", "shared_fields", "urgency"]
    services.referral_send(counsellor, ref)
    before = counts()
    with pytest.raises(ReferralConflict):
        services.referral_edit(counsellor, ref, **same)
    assert counts() == before


def test_without_consent_the_break_of_the_same_case_is_required(counsellor: Staff) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    before = counts()
    with pytest.raises(ReferralError, match="confidentiality break") as refused:
        draft(counsellor, case, shelter, consent=Consent.NOT_GIVEN)
    assert refused.value.field == "confidentiality_break"
    other = child_case(counsellor, nickname="Sokha")
    foreign = break_of(other, counsellor)
    before = counts()
    with pytest.raises(ReferralError, match="another case"):
        draft(counsellor, case, shelter, consent=Consent.NOT_GIVEN, brk=foreign)
    assert counts() == before
    ref = draft(counsellor, case, shelter, consent=Consent.NOT_GIVEN, brk=break_of(case, counsellor))
    assert ref.confidentiality_break is not None and ref.confidentiality_break.case_id == case.pk


def _suspend(partner: Partner, by: Staff) -> None:
    suspension = PartnerSuspension.objects.create(
        partner=partner, reason="A child reported being hit there", started_at=timezone.now(), started_by=by
    )
    Partner.objects.filter(pk=partner.pk).update(suspension=suspension)


def test_a_suspended_unassessed_or_departed_partner_is_refused_with_the_reason(
    counsellor: Staff, supervisor: Staff
) -> None:
    case = child_case(counsellor)
    suspended = indexed_partner("Suspended Shelter")
    _suspend(suspended, supervisor)
    unassessed = indexed_partner("New Shelter", assessment=Assessment.NOT_ASSESSED)
    departed = indexed_partner("Old Shelter")
    Partner.objects.filter(pk=departed.pk).update(is_active=False)
    before = counts()
    for partner, words in (
        (suspended, "suspended"),
        (unassessed, "not been assessed"),
        (departed, "no longer"),
    ):
        with pytest.raises(ReferralError, match=words) as refused:
            draft(counsellor, case, partner)
        assert refused.value.field == "partner"
    with pytest.raises(ReferralError, match="does not give this service"):
        draft(counsellor, case, indexed_partner("Lawyers"), service="legal_advice")
    assert counts() == before


def test_a_partner_suspended_after_the_draft_is_refused_at_sending(
    counsellor: Staff, supervisor: Staff
) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    ref = draft(counsellor, case, shelter)
    _suspend(shelter, supervisor)
    before = counts()
    with pytest.raises(ReferralError, match="suspended"):
        services.referral_send(counsellor, ref)
    assert counts() == before
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.DRAFT and ref.sent_at is None and ref.acknowledge_by is None


def test_a_partner_without_an_email_address_cannot_be_sent_and_nothing_is_kept(counsellor: Staff) -> None:
    case = child_case(counsellor)
    before = counts()
    with pytest.raises(ReferralError, match="email"):  # refused as it is drafted, not only at Send
        draft(counsellor, case, indexed_partner("Quiet Shelter", email=""))
    assert counts() == before
    partner = indexed_partner()
    ref = draft(counsellor, case, partner)
    Partner.objects.filter(pk=partner.pk).update(email="")  # its address removed since
    before = counts()
    with pytest.raises(ReferralError, match="email"):
        services.referral_send(counsellor, ref)
    assert counts() == before
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.DRAFT and ref.sent_at is None


def test_a_shared_field_that_does_not_exist_is_refused(counsellor: Staff) -> None:
    case = child_case(counsellor)
    before = counts()
    with pytest.raises(ReferralError, match="phone_number") as refused:
        draft(counsellor, case, indexed_partner(), fields=("age", "phone_number"))
    assert refused.value.field == "shared_fields" and counts() == before


def test_other_bad_drafts_are_refused_and_change_nothing(counsellor: Staff) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    before = counts()
    for kwargs, field in (
        ({"service": "teleportation"}, "service"),
        ({"urgency": "yesterday"}, "urgency"),
        ({"consent": "maybe"}, "consent"),
        ({"request": "   "}, "request"),
        ({"request": "x" * 4001}, "request"),
    ):
        with pytest.raises(ReferralError) as refused:
            draft(counsellor, case, shelter, **kwargs)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert counts() == before


def test_a_case_the_counsellor_may_not_see_or_that_is_closing_takes_no_referral(counsellor: Staff) -> None:
    other = persona(Role.COUNSELLOR, username="other")
    theirs = child_case(other)
    shelter = indexed_partner()
    before = counts()
    with pytest.raises(ReferralError, match="not one you may see"):
        draft(counsellor, theirs, shelter)
    mine = child_case(counsellor)
    supervision.closure_request(counsellor, case=mine, reason="Goals met")
    mine.refresh_from_db()
    with pytest.raises(ReferralConflict, match="closed case"):
        draft(counsellor, mine, shelter)
    assert counts() == before


def test_a_jump_is_refused_through_the_staff_service(counsellor: Staff) -> None:
    case = child_case(counsellor)
    ref = sent(counsellor, case, indexed_partner())
    before = counts()
    with pytest.raises(ReferralConflict):
        services.referral_move_by_staff(counsellor, ref, ReferralStatus.DELIVERED, "by phone")
    with pytest.raises(ReferralConflict, match="scheduler"):
        services.referral_move_by_staff(counsellor, ref, ReferralStatus.EXPIRED)
    with pytest.raises(ReferralConflict):
        services.referral_move_by_staff(counsellor, ref, ReferralStatus.SENT)
    assert counts() == before
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.SENT and ref.delivered_at is None


def test_an_answer_by_phone_and_a_close_each_need_words_and_land_on_the_timeline(counsellor: Staff) -> None:
    case = child_case(counsellor)
    ref = sent(counsellor, case, indexed_partner())
    before = counts()
    with pytest.raises(ReferralError):
        services.referral_record_answer(counsellor, ref, ReferralStatus.ACCEPTED, "  ")
    with pytest.raises(ReferralError):
        services.referral_close(counsellor, ref, "")
    assert counts() == before
    services.referral_record_answer(counsellor, ref, ReferralStatus.ACCEPTED, "Their social worker phoned")
    services.referral_close(counsellor, ref, "The family moved to Battambang")
    ref.refresh_from_db()
    assert ref.status == ReferralStatus.CLOSED and ref.close_reason == "The family moved to Battambang"
    assert [
        e.detail["status"] for e in CaseEvent.objects.filter(case=case, kind="referral").order_by("at")
    ] == [
        "draft",
        "sent",
        "accepted",
        "closed",
    ]


def test_a_staff_note_is_kept_with_the_referral_and_audited(counsellor: Staff) -> None:
    case = child_case(counsellor)
    ref = sent(counsellor, case, indexed_partner())
    services.referral_note(counsellor, ref, "Phoned the shelter: they will call back tomorrow")
    note = ReferralEvent.objects.get(referral=ref, kind=ReferralEventKind.NOTE)
    assert note.actor == counsellor and "call back" in note.note
    assert AuditEvent.objects.filter(action=AuditAction.REFERRAL_NOTE, record_id=str(ref.pk)).exists()
    with pytest.raises(ReferralError):
        services.referral_note(counsellor, ref, "")


def test_referral_numbers_run_on_per_year(counsellor: Staff) -> None:
    case = child_case(counsellor)
    shelter = indexed_partner()
    made = [draft(counsellor, case, shelter).number for _ in range(3)]
    assert len(set(made)) == 3 and Referral.objects.count() == 3
    assert sorted(made) == made


def test_the_settings_are_for_supervisors_and_audited_with_old_and_new(
    counsellor: Staff, supervisor: Staff
) -> None:
    with pytest.raises(ReferralError):
        services.referral_settings_update(counsellor, values={"acknowledge_working_days": 3})
    with pytest.raises(ReferralError):
        services.referral_settings_update(supervisor, values={"acknowledge_working_days": 0})
    with pytest.raises(ReferralError):
        services.referral_settings_update(supervisor, values={"expire_after_days": True})
    assert not AuditEvent.objects.filter(action=AuditAction.REFERRAL_SETTINGS).exists()
    assert services.referral_settings_update(supervisor, values={"acknowledge_working_days": 3}) == [
        "acknowledge_working_days"
    ]
    assert services.referral_settings_update(supervisor, values={"acknowledge_working_days": 3}) == []
    audit = AuditEvent.objects.get(action=AuditAction.REFERRAL_SETTINGS)
    assert audit.changes == {"acknowledge_working_days": [2, 3]}


def test_urgent_referrals_are_due_in_hours(counsellor: Staff) -> None:
    case = child_case(counsellor)
    ref = sent(counsellor, case, indexed_partner(), urgency="urgent")
    assert ref.sent_at is not None and ref.acknowledge_by == ref.sent_at + dt.timedelta(hours=4)
