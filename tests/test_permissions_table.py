"""The role/permission table, cell by cell. A change to RULES must change this table too."""

from __future__ import annotations

import pytest

from helpline.accounts.models import Role
from helpline.accounts.permissions import RULES, Permission, role_has

C, V, S, M, D, A = (
    Role.COUNSELLOR,
    Role.VOLUNTEER,
    Role.SUPERVISOR,
    Role.CASE_MANAGER,
    Role.DATA_OFFICER,
    Role.ADMINISTRATOR,
)

EXPECTED: dict[Permission, set[Role]] = {
    Permission.HOME: {C, V, S, M, D, A},
    Permission.CLIENT_DATA: {C, V, S, M, A},
    Permission.STATISTICS: {S, D, A},
    Permission.AUDIT_BROWSE: {S, A},
    Permission.STAFF_MANAGE: {A},
    Permission.API_TOKENS_MANAGE: {A},
    Permission.CONSOLE: {C, V, S},
    Permission.CONTACT_SEARCH: {S, M, A},
    Permission.CONTACT_EXPORT: {S, M},
    Permission.CONTACT_CORRECT_ANY: {S},
    Permission.CALLER_REVEAL: {S, M},
    Permission.CALL_BACK: {S},
    Permission.TAXONOMY_MANAGE: {S, A},
    Permission.SERVICE_SETTINGS: {S, A},
    Permission.TRIAGE_REVIEW: {S},
    Permission.WALLBOARD: {S, A},
    Permission.ASSIGN: {S},
    Permission.STAFF_EXTENSIONS: {S, A},
    Permission.CASES: {C, V, S, M},
    Permission.CASE_SUPERVISE: {S},
    Permission.CASE_ASSIGN: {S, M},
    Permission.PARTNERS: {C, V, S, M},
    Permission.PARTNERS_MANAGE: {S, M},
    Permission.PARTNER_UNSUSPEND: {S},
    Permission.ROTA: {C, V, S, M, A},
    Permission.ROTA_MANAGE: {S},
    Permission.QUALITY_REVIEW: {S},
    Permission.DEBRIEFS: {S, A},
    Permission.DEBRIEF_HOLD: {S},
    Permission.RETENTION_MANAGE: {A},
    Permission.DATA_REQUESTS: {S},
    Permission.FEEDBACK: {C, V, S, M},
    Permission.FEEDBACK_MANAGE: {S},
}


def test_every_permission_has_a_row_in_the_table() -> None:
    assert set(EXPECTED) == set(Permission) == set(RULES)


@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("role", list(Role))
def test_permission_cell(role: Role, permission: Permission) -> None:
    assert role_has(role, permission) is (role in EXPECTED[permission])


def test_only_those_who_may_see_a_number_at_the_console_call_back() -> None:
    """A call-back shows the caller's number and is made from the console."""
    assert RULES[Permission.CALL_BACK] <= RULES[Permission.CALLER_REVEAL] & RULES[Permission.CONSOLE]


def test_data_officer_never_gets_client_data() -> None:
    assert not role_has(Role.DATA_OFFICER, Permission.CLIENT_DATA)


def test_unknown_role_is_denied_everything() -> None:
    assert not any(role_has("intruder", p) for p in Permission)


def test_administrators_and_data_officers_never_read_a_case_file() -> None:
    for permission in (Permission.CASES, Permission.CASE_SUPERVISE, Permission.CASE_ASSIGN):
        assert not role_has(Role.ADMINISTRATOR, permission)
        assert not role_has(Role.DATA_OFFICER, permission)
