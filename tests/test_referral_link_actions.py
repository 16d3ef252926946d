"""From the case page, whoever may see the case revokes a partner's link or sends a new one (the
older ones stop working); anyone else meets the same 404 as for a referral that does not exist."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.referrals import portal, services
from helpline.referrals.delivery import send_partner_link
from helpline.referrals.lifecycle import ReferralConflict
from helpline.referrals.links import Refusal, link_resolve, sign
from helpline.referrals.models import Partner, Referral, ReferralEventKind, ReferralStatus, ReferralToken
from helpline.referrals.views_links import link_context
from tests.case_factories import open_case
from tests.factories import persona
from tests.referral_factories import referral

pytestmark = pytest.mark.django_db


def sent(counsellor: Staff, **kwargs: object) -> tuple[Referral, ReferralToken]:
    ref = referral(open_case(counsellor), counsellor, **kwargs)  # type: ignore[arg-type]
    [token] = send_partner_link(ref, actor=counsellor)
    return ref, token


def revoke_url(ref: Referral, token: ReferralToken) -> str:
    return reverse("referrals:link_revoke", kwargs={"referral_id": ref.pk, "link_id": token.pk})


def send_url(ref: Referral) -> str:
    return reverse("referrals:link_send", kwargs={"referral_id": ref.pk})


def test_the_counsellor_revokes_a_link_and_it_opens_nothing(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ref, token = sent(counsellor)
    response = client_for(counsellor).post(revoke_url(ref, token))
    assert response.status_code == 302
    page = reverse("referrals:referral_detail", kwargs={"referral_id": ref.pk})
    assert response["Location"] == page + "#links"
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == counsellor
    assert link_resolve(sign(token)) is Refusal.REVOKED
    assert ref.events.filter(kind=ReferralEventKind.LINK_REVOKED, token=token, actor=counsellor).exists()
    row = AuditEvent.objects.get(action="referral.link_revoke")
    assert (row.actor, row.record_id, row.detail) == (counsellor, str(ref.pk), {"token": str(token.pk)})
    # Again: nothing more to revoke, nothing more written.
    assert client_for(counsellor).post(revoke_url(ref, token)).status_code == 302
    assert AuditEvent.objects.filter(action="referral.link_revoke").count() == 1


def test_sending_again_issues_a_new_link_and_revokes_the_older_ones(
    supervisor: Staff, counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ref, first = sent(counsellor)
    queued = DBTaskResult.objects.count()
    response = client_for(supervisor).post(send_url(ref))  # a supervisor sees every case
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.revoked_at is not None and first.revoked_by == supervisor
    newest = ref.tokens.order_by("-created_at").first()
    assert newest is not None and newest.pk != first.pk and newest.state == "active"
    assert newest.sent_to == ref.partner.email and newest.created_by == supervisor
    assert DBTaskResult.objects.count() == queued + 1  # the email goes out through the worker
    assert not isinstance(link_resolve(sign(newest)), Refusal)


def test_a_new_link_is_refused_without_an_address_or_once_the_partner_has_nothing_to_do(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ref, token = sent(counsellor)
    Partner.objects.filter(pk=ref.partner_id).update(email="")
    client = client_for(counsellor)
    response = client.post(send_url(ref))
    assert response.status_code == 400
    assert "This partner has no email address" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # refused: the working link still works
    assert ref.tokens.count() == 1
    Partner.objects.filter(pk=ref.partner_id).update(email="p@example.org")
    Referral.objects.filter(pk=ref.pk).update(status=ReferralStatus.DELIVERED)
    response = client.post(send_url(ref))
    assert response.status_code == 409
    assert ref.tokens.count() == 1 and ref.tokens.get().revoked_at is None


def test_a_referral_closed_a_moment_before_sending_again_gets_no_new_link(counsellor: Staff) -> None:
    ref, _token = sent(counsellor)
    seen = Referral.objects.select_related("partner").get(pk=ref.pk)  # the page, read before the close
    services.referral_close(counsellor, ref, "The family moved away")
    with pytest.raises(ReferralConflict):
        portal.link_send_again(seen, counsellor)
    assert ref.tokens.count() == 1 and ref.tokens.get().revoked_at is not None


def test_someone_who_may_not_see_the_case_meets_a_404_and_changes_nothing(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    ref, token = sent(counsellor)
    stranger = client_for(persona(Role.COUNSELLOR, username="other-counsellor"))
    assert stranger.post(revoke_url(ref, token)).status_code == 404
    assert stranger.post(send_url(ref)).status_code == 404
    officer = client_for(persona(Role.DATA_OFFICER, username="officer"))  # no case work at all
    assert officer.post(revoke_url(ref, token)).status_code == 403
    assert Client().post(send_url(ref)).status_code == 302  # to sign in
    # A link of another referral, through a referral the counsellor sees: the same 404.
    other, other_token = sent(counsellor)
    assert client_for(counsellor).post(revoke_url(ref, other_token)).status_code == 404
    assert client_for(counsellor).get(revoke_url(ref, token)).status_code == 405
    assert ReferralToken.objects.filter(revoked_at__isnull=False).count() == 0
    assert ref.tokens.count() == 1 and other.tokens.count() == 1


def test_the_case_pages_partial_offers_revoke_for_working_links_only(counsellor: Staff) -> None:
    ref, token = sent(counsellor)
    html = render_to_string("referrals/_link_actions.html", link_context(ref))
    assert revoke_url(ref, token) in html and send_url(ref) in html
    ReferralToken.objects.filter(pk=token.pk).update(revoked_at=token.created_at)
    html = render_to_string("referrals/_link_actions.html", link_context(ref))
    assert revoke_url(ref, token) not in html and send_url(ref) in html
    Referral.objects.filter(pk=ref.pk).update(status=ReferralStatus.CLOSED)
    ref.refresh_from_db()
    assert send_url(ref) not in render_to_string("referrals/_link_actions.html", link_context(ref))


def test_the_referrals_page_offers_them(counsellor: Staff, client_for: Callable[[Staff], Client]) -> None:
    ref, token = sent(counsellor)
    page = client_for(counsellor).get(reverse("referrals:referral_detail", kwargs={"referral_id": ref.pk}))
    body = page.content.decode()
    assert page.status_code == 200 and 'id="links"' in body
    assert revoke_url(ref, token) in body and send_url(ref) in body
