"""Demo partners: in Phnom Penh, Siem Reap and Preah Sihanouk across the services the helpline
refers to, with Khmer names; one suspended after a serious concern, one not yet assessed, one whose
monitoring visit is overdue; written by the referral network's services, demo only, seeding twice
changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from helpline.accounts.models import Role
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.contacts.models import Term
from helpline.referrals.models import Assessment, MonitoringVisit, Partner
from helpline.referrals.selectors import partner_search
from tests.factories import persona

KHMER = range(0x1780, 0x1800)


def test_demo_partners_are_refused_without_helpline_demo(db: None) -> None:
    with override_settings(DEMO=False), pytest.raises(CommandError, match="HELPLINE_DEMO=1"):
        call_command("seed_demo_partners")
    assert not Partner.objects.exists()


@override_settings(DEMO=True)
def test_demo_partners_need_the_demo_staff(db: None) -> None:
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_demo_partners")


@override_settings(DEMO=True)
def test_demo_partners_cover_the_three_provinces_and_every_standing(db: None) -> None:
    for username, role in (("casemanager", Role.CASE_MANAGER), ("counsellor", Role.COUNSELLOR)):
        persona(role, username=username)
    out = StringIO()
    call_command("seed_demo_partners", stdout=out)
    assert "Demo partners created: 12" in out.getvalue()
    partners = list(Partner.objects.all())
    assert all(any(ord(c) in KHMER for c in p.name_km) for p in partners)
    places = {t.code for p in partners for t in p.provinces.all()}
    assert {"phnom_penh", "siem_reap", "preah_sihanouk"} <= places
    services = {t.code for p in partners for t in p.services.all()}
    listed = set(
        Term.objects.filter(vocabulary="service").exclude(code="other").values_list("code", flat=True)
    )
    assert listed <= services  # every listed service has a partner
    suspended = [p for p in partners if p.suspension_id]
    assert len(suspended) == 1 and suspended[0].suspension.concern.severity == "serious"  # type: ignore[union-attr]
    assert [p.name for p in partners if p.assessment == Assessment.NOT_ASSESSED] == ["Angkor Recovery Centre"]
    overdue = MonitoringVisit.objects.filter(done_on__isnull=True, due_on__lt=timezone.localdate())
    assert [v.partner.name for v in overdue] == ["Mind Matters Counselling"]
    assert partner_search(text="ទីជម្រក", province="siem_reap", age=12).filter(
        name="Siem Reap Children's Shelter"
    )
    assert AuditEvent.objects.filter(action=AuditAction.PARTNER_SUSPEND).count() == 1
    again = StringIO()
    call_command("seed_demo_partners", stdout=again)
    assert "already present" in again.getvalue() and Partner.objects.count() == 12
