"""Revoking an integration token takes two deliberate steps, with or without script: the list links
to a page that names the token and what stops working (and writes nothing); only its button
revokes. A gateway's token revoked by a slip would stop its texts or calls at once."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts import services
from helpline.accounts.models import ApiToken, Role, Staff
from helpline.accounts.permissions import Scope
from helpline.audit.models import AuditEvent
from tests.factories import persona

ClientFor = Callable[[Staff], Client]


def _gateway() -> tuple[ApiToken, str]:
    token, raw = services.api_token_create(None, name="sms gateway", scopes=[Scope.CONTACTS_WRITE])
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    token.refresh_from_db()
    return token, raw


def _revoke_url(token: ApiToken) -> str:
    return reverse("accounts:api_token_revoke", kwargs={"token_id": token.pk})


def test_the_list_holds_no_form_that_revokes_in_one_click(
    administrator: Staff, client_for: ClientFor
) -> None:
    token, _raw = _gateway()
    page = client_for(administrator).get(reverse("accounts:api_tokens")).content.decode()
    forms = re.findall(r"<form[^>]*>", page)
    assert not [form for form in forms if "revoke" in form], forms
    assert f'href="{_revoke_url(token)}"' in page


def test_the_question_names_the_token_and_writes_nothing(administrator: Staff, client_for: ClientFor) -> None:
    token, _raw = _gateway()
    client = client_for(administrator)
    audited = AuditEvent.objects.count()
    response = client.get(_revoke_url(token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "sms gateway" in page
    assert f"hl_{token.prefix}…" in page
    assert "contacts:write" in page
    assert "SMS or phone gateway" in page  # what stops working
    assert re.search(r'<form method="post">', page)  # the real button, here
    assert f'href="{reverse("accounts:api_tokens")}"' in page  # and a way out
    token.refresh_from_db()
    assert token.is_active
    assert AuditEvent.objects.count() == audited


def test_the_question_is_in_khmer_for_a_khmer_reader(client_for: ClientFor, db: None) -> None:
    token, _raw = _gateway()
    admin = persona(Role.ADMINISTRATOR, username="admin-km", language="km")
    page = client_for(admin).get(_revoke_url(token)).content.decode()
    assert "ដកហូតថូខឹន" in page and "មិនអាចប្រើម្ដងទៀតបានទេ" in page


def test_confirming_revokes_and_audits(administrator: Staff, client_for: ClientFor) -> None:
    token, raw = _gateway()
    response = client_for(administrator).post(_revoke_url(token))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:api_tokens")
    token.refresh_from_db()
    assert not token.is_active and token.revoked_by == administrator
    assert AuditEvent.objects.filter(
        action="api_token.revoke", actor=administrator, record_id=str(token.pk)
    ).exists()
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    again = client_for(administrator).get(_revoke_url(token)).content.decode()
    assert "already revoked" in again and '<form method="post">' not in again


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.SUPERVISOR, Role.DATA_OFFICER])
def test_other_roles_are_refused_both_steps(role: Role, client_for: ClientFor, db: None) -> None:
    token, _raw = _gateway()
    staff = persona(role, username=f"not-admin-{role}")
    client = client_for(staff)
    assert client.get(_revoke_url(token)).status_code == 403
    assert client.post(_revoke_url(token)).status_code == 403
    token.refresh_from_db()
    assert token.is_active
    assert AuditEvent.objects.filter(action="access.refused", actor=staff).count() == 2
