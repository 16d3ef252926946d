"""Referrals made the way the case page makes them, through the referral services (for the tests of
drafting, sending, the closed loop, the statistics and the API)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.cases import breaks, services
from helpline.cases.models import BreakReason, Case, CaseEvent, ConfidentialityBreak, FollowUp, Recipient
from helpline.contacts.models import Term
from helpline.referrals import services as referral_services
from helpline.referrals.models import Consent, Partner, Referral, ReferralEvent, ReferralToken
from helpline.referrals.selectors import partner_search_text
from tests.case_factories import open_case
from tests.referral_factories import partner


def indexed_partner(name: str = "Safe Haven Phnom Penh", **kwargs: Any) -> Partner:
    """A partner findable by words too (the directory's writer stores its search text)."""
    made = partner(name, **kwargs)
    Partner.objects.filter(pk=made.pk).update(search_text=partner_search_text(made))
    made.refresh_from_db()
    return made


def child_case(
    counsellor: Staff, *, age: int = 14, province: str = "phnom_penh", nickname: str = "Dara"
) -> Case:
    """An open case with a profile the partner may be shown."""
    case = open_case(counsellor, nickname=nickname)
    services.case_update_profile(
        counsellor,
        case=case,
        nickname=nickname,
        age=age,
        gender=Term.objects.get(vocabulary="gender", code="female"),
        province=Term.objects.get(vocabulary="province", code=province),
        risk="high",
    )
    case.refresh_from_db()
    return case


def break_of(case: Case, counsellor: Staff) -> ConfidentialityBreak:
    facts = breaks.BreakFacts(
        reason=BreakReason.RISK_TO_LIFE,
        disclosed="The child's age and where the shelter can find her",
        recipient_kind=Recipient.PARTNER,
        recipient="Safe Haven Phnom Penh",
        disclosed_at=timezone.now() - dt.timedelta(minutes=5),
        client_told_first=False,
        not_told_why="She had hung up and the danger was tonight",
        decided_by=counsellor,
    )
    return breaks.break_record(counsellor, case=case, facts=facts)


def draft(
    counsellor: Staff,
    case: Case,
    to: Partner,
    *,
    service: str = "shelter",
    urgency: str = "routine",
    fields: tuple[str, ...] = ("age", "province"),
    consent: str = Consent.GIVEN,
    brk: ConfidentialityBreak | None = None,
    request: str = "A safe place to stay from tonight",
) -> Referral:
    return referral_services.referral_draft(
        counsellor,
        case=case,
        partner=to,
        service=service,
        urgency=urgency,
        request=request,
        shared_fields=fields,
        consent=consent,
        consent_note="She agreed on the phone" if consent == Consent.GIVEN else "",
        confidentiality_break=brk,
    )


def sent(counsellor: Staff, case: Case, to: Partner, **kwargs: Any) -> Referral:
    made = draft(counsellor, case, to, **kwargs)
    return referral_services.referral_send(counsellor, made)


def counts() -> tuple[int, ...]:
    """What a refused change must leave as it was."""
    return (
        Referral.objects.count(),
        ReferralEvent.objects.count(),
        ReferralToken.objects.count(),
        CaseEvent.objects.filter(kind="referral").count(),
        FollowUp.objects.count(),
        AuditEvent.objects.filter(action__startswith="referral").exclude(action="referral.view").count(),
    )
