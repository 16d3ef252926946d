"""Demo referrals: the demo cases referred to partners, one in every state a referral passes through
(a draft, sent and now overdue for acknowledgement, acknowledged, accepted, declined, delivered,
closed, expired), written by the referral services as the counsellors and partners would have
(history back-dated to when it happened). Texts in Khmer, as a counsellor would write them.

Partners: the referrable partner of the directory that gives the service where the child is; the
directory's demo partners (helpline.demo.partners) are added first when they are missing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.cases.models import Case
from helpline.demo.month import KEY_PREFIX
from helpline.demo.partners import create_demo_partners, demo_partners_present
from helpline.referrals import services
from helpline.referrals.delivery import partner_links_cancel_sending
from helpline.referrals.lifecycle import links_revoke_all, referral_move
from helpline.referrals.loop import acknowledge_deadline
from helpline.referrals.models import Consent, Partner, Referral, ReferralStatus, ReferralUrgency
from helpline.referrals.selectors import partner_search


class DemoReferralsError(RuntimeError):
    """Demo referrals cannot be created (the demo staff or cases are missing)."""


@dataclass(frozen=True)
class DemoReferral:
    nickname: str  # the demo case's
    service: str
    request: str
    ending: str  # the status it ends in
    sent_days_ago: float = 0  # 0: a draft; the overdue one finds its own
    urgency: str = ReferralUrgency.ROUTINE
    fields: tuple[str, ...] = ("age", "gender", "province")
    consent_note: str = "ប្អូនយល់ព្រមឲ្យយើងបញ្ជូនទៅដៃគូ។"
    answer: str = ""  # the partner's words (a decline's reason) or the counsellor's (a close)


REFERRALS: tuple[DemoReferral, ...] = (
    DemoReferral(
        "ស្រីល័ក្ខ",
        "shelter",
        "សូមទទួលប្អូនស្នាក់នៅបណ្ដោះអាសន្ន និងជួយប្អូនរក្សាអត្តសញ្ញាណប័ណ្ណ។",
        ReferralStatus.DELIVERED,
        sent_days_ago=12,
        urgency=ReferralUrgency.URGENT,
        fields=("nickname", "age", "gender", "province", "risk"),
    ),
    DemoReferral(
        "ពៅ",
        "domestic_violence",
        "សូមឲ្យអ្នកសម្របសម្រួលឃុំជួបគ្រួសារ ហើយពិភាក្សាជាមួយយាយរបស់ប្អូន។",
        ReferralStatus.SENT,
    ),
    DemoReferral(
        "ស្រីនិច",
        "mental_health",
        "សូមណាត់ប្អូនជួបអ្នកប្រឹក្សាផ្លូវចិត្ត ក្នុងម៉ោងសម្រាកថ្ងៃត្រង់។",
        ReferralStatus.ACKNOWLEDGED,
        sent_days_ago=1,
    ),
    DemoReferral(
        "រតនា",
        "suicide",
        "ប្អូនមានគំនិតចង់ធ្វើបាបខ្លួនឯង។ សូមទាក់ទងប្អូនថ្ងៃនេះ។",
        ReferralStatus.ACCEPTED,
        sent_days_ago=2,
        urgency=ReferralUrgency.URGENT,
        fields=("nickname", "age", "province", "risk"),
    ),
    DemoReferral(
        "ធីតា",
        "food",
        "សូមជួយអាហារពេលព្រឹកសម្រាប់ធីតា ពេលឪពុកម្ដាយទៅធ្វើស្រែ។",
        ReferralStatus.DECLINED,
        sent_days_ago=5,
        answer="ខែនេះយើងគ្មានកម្មវិធីអាហារនៅខេត្តព្រៃវែងទេ។ សូមសាកសួរសាលាឃុំ។",
    ),
    DemoReferral(
        "ស្រីមុំ",
        "shelter",
        "សូមរកកន្លែងសុវត្ថិភាពសម្រាប់ស្រីមុំ និងម្ដាយ ពេលឪពុកចុងស្រវឹង។",
        ReferralStatus.EXPIRED,
        sent_days_ago=20,
    ),
    DemoReferral(
        "គន្ធា",
        "legal_advice",
        "សូមពន្យល់គ្រួសារពីអាយុអប្បបរមានៃការរៀបការ និងសិទ្ធិរៀនសូត្ររបស់គន្ធា។",
        ReferralStatus.CLOSED,
        sent_days_ago=8,
        answer="គ្រួសារយល់ព្រមឲ្យគន្ធារៀនបន្ត។ មិនត្រូវការជំនួយផ្លូវច្បាប់ទៀតទេ។",
    ),
    DemoReferral(
        "បូរ៉ា",
        "education",
        "សូមរកថ្នាក់បំប៉នគណិតវិទ្យាឥតគិតថ្លៃនៅជិតផ្ទះបូរ៉ា។",
        ReferralStatus.DRAFT,
    ),
)


def demo_referrals_present() -> bool:
    return Referral.objects.filter(case__links__contact__idempotency_key__startswith=KEY_PREFIX).exists()


def _partner_for(service: str, case: Case) -> Partner:
    province = case.province.code if case.province else ""
    found = (
        partner_search(service=service, province=province, age=case.age, referrable_only=True)
        .exclude(email="")
        .first()
    )
    if found is None:
        raise DemoReferralsError(f"No demo partner gives {service} in {province}.")
    return found


def _staff() -> dict[str, Staff]:
    wanted = {"counsellor", "volunteer", "supervisor", "casemanager"}
    found = {s.username: s for s in Staff.objects.filter(username__in=wanted)}
    if set(found) != wanted:
        raise DemoReferralsError("Create the demo staff first (seed_demo).")
    return found


def _cases() -> dict[str, Case]:
    cases = Case.objects.filter(links__contact__idempotency_key__startswith=KEY_PREFIX).select_related(
        "province", "assignee"
    )
    found = {c.nickname: c for c in cases}
    missing = {r.nickname for r in REFERRALS} - set(found)
    if missing:
        raise DemoReferralsError("Create the demo cases first (seed_demo_cases).")
    return found


def _overdue_sending_time(now: dt.datetime) -> dt.datetime:
    """The latest 9 am, some days back, whose acknowledgement deadline passed an hour ago or more:
    overdue on any day of the year, holidays and weekends included, and not yet expired."""
    today = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
    for days in range(2, 12):
        sent = today - dt.timedelta(days=days)
        if acknowledge_deadline(sent, ReferralUrgency.ROUTINE) <= now - dt.timedelta(hours=1):
            return sent
    raise DemoReferralsError("No sending time makes a referral overdue: check the referral settings.")


def create_demo_referrals() -> int | None:
    """The number of referrals created, or None when another run got there first."""
    _staff()  # the demo staff must exist
    cases = _cases()
    with transaction.atomic():
        if demo_referrals_present():
            return None
        if not demo_partners_present():  # the directory's demo (seed_demo_partners) runs first
            create_demo_partners()
        now = timezone.now()
        for demo in REFERRALS:
            _create(demo, cases[demo.nickname], now)
    return len(REFERRALS)


def _create(demo: DemoReferral, case: Case, now: dt.datetime) -> Referral:
    who = case.assignee
    if who is None:
        raise DemoReferralsError(f"The demo case {case.number} has nobody assigned.")
    if demo.ending == ReferralStatus.SENT:
        sent_at = _overdue_sending_time(now)
    else:
        sent_at = now - dt.timedelta(days=demo.sent_days_ago)
    referral = services.referral_draft(
        who,
        case=case,
        partner=_partner_for(demo.service, case),
        service=demo.service,
        urgency=demo.urgency,
        request=demo.request,
        shared_fields=demo.fields,
        consent=Consent.GIVEN,
        consent_note=demo.consent_note,
        at=sent_at - dt.timedelta(minutes=15),
    )
    if demo.ending == ReferralStatus.DRAFT:
        return referral
    referral = services.referral_send(who, referral, at=sent_at)
    partner_links_cancel_sending(referral)  # made-up addresses: no email leaves the demo
    _answer(demo, referral, who, sent_at)
    referral.refresh_from_db()
    if not referral.awaits_partner:  # a demo link opens only a referral still waiting on its partner
        links_revoke_all(referral, None)
    return referral


def _answer(demo: DemoReferral, referral: Referral, who: Staff, sent_at: dt.datetime) -> None:
    """What came after sending. The partner's steps are recorded as the counsellor heard of them."""
    hour = dt.timedelta(hours=1)
    heard = "ដៃគូបានទូរស័ព្ទមកប្រាប់។"
    ending = demo.ending
    if ending in {
        ReferralStatus.ACKNOWLEDGED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.DELIVERED,
        ReferralStatus.CLOSED,
    }:
        referral_move(referral, ReferralStatus.ACKNOWLEDGED, actor=who, note=heard, at=sent_at + 2 * hour)
    if ending in {ReferralStatus.ACCEPTED, ReferralStatus.DELIVERED}:
        referral_move(referral, ReferralStatus.ACCEPTED, actor=who, note=heard, at=sent_at + 3 * hour)
    if ending == ReferralStatus.DELIVERED:
        referral_move(
            referral,
            ReferralStatus.DELIVERED,
            actor=who,
            note="ប្អូនបានស្នាក់នៅមណ្ឌលតាំងពីយប់នោះ។",
            at=sent_at + dt.timedelta(days=3),
        )
    if ending == ReferralStatus.DECLINED:
        referral_move(referral, ReferralStatus.DECLINED, actor=who, note=demo.answer, at=sent_at + 20 * hour)
    if ending == ReferralStatus.EXPIRED:
        expired_at = sent_at + dt.timedelta(days=14, minutes=1)
        referral_move(referral, ReferralStatus.EXPIRED, at=expired_at)  # as the scheduler would
    if ending == ReferralStatus.CLOSED:
        referral_move(
            referral, ReferralStatus.CLOSED, actor=who, note=demo.answer, at=sent_at + 4 * 24 * hour
        )
