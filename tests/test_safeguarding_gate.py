"""The safeguarding gate: no current policy signature or no valid police check means no client
data, from the very next request, sessions already open included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts import services
from helpline.accounts.models import PoliceCheck, PolicySignature, Role, Staff
from helpline.accounts.vetting import vetting_status
from helpline.audit.models import AuditEvent
from tests.factories import persona

ClientFor = Callable[[Staff], Client]
PROFILE = "/accounts/profile/"


def assert_blocked(client: Client) -> None:
    for url in ["/", "/audit/", "/accounts/staff/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == PROFILE, url
    assert client.get("/api/v1/me").status_code == 403


def assert_can_reach_the_allowed_pages(client: Client) -> None:
    assert client.get(PROFILE).status_code == 200
    assert client.get("/accounts/policy/").status_code == 200
    assert client.post("/accounts/sign-out/").status_code == 302


def test_vetted_counsellor_passes(counsellor: Staff, client_for: ClientFor) -> None:
    assert not vetting_status(counsellor).blocked
    assert client_for(counsellor).get("/").status_code == 200


def test_expired_police_check_blocks_at_once(lapsed: Staff, client_for: ClientFor) -> None:
    status = vetting_status(lapsed)
    assert status.blocked
    assert any("expired" in str(r) for r in status.reasons)
    client = client_for(lapsed)
    assert_blocked(client)
    page = client.get(PROFILE)
    assert 'id="safeguarding-block"' in page.content.decode()
    assert AuditEvent.objects.filter(actor=lapsed, action="access.refused").exists()
    assert_can_reach_the_allowed_pages(client)


def test_missing_police_check_blocks(client_for: ClientFor, db: None) -> None:
    staff = persona(Role.COUNSELLOR, username="nocheck")
    PoliceCheck.objects.filter(staff=staff).delete()
    assert "No police check is on record." in [str(r) for r in vetting_status(staff).reasons]
    assert_blocked(client_for(staff))


def test_open_session_is_blocked_on_its_next_request_when_the_check_lapses(
    counsellor: Staff, client_for: ClientFor
) -> None:
    client = client_for(counsellor)
    assert client.get("/").status_code == 200
    PoliceCheck.objects.filter(staff=counsellor).update(
        expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    assert_blocked(client)


def test_a_new_policy_version_blocks_until_signed(
    counsellor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    client = client_for(counsellor)
    assert client.get("/").status_code == 200
    new = services.policy_publish(
        administrator,
        version="2027.1",
        title="Policy",
        text="New text.",
        effective_date=timezone.localdate(),
    )
    assert_blocked(client)
    page = client.get("/accounts/policy/")
    assert "New text." in page.content.decode()
    assert client.post("/accounts/policy/", {}).status_code == 400  # must tick "I agree"
    assert client.post("/accounts/policy/", {"agree": "on"}).status_code == 302
    assert PolicySignature.objects.filter(staff=counsellor, policy=new).exists()
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(actor=counsellor, action="policy.sign").exists()


def test_a_future_policy_version_does_not_block_yet(
    counsellor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    services.policy_publish(
        administrator,
        version="2030.1",
        title="Policy",
        text="Later.",
        effective_date=timezone.localdate() + dt.timedelta(days=10),
    )
    assert client_for(counsellor).get("/").status_code == 200


def test_no_published_policy_blocks_everyone(db: None, client_for: ClientFor) -> None:
    staff = persona(Role.SUPERVISOR, username="sup")
    PolicySignature.objects.all().delete()
    from helpline.accounts.models import PolicyVersion

    PolicyVersion.objects.all().delete()
    assert vetting_status(staff).blocked
    assert_blocked(client_for(staff))


def test_blocked_staff_websocket_is_refused(lapsed: Staff) -> None:
    from helpline.console.consumers import StaffConsumer

    allowed = StaffConsumer._allowed(
        lapsed, {"otp_device_id": "x"}, StaffConsumer.permission, client_ip="127.0.0.1", on="connect"
    )
    assert allowed is False
    assert AuditEvent.objects.filter(action="access.refused", actor=lapsed, client_ip="127.0.0.1").exists()


def test_administrator_sees_who_is_blocked_and_why(
    administrator: Staff, lapsed: Staff, client_for: ClientFor
) -> None:
    page = client_for(administrator).get("/accounts/staff/")
    assert page.status_code == 200
    blocked = [row.staff.username for row in page.context["blocked"]]
    assert blocked == ["lapsed"]
    assert "The police check has expired." in page.content.decode()


def test_administrator_sees_police_checks_expiring_within_30_days(
    administrator: Staff, client_for: ClientFor, db: None
) -> None:
    soon = persona(Role.COUNSELLOR, username="soon")
    later = persona(Role.COUNSELLOR, username="later")
    today = timezone.localdate()
    PoliceCheck.objects.filter(staff=soon).update(expires_on=today + dt.timedelta(days=29))
    PoliceCheck.objects.filter(staff=later).update(expires_on=today + dt.timedelta(days=31))
    page = client_for(administrator).get("/accounts/staff/")
    expiring = [row.staff.username for row in page.context["expiring"]]
    assert expiring == ["soon"]


def test_administrator_records_a_police_check_that_unblocks(
    administrator: Staff, lapsed: Staff, client_for: ClientFor
) -> None:
    admin = client_for(administrator)
    today = timezone.localdate()
    response = admin.post(
        f"/accounts/staff/{lapsed.pk}/police-checks/",
        {
            "reference": "PP-123",
            "issued_on": today.isoformat(),
            "expires_on": (today + dt.timedelta(days=730)).isoformat(),
        },
    )
    assert response.status_code == 302
    check = PoliceCheck.objects.filter(staff=lapsed).order_by("-expires_on").first()
    assert check is not None and check.verified_by == administrator
    assert not vetting_status(lapsed).blocked
    assert client_for(lapsed).get("/").status_code == 200


@pytest.mark.parametrize(
    ("issued", "expires"),
    [(0, -1), (0, 0), (5, 400)],  # expiry before issue, same day, issued in the future
)
def test_bad_police_check_dates_are_refused(
    administrator: Staff, lapsed: Staff, client_for: ClientFor, issued: int, expires: int
) -> None:
    today = timezone.localdate()
    before = PoliceCheck.objects.count()
    response = client_for(administrator).post(
        f"/accounts/staff/{lapsed.pk}/police-checks/",
        {
            "issued_on": (today + dt.timedelta(days=issued)).isoformat(),
            "expires_on": (today + dt.timedelta(days=expires)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert PoliceCheck.objects.count() == before


def test_administrator_adds_staff_who_start_blocked(administrator: Staff, client_for: ClientFor) -> None:
    response = client_for(administrator).post(
        "/accounts/staff/new/",
        {
            "username": "sophea",
            "full_name": "Sophea",
            "role": Role.VOLUNTEER,
            "language": "km",
            "password": "a long enough passphrase",
        },
    )
    assert response.status_code == 302
    sophea = Staff.objects.get(username="sophea")
    assert sophea.role == Role.VOLUNTEER
    assert vetting_status(sophea).blocked
    assert AuditEvent.objects.filter(action="staff.create", record_id=str(sophea.pk)).exists()


def test_training_records_are_kept(administrator: Staff, counsellor: Staff, client_for: ClientFor) -> None:
    response = client_for(administrator).post(
        f"/accounts/staff/{counsellor.pk}/training/",
        {"course": "Suicide risk assessment", "completed_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    assert counsellor.training_records.filter(course="Suicide risk assessment").exists()
    page = client_for(counsellor).get(PROFILE)
    assert "Suicide risk assessment" in page.content.decode()
