"""When a partner's email or phone changes in the directory, the links already sent to the old
address stop opening (whoever read that inbox may have left); links sent elsewhere, and every link
when some other field changes, keep working. Each revocation has its history step and audit row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from helpline.accounts.models import Role, Staff
from helpline.accounts.services import api_token_create
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.referrals import directory
from helpline.referrals.directory import PartnerFacts
from helpline.referrals.forms_partners import PartnerForm
from helpline.referrals.links import Refusal, link_issue, link_resolve
from helpline.referrals.models import LinkChannel, Referral, ReferralEvent, ReferralEventKind
from tests.case_factories import open_case
from tests.factories import persona
from tests.referral_factories import referral

pytestmark = pytest.mark.django_db
OLD = "referrals@safehaven.example.org"  # the factory partner's address


@pytest.fixture
def keeper(db: None) -> Staff:
    return persona(Role.CASE_MANAGER, username="keeper")


def sent(counsellor: Staff) -> tuple[Referral, str, str]:
    """A sent referral with a link to the partner's address and one to another address."""
    ref = referral(open_case(counsellor), counsellor)
    _t, to_partner = link_issue(ref, channel=LinkChannel.EMAIL, sent_to=OLD, actor=counsellor)
    _t, elsewhere = link_issue(
        ref, channel=LinkChannel.EMAIL, sent_to="director@example.org", actor=counsellor
    )
    return ref, to_partner, elsewhere


def revocations(ref: Referral) -> int:
    return ReferralEvent.objects.filter(referral=ref, kind=ReferralEventKind.LINK_REVOKED).count()


def test_a_new_email_revokes_the_links_sent_to_the_old_one_only(counsellor: Staff, keeper: Staff) -> None:
    ref, to_partner, elsewhere = sent(counsellor)
    audited = AuditEvent.objects.filter(action=AuditAction.REFERRAL_LINK_REVOKE).count()
    changed = directory.partner_update(
        keeper, partner=ref.partner, changes={"email": "intake@safehaven.example.org"}
    )
    assert changed == ["email"]
    assert link_resolve(to_partner) is Refusal.REVOKED
    assert not isinstance(link_resolve(elsewhere), Refusal)
    assert revocations(ref) == 1
    assert AuditEvent.objects.filter(action=AuditAction.REFERRAL_LINK_REVOKE).count() == audited + 1


def test_another_change_revokes_nothing(counsellor: Staff, keeper: Staff) -> None:
    ref, to_partner, _elsewhere = sent(counsellor)
    directory.partner_update(keeper, partner=ref.partner, changes={"contact_person": "Ms Sophea"})
    assert not isinstance(link_resolve(to_partner), Refusal)
    assert revocations(ref) == 0


def test_a_new_phone_through_the_api_revokes_the_sms_links_and_names_the_token(counsellor: Staff) -> None:
    ref = referral(open_case(counsellor), counsellor)
    _t, by_sms = link_issue(ref, channel=LinkChannel.SMS, sent_to=ref.partner.phone, actor=counsellor)
    token, raw = api_token_create(None, name="directory-sync", scopes=["partners:read", "partners:write"])
    answer = Client().patch(
        f"/api/v1/partners/{ref.partner.pk}",
        {"phone": "012 999 888"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert answer.status_code == 200, answer.content
    assert link_resolve(by_sms) is Refusal.REVOKED
    row = AuditEvent.objects.filter(action=AuditAction.REFERRAL_LINK_REVOKE).latest("seq")
    assert row.actor_label == f"token:{token.name}"


def test_the_edit_page_says_that_links_must_be_sent_again(
    counsellor: Staff, keeper: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ref, to_partner, _elsewhere = sent(counsellor)
    data: dict[str, Any] = {
        name: value
        for name, value in PartnerForm.initial_of(PartnerFacts.of(ref.partner)).items()
        if value is not None
    }
    data["email"] = "intake@safehaven.example.org"
    page = client_for(keeper).post(f"/partners/{ref.partner.pk}/edit/", data, follow=True)
    assert page.status_code == 200
    assert "no longer open" in page.content.decode()
    assert link_resolve(to_partner) is Refusal.REVOKED
