"""The text settings page writes through services that audit every change in the same transaction:
settings (old and new), entries added and removed, a canned reply retired."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.conversations.models import CannedReply, OpeningPeriod, TextSettings

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_retiring_a_canned_reply_is_audited(supervisor: Staff, client_for: ClientFor) -> None:
    reply = CannedReply.objects.create(title="Hello", language="km", text="សួស្តី")
    client = client_for(supervisor)
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("conversations:settings"), {"section": "retire-canned", "pk": str(reply.pk)}
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert not reply.is_active
    event = AuditEvent.objects.filter(seq__gt=before, action=AuditAction.TEXT_SETTINGS_RETIRE_CANNED).get()
    assert (event.actor, event.record_id) == (supervisor, str(reply.pk))


def test_an_unknown_entry_is_a_400_and_changes_nothing(supervisor: Staff, client_for: ClientFor) -> None:
    client = client_for(supervisor)
    before = AuditEvent.objects.count()
    for section in ("retire-canned", "delete-period", "delete-nothing"):
        response = client.post(reverse("conversations:settings"), {"section": section, "pk": "not-an-id"})
        assert response.status_code == 400
    assert AuditEvent.objects.count() == before


def test_a_settings_change_records_old_and_new(supervisor: Staff, client_for: ClientFor) -> None:
    client = client_for(supervisor)
    page = client.get(reverse("conversations:settings"))
    form = page.context["settings_form"]
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    data.update({"section": "settings", "flood_per_minute": "7"})
    response = client.post(reverse("conversations:settings"), data)
    assert response.status_code == 302
    assert TextSettings.objects.get().flood_per_minute == 7
    event = AuditEvent.objects.filter(action=AuditAction.TEXT_SETTINGS_UPDATE).get()
    assert event.changes is not None and event.changes["flood_per_minute"][1] == 7


def test_adding_and_removing_a_period_is_audited(supervisor: Staff, client_for: ClientFor) -> None:
    client = client_for(supervisor)
    url = reverse("conversations:settings")
    client.post(url, {"section": "period", "weekday": "0", "opens": "08:00", "closes": "17:00"})
    period = OpeningPeriod.objects.get()
    client.post(url, {"section": "delete-period", "pk": str(period.pk)})
    assert not OpeningPeriod.objects.exists()
    assert [a for a in _actions() if a.startswith("text_settings.")] == [
        AuditAction.TEXT_SETTINGS_ADD_PERIOD,
        AuditAction.TEXT_SETTINGS_REMOVE_PERIOD,
    ]


def test_a_counsellor_may_not_change_text_settings(counsellor: Staff, client_for: ClientFor) -> None:
    reply = CannedReply.objects.create(title="Hello", language="km", text="សួស្តី")
    response = client_for(counsellor).post(
        reverse("conversations:settings"), {"section": "retire-canned", "pk": str(reply.pk)}
    )
    assert response.status_code in (403, 404)
    reply.refresh_from_db()
    assert reply.is_active
