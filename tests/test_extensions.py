"""A staff member's phone extension is set by a supervisor or an administrator (staff pages, the
shell, the API), audited, and never shared by two active staff: calls answered on it are credited
to its holder and pop up on their console."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils.html import escape

from helpline.accounts import services
from helpline.accounts.models import Role, Staff
from helpline.accounts.permissions import Scope
from helpline.audit.models import AuditEvent
from helpline.channels.calls import CallEvent
from helpline.contacts.models import Contact
from helpline.voice.services import voice_event
from tests.factories import persona

ClientFor = Callable[[Staff], Client]
T0 = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def extension_of(staff: Staff) -> str:
    return Staff.objects.values_list("extension", flat=True).get(pk=staff.pk)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMINISTRATOR])
def test_a_supervisor_or_administrator_sets_an_extension_and_calls_are_credited_to_it(
    role: Role, counsellor: Staff, client_for: ClientFor
) -> None:
    actor = persona(role, username="boss")
    client = client_for(actor)
    page = client.get("/accounts/staff/extensions/")
    assert page.status_code == 200 and f"/accounts/staff/{counsellor.pk}/extension/" in page.content.decode()
    response = client.post(f"/accounts/staff/{counsellor.pk}/extension/", {"extension": " 1001 "})
    assert response.status_code == 302
    assert extension_of(counsellor) == "1001"
    event = AuditEvent.objects.get(action="staff.extension")
    assert (event.actor, event.record_id) == (actor, str(counsellor.pk))
    assert event.changes == {"extension": ["", "1001"]}
    voice_event(CallEvent("c1", "join", T0, caller="+85512345678"))
    voice_event(CallEvent("c1", "connect", T0 + dt.timedelta(seconds=5), agent="1001", hold=5))
    assert Contact.objects.get().counsellor == counsellor


def test_each_row_of_the_extensions_page_has_its_own_box_id_and_a_name_for_it(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    persona(Role.VOLUNTEER, username="sokha")
    page = client_for(supervisor).get("/accounts/staff/extensions/").content.decode()
    ids = re.findall(r'<input[^>]*name="extension"[^>]*id="([^"]+)"', page) or re.findall(
        r'<input[^>]*id="([^"]+)"[^>]*name="extension"', page
    )
    assert len(ids) == Staff.objects.filter(is_active=True).count() >= 3
    assert len(set(ids)) == len(ids)
    assert f'aria-label="Phone extension: {escape(counsellor.display_name)}"' in page
    refused = client_for(supervisor).post(f"/accounts/staff/{counsellor.pk}/extension/", {"extension": "a b"})
    assert refused.status_code == 400  # the row that failed keeps its own id and shows its error
    assert f'id="id_extension_{counsellor.pk.hex}"' in refused.content.decode()


def test_saving_the_same_extension_again_writes_nothing(supervisor: Staff, counsellor: Staff) -> None:
    assert services.staff_set_extension(supervisor, staff=counsellor, extension="1001")
    assert not services.staff_set_extension(supervisor, staff=counsellor, extension="1001")
    assert AuditEvent.objects.filter(action="staff.extension").count() == 1


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.VOLUNTEER, Role.CASE_MANAGER, Role.DATA_OFFICER])
def test_other_roles_may_not_set_extensions(role: Role, counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(persona(role, username="someone"))
    assert client.get("/accounts/staff/extensions/").status_code == 403
    response = client.post(f"/accounts/staff/{counsellor.pk}/extension/", {"extension": "1001"})
    assert response.status_code == 403
    assert extension_of(counsellor) == ""


def test_an_extension_held_by_another_active_staff_member_is_refused_with_a_clear_error(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    other = persona(Role.VOLUNTEER, username="sokha")
    services.staff_set_extension(supervisor, staff=other, extension="1001")
    url = f"/accounts/staff/{counsellor.pk}/extension/"
    response = client_for(supervisor).post(url, {"extension": "1001"})
    page = response.content.decode()
    assert response.status_code == 400 and "Extension 1001 is" in page and other.display_name in page
    assert extension_of(counsellor) == "" and extension_of(other) == "1001"
    assert AuditEvent.objects.filter(action="staff.extension").count() == 1


def test_an_extension_typed_in_khmer_digits_is_the_same_extension(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    url = f"/accounts/staff/{counsellor.pk}/extension/"
    assert client_for(supervisor).post(url, {"extension": "\u17e1\u17e0\u17e0\u17e1"}).status_code == 302
    assert extension_of(counsellor) == "1001"


@pytest.mark.parametrize("bad", ["10 01", "x" * 33, "1001;DROP", "\u0661\u0660\u0660\u0661"])
def test_an_extension_the_phone_system_cannot_name_is_refused(
    bad: str, supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    response = client_for(supervisor).post(f"/accounts/staff/{counsellor.pk}/extension/", {"extension": bad})
    assert response.status_code == 400 and extension_of(counsellor) == ""


def test_a_former_staff_members_extension_may_be_given_to_someone_else_but_not_shared_on_return(
    supervisor: Staff, administrator: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    leaver = persona(Role.COUNSELLOR, username="leaver")
    services.staff_set_extension(supervisor, staff=leaver, extension="1001")
    services.staff_update(administrator, staff=leaver, role=Role.COUNSELLOR, is_active=False, full_name="L")
    assert services.staff_set_extension(supervisor, staff=counsellor, extension="1001")
    response = client_for(administrator).post(
        f"/accounts/staff/{leaver.pk}/", {"full_name": "L", "role": Role.COUNSELLOR, "is_active": "on"}
    )
    assert response.status_code == 400 and "Extension 1001 is" in response.content.decode()
    assert not Staff.objects.get(pk=leaver.pk).is_active


def test_the_database_refuses_two_active_staff_on_one_extension(counsellor: Staff) -> None:
    other = persona(Role.COUNSELLOR, username="other")
    Staff.objects.filter(pk=counsellor.pk).update(extension="1001")
    with pytest.raises(IntegrityError), transaction.atomic():
        Staff.objects.filter(pk=other.pk).update(extension="1001")
    Staff.objects.filter(pk=other.pk).update(extension="1001", is_active=False)  # a leaver may keep it
    Staff.objects.filter(pk=other.pk).update(extension="")
    Staff.objects.filter(pk=counsellor.pk).update(extension="")
    Staff.objects.filter(pk=other.pk).update(extension="")  # and many may have none


def test_the_shell_sets_and_clears_an_extension_audited(
    counsellor: Staff, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("set_extension", "counsellor", "1002")
    assert extension_of(counsellor) == "1002"
    assert "counsellor answers calls on extension 1002." in capsys.readouterr().out
    assert AuditEvent.objects.get(action="staff.extension").actor_label == "command:set_extension"
    other = persona(Role.COUNSELLOR, username="other")
    with pytest.raises(CommandError, match="extension 1002 belongs to counsellor"):
        call_command("set_extension", "other", "1002")
    assert extension_of(other) == ""
    call_command("set_extension", "counsellor", "--clear")
    assert extension_of(counsellor) == ""
    with pytest.raises(CommandError):
        call_command("set_extension", "nobody", "1003")


def test_the_api_sets_an_extension_with_the_scope_and_refuses_without_it(counsellor: Staff) -> None:
    _token, raw = services.api_token_create(None, name="pbx", scopes=[Scope.EXTENSIONS_WRITE])
    url = "/api/v1/staff/counsellor/extension"
    response = Client().put(url, {"extension": "1004"}, content_type="application/json", **bearer(raw))
    assert response.status_code == 200 and response.json() == {"username": "counsellor", "extension": "1004"}
    assert AuditEvent.objects.get(action="staff.extension").actor_label == "token:pbx"
    other = persona(Role.COUNSELLOR, username="other")
    taken = Client().put(
        "/api/v1/staff/other/extension", {"extension": "1004"}, content_type="application/json", **bearer(raw)
    )
    assert taken.status_code == 409 and extension_of(other) == ""
    bad = Client().put(url, {"extension": "10 04"}, content_type="application/json", **bearer(raw))
    assert bad.status_code == 422
    missing = Client().put(
        "/api/v1/staff/nobody/extension", {"extension": "1"}, content_type="application/json", **bearer(raw)
    )
    assert missing.status_code == 404
    _token, reader = services.api_token_create(None, name="reader", scopes=[Scope.CONTACTS_READ])
    refused = Client().put(url, {"extension": ""}, content_type="application/json", **bearer(reader))
    assert refused.status_code == 403 and extension_of(counsellor) == "1004"
    cleared = Client().put(url, {"extension": ""}, content_type="application/json", **bearer(raw))
    assert cleared.status_code == 200 and extension_of(counsellor) == ""
