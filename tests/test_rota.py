"""The rota: shifts with a minimum, the gaps of the next 14 days, the safeguarding gate on who is put
on a shift, a lapse taking someone off every future shift with a warning that stays, swaps a
supervisor decides, weekly patterns, coverage figures, and the wallboard's on-shift panel."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts import services as account_services
from helpline.accounts.models import PoliceCheck, Role, Staff
from helpline.audit.models import AuditEvent
from helpline.rota import services
from helpline.rota.figures import shift_coverage
from helpline.rota.models import Assignment, LapseWarning, Shift, SwapStatus, Weekday
from helpline.rota.selectors import gaps_ahead, on_shift_now, rota_days
from helpline.rota.services import RotaError
from helpline.routing.queue import presence_set
from tests.factories import persona
from tests.rota_factories import local, shift_now, shift_on

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def expire_police_check(staff: Staff) -> None:
    PoliceCheck.objects.filter(staff=staff).update(expires_on=timezone.localdate() - dt.timedelta(days=1))


# --- Building the rota and seeing its gaps ---------------------------------------------------


def test_a_supervisor_adds_a_shift_puts_one_of_two_on_it_and_sees_the_gap(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    client = client_for(supervisor)
    day = timezone.localdate() + dt.timedelta(days=7)
    response = client.post(
        reverse("rota:shift_add"),
        {"starts_at": f"{day}T08:00", "ends_at": f"{day}T16:00", "role": "counselling", "minimum": "2"},
    )
    assert response.status_code == 302
    shift = Shift.objects.get()
    assert (shift.minimum, timezone.localtime(shift.starts_at).hour) == (2, 8)
    client.post(reverse("rota:assign", args=[shift.pk]), {"staff": counsellor.username})
    assert list(shift.staff.all()) == [counsellor]

    page = client.get(reverse("rota:rota"), {"start": day.isoformat()})
    assert page.status_code == 200
    assert "Gap: 1 of 2" in page.content.decode()
    assert AuditEvent.objects.filter(action="rota.shift_add", actor=supervisor).exists()
    assert AuditEvent.objects.filter(action="rota.assign", actor=supervisor).exists()


def test_a_shift_at_its_minimum_is_no_gap(counsellor: Staff, supervisor: Staff) -> None:
    full = shift_on(tomorrow(), minimum=2, staff=[counsellor, supervisor])
    short = shift_on(tomorrow(), start=16, minimum=2, staff=[counsellor])
    assert [s.pk for s in gaps_ahead()] == [short.pk]
    day = next(d for d in rota_days() if d.day == tomorrow())
    assert [s.pk for s in day.shifts] == [full.pk, short.pk] and day.gaps == 1


def test_the_rota_shows_14_days_and_nothing_beyond(counsellor: Staff) -> None:
    inside = shift_on(timezone.localdate() + dt.timedelta(days=13))
    shift_on(timezone.localdate() + dt.timedelta(days=14))
    days = rota_days()
    assert len(days) == 14
    assert [s.pk for d in days for s in d.shifts] == [inside.pk]


def test_a_shift_that_ends_before_it_starts_is_refused(supervisor: Staff, client_for: ClientFor) -> None:
    day = tomorrow()
    response = client_for(supervisor).post(
        reverse("rota:shift_add"),
        {"starts_at": f"{day}T16:00", "ends_at": f"{day}T08:00", "role": "counselling", "minimum": "1"},
    )
    assert response.status_code == 400
    assert not Shift.objects.exists()


def test_a_counsellor_sees_the_rota_but_cannot_build_it(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    assert client.get(reverse("rota:rota")).status_code == 200
    day = tomorrow()
    response = client.post(
        reverse("rota:shift_add"),
        {"starts_at": f"{day}T08:00", "ends_at": f"{day}T16:00", "role": "counselling", "minimum": "1"},
    )
    assert response.status_code == 403
    assert not Shift.objects.exists()


def test_a_data_officer_is_refused_the_rota(data_officer: Staff, client_for: ClientFor) -> None:
    assert client_for(data_officer).get(reverse("rota:rota")).status_code == 403


def test_a_counsellor_is_refused_putting_someone_on_a_shift(counsellor: Staff, client_for: ClientFor) -> None:
    shift = shift_on(tomorrow())
    response = client_for(counsellor).post(
        reverse("rota:assign", args=[shift.pk]), {"staff": counsellor.username}
    )
    assert response.status_code == 403
    assert not Assignment.objects.exists()


def test_a_supervisor_takes_someone_off_a_shift(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    shift = shift_on(tomorrow(), staff=[counsellor])
    response = client_for(supervisor).post(
        reverse("rota:remove", args=[shift.pk]), {"staff": counsellor.username}
    )
    assert response.status_code == 302
    assert not Assignment.objects.exists()
    assert AuditEvent.objects.filter(action="rota.unassign", actor=supervisor).exists()


# --- The safeguarding gate -------------------------------------------------------------------


def test_someone_whose_vetting_lapsed_cannot_be_put_on_a_shift(
    supervisor: Staff, lapsed: Staff, client_for: ClientFor
) -> None:
    shift = shift_on(tomorrow())
    with pytest.raises(RotaError):
        services.shift_assign(supervisor, shift=shift, staff=lapsed)
    # Nor through the page: the form does not even offer them.
    response = client_for(supervisor).post(
        reverse("rota:assign", args=[shift.pk]), {"staff": lapsed.username}
    )
    assert response.status_code == 400
    assert not Assignment.objects.exists()


def test_a_police_check_running_out_before_the_shift_refuses_it(counsellor: Staff) -> None:
    PoliceCheck.objects.filter(staff=counsellor).update(
        expires_on=timezone.localdate() + dt.timedelta(days=2)
    )
    later = shift_on(timezone.localdate() + dt.timedelta(days=5))
    with pytest.raises(RotaError):
        services.shift_assign("test", shift=later, staff=counsellor)
    soon = shift_on(tomorrow())
    services.shift_assign("test", shift=soon, staff=counsellor)
    assert list(soon.staff.all()) == [counsellor]


def test_a_data_officer_works_no_shifts(data_officer: Staff) -> None:
    with pytest.raises(RotaError):
        services.shift_assign("test", shift=shift_on(tomorrow()), staff=data_officer)


def test_a_lapse_takes_someone_off_future_shifts_and_warns_supervisors_until_acknowledged(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    now_shift = shift_now(counsellor)
    future = [
        shift_on(tomorrow(), staff=[counsellor]),
        shift_on(tomorrow() + dt.timedelta(days=3), staff=[counsellor]),
    ]
    expire_police_check(counsellor)

    assert services.lapses_remove_periodic() == 1
    assert not Assignment.objects.filter(shift__in=future).exists()
    # The shift already under way is left as it was: it is history now, not the rota ahead.
    assert list(now_shift.staff.all()) == [counsellor]
    warning = LapseWarning.objects.get()
    assert (warning.staff, warning.shifts_removed) == (counsellor, 2)
    assert AuditEvent.objects.filter(action="rota.lapse", record_id=str(counsellor.pk)).exists()
    assert services.lapses_remove_periodic() == 0  # nothing left to take off: no second warning

    client = client_for(supervisor)
    page = client.get(reverse("rota:rota")).content.decode()
    assert "vetting lapsed, taken off 2 future shifts" in page
    # The warning stays on every visit until a supervisor acknowledges it.
    assert "vetting lapsed, taken off 2 future shifts" in client.get(reverse("rota:rota")).content.decode()
    client.post(reverse("rota:lapse_acknowledge", args=[warning.pk]))
    assert "vetting lapsed" not in client.get(reverse("rota:rota")).content.decode()


def test_a_counsellor_cannot_acknowledge_a_lapse_warning(counsellor: Staff, client_for: ClientFor) -> None:
    other = persona(Role.COUNSELLOR, username="other")
    shift_on(tomorrow(), staff=[other])
    expire_police_check(other)
    services.lapses_remove_periodic()
    warning = LapseWarning.objects.get()
    response = client_for(counsellor).post(reverse("rota:lapse_acknowledge", args=[warning.pk]))
    assert response.status_code == 403
    warning.refresh_from_db()
    assert warning.acknowledged_at is None


def test_an_unsigned_new_policy_takes_everyone_off_at_once(
    administrator: Staff, counsellor: Staff, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    """A vetting change announced by accounts (access_changed) reaches the rota without the scheduler."""
    shift_on(tomorrow(), staff=[counsellor])
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        account_services.policy_publish(
            administrator,
            version="2099.1",
            title="New policy",
            text="Read me.",
            effective_date=timezone.localdate(),
        )
    assert not Assignment.objects.exists()
    assert LapseWarning.objects.filter(staff=counsellor).exists()


# --- Swaps -----------------------------------------------------------------------------------


def test_a_counsellor_asks_to_swap_and_a_supervisor_approves(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    colleague = persona(Role.VOLUNTEER, username="colleague")
    shift = shift_on(tomorrow(), staff=[counsellor])
    response = client_for(counsellor).post(
        reverse("rota:swap_request", args=[shift.pk]), {"to_staff": colleague.username}
    )
    assert response.status_code == 302
    swap = shift.swaps.get()
    assert list(shift.staff.all()) == [counsellor]  # nothing moves before a supervisor decides

    client_for(supervisor).post(reverse("rota:swap_decide", args=[swap.pk]), {"approve": "1"})
    swap.refresh_from_db()
    assert swap.status == SwapStatus.APPROVED
    assert list(shift.staff.all()) == [colleague]


def test_a_refused_swap_leaves_the_shift_as_it_was(counsellor: Staff, supervisor: Staff) -> None:
    colleague = persona(Role.COUNSELLOR, username="colleague")
    shift = shift_on(tomorrow(), staff=[counsellor])
    swap = services.swap_request(counsellor, shift=shift, to_staff=colleague)
    services.swap_decide(supervisor, swap=swap, approve=False)
    assert list(shift.staff.all()) == [counsellor]
    with pytest.raises(RotaError):
        services.swap_decide(supervisor, swap=swap, approve=True)


def test_only_someone_on_the_shift_asks_to_swap_it_and_never_to_a_lapsed_colleague(
    counsellor: Staff, lapsed: Staff
) -> None:
    colleague = persona(Role.COUNSELLOR, username="colleague")
    shift = shift_on(tomorrow(), staff=[counsellor])
    with pytest.raises(RotaError):
        services.swap_request(colleague, shift=shift, to_staff=counsellor)
    with pytest.raises(RotaError):
        services.swap_request(counsellor, shift=shift, to_staff=lapsed)


def test_a_counsellor_cannot_decide_a_swap(counsellor: Staff, client_for: ClientFor) -> None:
    colleague = persona(Role.COUNSELLOR, username="colleague")
    swap = services.swap_request(
        counsellor, shift=shift_on(tomorrow(), staff=[counsellor]), to_staff=colleague
    )
    response = client_for(counsellor).post(reverse("rota:swap_decide", args=[swap.pk]), {"approve": "1"})
    assert response.status_code == 403
    swap.refresh_from_db()
    assert swap.status == SwapStatus.REQUESTED


# --- Weekly patterns -------------------------------------------------------------------------


def test_weekly_patterns_make_the_next_fortnight_once(supervisor: Staff, client_for: ClientFor) -> None:
    client = client_for(supervisor)
    client.post(
        reverse("rota:pattern_add"),
        {
            "weekday": str(Weekday.MONDAY),
            "start_time": "22:00",
            "end_time": "06:00",
            "role": "counselling",
            "minimum": "2",
        },
    )
    client.post(
        reverse("rota:pattern_add"),
        {
            "weekday": str(Weekday.SATURDAY),
            "start_time": "08:00",
            "end_time": "16:00",
            "role": "supervision",
            "minimum": "1",
        },
    )
    client.post(reverse("rota:patterns_apply"))
    shifts = list(Shift.objects.order_by("starts_at"))
    assert len(shifts) == 4  # two Mondays and two Saturdays in any 14 days
    night = next(s for s in shifts if s.role == "counselling")
    assert timezone.localtime(night.starts_at).weekday() == 0
    assert night.ends_at - night.starts_at == dt.timedelta(hours=8)  # ends the next morning
    assert services.patterns_apply("test") == 0  # run again: nothing new
    assert Shift.objects.count() == 4


def test_a_counsellor_cannot_add_a_pattern(counsellor: Staff, client_for: ClientFor) -> None:
    response = client_for(counsellor).post(
        reverse("rota:pattern_add"),
        {"weekday": "0", "start_time": "08:00", "end_time": "16:00", "role": "counselling", "minimum": "1"},
    )
    assert response.status_code == 403
    assert client_for(counsellor).post(reverse("rota:patterns_apply")).status_code == 403


# --- Figures and the wallboard ---------------------------------------------------------------


def test_shift_coverage_counts_shifts_gaps_and_places(counsellor: Staff, supervisor: Staff) -> None:
    day = tomorrow()
    shift_on(day, minimum=2, staff=[counsellor, supervisor])
    shift_on(day, start=16, minimum=3, staff=[counsellor])
    shift_on(day + dt.timedelta(days=1), minimum=1)
    shift_on(day + dt.timedelta(days=5), minimum=1)  # outside the period
    coverage = shift_coverage(day, day + dt.timedelta(days=1))
    assert (coverage.shifts, coverage.covered, coverage.gaps) == (3, 1, 2)
    assert (coverage.places_needed, coverage.places_filled) == (6, 3)
    assert coverage.covered_share == pytest.approx(0.333)


def test_the_wallboard_shows_who_is_on_shift_against_who_is_available(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    away = persona(Role.COUNSELLOR, username="away", language="en")
    away.full_name = "Away Person"
    away.save()
    counsellor.full_name = "Dara On Shift"
    counsellor.save()
    shift_now(counsellor, away)
    presence_set(counsellor, "available")
    assert {s.pk for s in on_shift_now()} == {counsellor.pk, away.pk}

    page = client_for(supervisor).get(reverse("console:wallboard")).content.decode()
    section = page[page.index('id="on-shift"') :]
    assert "Dara On Shift" in section and "Away Person" in section
    assert "Not signed in" in section
    assert "Nobody on shift is available" not in section

    presence_set(counsellor, "away")
    page = client_for(supervisor).get(reverse("console:wallboard")).content.decode()
    assert "Nobody on shift is available" in page


def test_a_shift_starting_after_now_is_not_on_shift_now(counsellor: Staff) -> None:
    shift_on(tomorrow(), staff=[counsellor])
    assert on_shift_now() == []
    assert local(tomorrow(), 8) > timezone.now()


def test_a_shift_already_over_is_history_not_a_gap(counsellor: Staff) -> None:
    now = timezone.now()
    over = services.shift_add(
        "test", starts_at=now - dt.timedelta(hours=9), ends_at=now - dt.timedelta(hours=1), minimum=2
    )
    assert gaps_ahead() == []
    day = next(d for d in rota_days(timezone.localdate(over.starts_at)) if over in d.shifts)
    assert day.gaps == 0
    with pytest.raises(RotaError):
        services.shift_assign("test", shift=over, staff=counsellor)


def test_the_pattern_forms_labels_lead_to_its_own_boxes_not_the_shift_forms(
    supervisor: Staff, client_for: ClientFor
) -> None:
    # Both forms have a role and a minimum: with the same ids, clicking "Role" under "Add a weekly
    # pattern" (or a screen reader reading it) went to the shift form's box above.
    page = client_for(supervisor).get("/rota/").content.decode()
    ids = re.findall(r'\bid="([^"]+)"', page)
    pattern = page[page.index(reverse("rota:pattern_add")) :]
    for target in re.findall(r'<label for="([^"]+)"', pattern.split("</form>")[0]):
        assert ids.count(target) == 1, target


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.COUNSELLOR])
def test_the_rota_page_repeats_no_element_id_across_its_shift_rows(
    role: Role, counsellor: Staff, client_for: ClientFor
) -> None:
    viewer = counsellor if role == Role.COUNSELLOR else persona(role, username="boss")
    today = timezone.localdate()
    for days in range(3):  # several rows, each with its own forms; two of them the counsellor's
        shift_on(today + dt.timedelta(days=days + 1), staff=[counsellor] if days else [])
    page = client_for(viewer).get("/rota/").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    assert repeated == []
    swap_boxes = re.findall(r'<select name="to_staff"', page)
    assert len(swap_boxes) == (2 if role == Role.COUNSELLOR else 0)
