"""The partnership's life: the newest assessment decides whether a partner may receive referrals;
monitoring visits follow one another and the scheduler reminds the owner, once, when one falls due
undone; a serious concern suspends referrals at once, and only a supervisor lifts a suspension,
with a reason. Every change is on the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.common import live
from helpline.operations.registry import periodic_jobs
from helpline.referrals import partnership
from helpline.referrals.directory import PartnerConflict, PartnerError
from helpline.referrals.jobs import PERIODIC
from helpline.referrals.models import (
    Assessment,
    ConcernSeverity,
    ConcernSource,
    MonitoringVisit,
    Partner,
    PartnerConcern,
    PartnerSuspension,
)
from tests.factories import persona
from tests.partner_factories import add_partner
from tests.test_live_pushes import listen

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
TODAY = timezone.localdate


@pytest.fixture
def keeper(db: None) -> Staff:
    return persona(Role.CASE_MANAGER, username="keeper")


def audited(action: AuditAction) -> int:
    return AuditEvent.objects.filter(action=action).count()


def assess(keeper: Staff, partner: Partner, outcome: str, days_ago: int) -> None:
    partnership.assessment_record(
        keeper,
        partner=partner,
        assessed_on=TODAY() - dt.timedelta(days=days_ago),
        assessor=keeper,
        outcome=outcome,
        notes="Visited the shelter, read the child protection policy.",
    )
    partner.refresh_from_db()


def test_the_newest_assessment_decides_and_an_approval_plans_the_first_visit(keeper: Staff) -> None:
    partner = add_partner(keeper, approved=False)
    assert partner.assessment == Assessment.NOT_ASSESSED and not partner.may_receive
    assess(keeper, partner, Assessment.NOT_APPROVED, days_ago=40)
    assert partner.assessment == Assessment.NOT_APPROVED and not partner.visits.exists()
    assess(keeper, partner, Assessment.APPROVED, days_ago=5)
    assert partner.assessment == Assessment.APPROVED and partner.may_receive
    visit = partner.visits.get()
    assert visit.due_on == TODAY() - dt.timedelta(days=5) + dt.timedelta(days=partner.monitoring_every_days)
    assert visit.owner == keeper
    # An older assessment recorded late does not undo the newer one.
    assess(keeper, partner, Assessment.NOT_APPROVED, days_ago=90)
    assert partner.assessment == Assessment.APPROVED
    assert audited(AuditAction.PARTNER_ASSESS) == 3 and audited(AuditAction.PARTNER_VISIT_PLAN) == 1


def test_an_assessment_is_refused_from_the_future_or_by_a_role_that_does_not_keep_the_directory(
    keeper: Staff,
) -> None:
    partner = add_partner(keeper, approved=False)
    with pytest.raises(PartnerError):
        partnership.assessment_record(
            keeper,
            partner=partner,
            assessed_on=TODAY() + dt.timedelta(days=1),
            assessor=keeper,
            outcome="approved",
        )
    counsellor = persona(Role.COUNSELLOR, username="c")
    with pytest.raises(PartnerError):
        partnership.assessment_record(
            counsellor, partner=partner, assessed_on=TODAY(), assessor=counsellor, outcome="approved"
        )
    with pytest.raises(PartnerError):
        partnership.assessment_record(
            keeper, partner=partner, assessed_on=TODAY(), assessor=keeper, outcome="fine"
        )
    partner.refresh_from_db()
    assert partner.assessment == Assessment.NOT_ASSESSED and not partner.assessments.exists()


def test_a_visit_done_plans_the_next_from_the_partners_interval(keeper: Staff) -> None:
    partner = add_partner(keeper, monitoring_every_days=90)
    visit = partner.visits.get()
    with pytest.raises(PartnerConflict):  # one visit planned at a time
        partnership.visit_plan(keeper, partner=partner, due_on=TODAY(), owner=keeper)
    with pytest.raises(PartnerError):  # a visit is not recorded before it happens
        partnership.visit_done(keeper, visit=visit, done_on=TODAY() + dt.timedelta(days=1), findings="x")
    following = partnership.visit_done(
        keeper, visit=visit, done_on=TODAY(), findings="Rooms safe, staff trained."
    )
    assert following is not None and following.due_on == TODAY() + dt.timedelta(days=90)
    visit.refresh_from_db()
    assert visit.done_on == TODAY() and visit.findings == "Rooms safe, staff trained."
    with pytest.raises(PartnerConflict):
        partnership.visit_done(keeper, visit=visit, done_on=TODAY(), findings="again")
    assert audited(AuditAction.PARTNER_VISIT_DONE) == 1


def test_a_visit_is_planned_only_for_someone_who_keeps_the_directory(keeper: Staff) -> None:
    partner = add_partner(keeper, approved=False)
    counsellor = persona(Role.COUNSELLOR, username="c")
    with pytest.raises(PartnerError):
        partnership.visit_plan(keeper, partner=partner, due_on=TODAY(), owner=counsellor)
    with pytest.raises(PartnerError):
        partnership.visit_plan(keeper, partner=partner, due_on=TODAY() - dt.timedelta(days=1), owner=keeper)
    assert not MonitoringVisit.objects.exists()


@pytest.mark.django_db(transaction=True)  # the job's pushes go out on commit, as in the scheduler
def test_the_scheduler_reminds_the_owner_once_live_when_a_visit_falls_due(keeper: Staff) -> None:
    assert any(job.name == "referrals.visit_reminders" for job in periodic_jobs())
    assert PERIODIC[0].function is partnership.visits_remind_due
    partner = add_partner(keeper, approved=False)
    visit = partnership.visit_plan(
        keeper, partner=partner, due_on=TODAY() + dt.timedelta(days=2), owner=keeper
    )
    assert partnership.visits_remind_due() == 0  # not yet due
    later = timezone.now() + dt.timedelta(days=2)
    other = persona(Role.SUPERVISOR, username="other")
    got = listen(
        {"owner": [live.staff_group(keeper.pk)], "other": [live.staff_group(other.pk)]},
        lambda: partnership.visits_remind_due(later),
    )
    assert [e["reason"] for e in got["owner"]] == [partnership.VISIT_DUE]
    assert got["owner"][0]["partner"] == str(partner.pk) and got["other"] == []
    visit.refresh_from_db()
    assert visit.reminded_at == later
    assert partnership.visits_remind_due(later + dt.timedelta(days=1)) == 0  # once
    assert (
        AuditEvent.objects.filter(action=AuditAction.PARTNER_VISIT_REMIND, actor_label="scheduler").count()
        == 1
    )


def test_a_visit_done_is_never_reminded(keeper: Staff) -> None:
    partner = add_partner(keeper, approved=False)
    visit = partnership.visit_plan(keeper, partner=partner, due_on=TODAY(), owner=keeper)
    partnership.visit_done(keeper, visit=visit, done_on=TODAY(), findings="All well.")
    assert partnership.visits_remind_due(timezone.now() + dt.timedelta(days=1)) == 0


def concern(actor: Staff, partner: Partner, severity: str = ConcernSeverity.SERIOUS) -> PartnerConcern:
    return partnership.concern_record(
        actor,
        partner=partner,
        source=ConcernSource.CHILD,
        severity=severity,
        description="The child said a staff member hit her.",
    )


def test_any_directory_user_records_a_concern_and_a_serious_one_suspends_at_once(keeper: Staff) -> None:
    partner = add_partner(keeper)
    volunteer = persona(Role.VOLUNTEER, username="v")
    concern(volunteer, partner, ConcernSeverity.MEDIUM)
    partner.refresh_from_db()
    assert partner.may_receive and partner.suspension is None
    serious = concern(volunteer, partner)
    partner.refresh_from_db()
    assert not partner.may_receive
    assert partner.suspension is not None and partner.suspension.concern == serious
    assert partner.suspension.started_by == volunteer
    # A second serious concern is recorded under the same suspension.
    concern(volunteer, partner)
    assert PartnerSuspension.objects.filter(partner=partner).count() == 1
    assert audited(AuditAction.PARTNER_CONCERN) == 3 and audited(AuditAction.PARTNER_SUSPEND) == 1
    # The audit names the severity, never what the child said.
    assert all(
        "hit" not in str(e.detail) for e in AuditEvent.objects.filter(action=AuditAction.PARTNER_CONCERN)
    )


def test_a_role_without_the_directory_cannot_record_a_concern(keeper: Staff) -> None:
    partner = add_partner(keeper)
    with pytest.raises(PartnerError):
        concern(persona(Role.DATA_OFFICER, username="d"), partner)
    assert not PartnerConcern.objects.exists()


def test_only_a_supervisor_lifts_a_suspension_and_only_with_a_reason(keeper: Staff) -> None:
    partner = add_partner(keeper)
    concern(keeper, partner)
    for role in (Role.CASE_MANAGER, Role.COUNSELLOR):
        with pytest.raises(PartnerError):
            partnership.suspension_lift(
                persona(role, username=f"x-{role}"), partner=partner, reason="Checked."
            )
    supervisor = persona(Role.SUPERVISOR, username="s")
    with pytest.raises(PartnerError):
        partnership.suspension_lift(supervisor, partner=partner, reason="   ")
    partner.refresh_from_db()
    assert partner.suspension is not None
    lifted = partnership.suspension_lift(
        supervisor, partner=partner, reason="Investigated with the partner; the staff member left."
    )
    partner.refresh_from_db()
    assert partner.suspension is None and partner.may_receive
    assert lifted.lifted_by == supervisor and lifted.lift_reason.startswith("Investigated")
    with pytest.raises(PartnerConflict):
        partnership.suspension_lift(supervisor, partner=partner, reason="Again.")
    event = AuditEvent.objects.get(action=AuditAction.PARTNER_UNSUSPEND)
    assert event.reason.startswith("Investigated") and event.actor == supervisor


def test_concern_and_lift_from_the_partner_page(keeper: Staff, client_for: ClientFor) -> None:
    partner = add_partner(keeper)
    counsellor = persona(Role.COUNSELLOR, username="c")
    client = client_for(counsellor)
    refused = client.post(f"/partners/{partner.pk}/concerns/", {"source": "child", "severity": "serious"})
    assert refused.status_code == 400 and not PartnerConcern.objects.exists()
    sent = client.post(
        f"/partners/{partner.pk}/concerns/",
        {"source": "child", "severity": "serious", "description": "Told to go home at night."},
    )
    assert sent.status_code == 302
    partner.refresh_from_db()
    assert partner.suspension is not None
    # A counsellor and a case manager may not lift it: the page refuses them.
    for who in (counsellor, keeper):
        assert client_for(who).post(f"/partners/{partner.pk}/lift/", {"reason": "ok"}).status_code == 403
    supervisor = persona(Role.SUPERVISOR, username="s")
    page = client_for(supervisor).get(f"/partners/{partner.pk}/").content.decode()
    assert "Lift the suspension" in page or "លើក" in page
    assert client_for(supervisor).post(f"/partners/{partner.pk}/lift/", {"reason": ""}).status_code == 400
    assert (
        client_for(supervisor).post(f"/partners/{partner.pk}/lift/", {"reason": "Resolved."}).status_code
        == 302
    )
    partner.refresh_from_db()
    assert partner.suspension is None
    assert (
        client_for(supervisor).post(f"/partners/{partner.pk}/lift/", {"reason": "Resolved."}).status_code
        == 409
    )


def test_what_a_concern_says_is_shown_only_to_those_who_keep_the_directory_and_each_read_audited(
    keeper: Staff, client_for: ClientFor
) -> None:
    partner = add_partner(keeper)
    words = "She said the night guard hit her."
    partnership.concern_record(
        keeper,
        partner=partner,
        source=ConcernSource.CHILD,
        severity=ConcernSeverity.MEDIUM,
        description=words,
    )
    counsellor_page = client_for(persona(Role.COUNSELLOR, username="c")).get(f"/partners/{partner.pk}/")
    assert counsellor_page.status_code == 200
    assert words not in counsellor_page.content.decode()
    assert audited(AuditAction.PARTNER_CONCERN_READ) == 0
    keeper_page = client_for(keeper).get(f"/partners/{partner.pk}/")
    assert words in keeper_page.content.decode()
    read = AuditEvent.objects.get(action=AuditAction.PARTNER_CONCERN_READ)
    assert read.actor_id == keeper.pk and read.record_id == str(partner.pk)
    assert words not in str(read.detail)
    client_for(keeper).get(f"/partners/{partner.pk}/")
    assert audited(AuditAction.PARTNER_CONCERN_READ) == 2


def test_visits_falling_due_are_listed_on_the_directory_page_for_those_who_keep_it(
    keeper: Staff, client_for: ClientFor
) -> None:
    soon = add_partner(keeper, "Kampot Youth Centre", approved=False)
    later = add_partner(keeper, "Kep Youth Centre", approved=False)
    partnership.visit_plan(keeper, partner=soon, due_on=TODAY() + dt.timedelta(days=3), owner=keeper)
    partnership.visit_plan(keeper, partner=later, due_on=TODAY() + dt.timedelta(days=60), owner=keeper)
    page = client_for(keeper).get("/partners/").content.decode()
    listed = page.split('id="visits-due"')[1].split("</section>")[0]
    assert "Kampot Youth Centre" in listed and "Kep Youth Centre" not in listed
    counsellor_page = client_for(persona(Role.COUNSELLOR, username="c")).get("/partners/").content.decode()
    assert 'id="visits-due"' not in counsellor_page
