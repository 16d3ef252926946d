"""Who sees which case: one selector behind every list, search, export and board, and one access
helper behind the case page, which answers the same 404 for a case missing and a case forbidden."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from django.http import Http404
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from helpline.accounts.models import Role, Staff
from helpline.cases import selectors
from helpline.cases.models import Case, CaseContact, FollowUp, Risk
from helpline.cases.selectors import CaseFilters, access_case, cases_visible_to
from tests.case_factories import contact_for, open_case
from tests.factories import persona, vet

ClientFor = Callable[[Staff], Client]


@pytest.mark.django_db
def test_a_counsellor_sees_assigned_cases_and_those_of_contacts_they_handled(counsellor: Staff) -> None:
    colleague = persona(Role.COUNSELLOR, username="colleague")
    mine = open_case(counsellor)
    theirs = open_case(colleague)
    shared = open_case(colleague)
    CaseContact.objects.create(
        case=shared, contact=contact_for(counsellor), linked_by=colleague, linked_at=timezone.now()
    )
    assert set(cases_visible_to(counsellor)) == {mine, shared}
    with pytest.raises(Http404):
        access_case(counsellor, theirs.pk)


@pytest.mark.django_db
def test_supervisors_and_case_managers_see_all_administrators_and_data_officers_none(
    counsellor: Staff, supervisor: Staff, administrator: Staff, data_officer: Staff
) -> None:
    case = open_case(counsellor)
    manager = persona(Role.CASE_MANAGER, username="manager")
    assert list(cases_visible_to(supervisor)) == list(cases_visible_to(manager)) == [case]
    assert not cases_visible_to(administrator).exists() and not cases_visible_to(data_officer).exists()


@pytest.mark.django_db
def test_someone_failing_the_safeguarding_gate_sees_no_case(counsellor: Staff) -> None:
    case = open_case(counsellor)
    lapsed = persona(Role.SUPERVISOR, username="lapsed-sup", vetted=False)
    vet(lapsed, police_expires=timezone.localdate() - dt.timedelta(days=1))
    assert not cases_visible_to(lapsed).exists()
    with pytest.raises(Http404):
        access_case(lapsed, case.pk)


@pytest.mark.django_db
def test_the_case_page_says_the_same_for_missing_and_forbidden(
    counsellor: Staff, client_for: ClientFor
) -> None:
    colleague = persona(Role.COUNSELLOR, username="colleague")
    theirs = open_case(colleague)
    client = client_for(counsellor)
    forbidden = client.get(f"/cases/{theirs.pk}/")
    missing = client.get(f"/cases/{uuid.uuid4()}/")
    assert forbidden.status_code == missing.status_code == 404
    # The same page, but for the per-request tokens (CSRF, the CSP nonce).
    assert main(forbidden.content) == main(missing.content)
    assert client_for(colleague).get(f"/cases/{theirs.pk}/").status_code == 200


def main(html: bytes) -> bytes:
    return html.split(b'<main id="main"', 1)[1].split(b">", 1)[1].split(b"</main>", 1)[0]


ROLES = list(Role)


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])  # fast personas
class TestNoListShowsWhatTheCasePageRefuses(TestCase):
    """Over random teams, case assignments and contacts handled: every case any list, search,
    export, board or panel shows to someone, their case page opens; and each sees exactly what
    the rules say."""

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        roles=st.lists(st.tuples(st.sampled_from(ROLES), st.booleans()), min_size=1, max_size=4),
        cases=st.lists(
            st.tuples(
                st.integers(0, 3),  # assignee (index into the team, taken modulo its size) …
                st.booleans(),  # … or nobody
                st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=3),  # contacts: handler
                st.sampled_from(list(Risk)),
                st.booleans(),  # an overdue follow-up
            ),
            min_size=1,
            max_size=5,
        ),
    )
    def test_lists_never_show_a_case_the_page_refuses(
        self,
        roles: list[tuple[Role, bool]],
        cases: list[tuple[int, bool, list[tuple[int, bool]], Risk, bool]],
    ) -> None:
        team = []
        for i, (role, vetted) in enumerate(roles):
            staff = persona(role, username=f"s{i}", vetted=vetted)
            team.append(staff)
        writer = persona(Role.CASE_MANAGER, username="writer")
        now = timezone.now()
        expected: dict[int, set[uuid.UUID]] = {i: set() for i in range(len(team))}
        for n, (assignee, nobody, handlers, risk, overdue) in enumerate(cases):
            owner = None if nobody else team[assignee % len(team)]
            case = Case.objects.create(
                number=f"C-2026-{n + 1:05d}",
                risk=risk,
                assignee=owner,
                opened_by=writer,
                opened_at=now - dt.timedelta(minutes=n),
                last_touch_at=now - dt.timedelta(days=90),
            )
            handled_by = set()
            for handler, anyone in handlers:
                who = team[handler % len(team)] if anyone else None
                CaseContact.objects.create(
                    case=case, contact=contact_for(who), linked_by=writer, linked_at=now
                )
                if who is not None:
                    handled_by.add(who.pk)
            if overdue:
                FollowUp.objects.create(
                    case=case,
                    kind="call_back",
                    due_at=now - dt.timedelta(hours=1),
                    owner=owner or writer,
                    created_by=writer,
                    instructions="after 5 pm",
                )
            for i, staff in enumerate(team):
                if not roles[i][1] or staff.role not in {
                    Role.COUNSELLOR,
                    Role.VOLUNTEER,
                    Role.SUPERVISOR,
                    Role.CASE_MANAGER,
                }:
                    continue
                if (
                    staff.role in {Role.SUPERVISOR, Role.CASE_MANAGER}
                    or owner == staff
                    or staff.pk in handled_by
                ):
                    expected[i].add(case.pk)

        for i, staff in enumerate(team):
            shown: set[uuid.UUID] = set()
            shown |= {c.pk for c in selectors.case_search(staff, CaseFilters())}
            shown |= {c.pk for c in selectors.case_search(staff, CaseFilters(overdue=True))}
            shown |= {c.pk for c in selectors.case_search(staff, CaseFilters(risk=Risk.HIGH))}
            page = selectors.case_page(staff, CaseFilters(), limit=2)
            while True:
                shown |= {c.pk for c in page.items}
                if not page.next_cursor:
                    break
                page = selectors.case_page(staff, CaseFilters(), cursor=page.next_cursor, limit=2)
            numbers = {row[0] for row in list(selectors.case_export_rows(staff, CaseFilters()))[1:]}
            shown |= set(Case.objects.filter(number__in=numbers).values_list("pk", flat=True))
            board = selectors.supervision_board(staff)
            shown |= {c.pk for c in board.high_risk + board.stale + board.pending_closures}
            shown |= {f.case_id for f in board.due_follow_ups}
            shown |= {f.case_id for f in selectors.my_follow_ups(staff)}
            for case_id in shown:
                access_case(staff, case_id)  # raises Http404 if the page would refuse it
            assert {c.pk for c in cases_visible_to(staff)} == expected[i]
            for case in Case.objects.exclude(pk__in=expected[i]):
                with pytest.raises(Http404):
                    access_case(staff, case.pk)
