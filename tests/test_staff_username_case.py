"""Staff usernames are unique ignoring case (the walk created walk_user1 and WALK_USER1): the form
refuses a look-alike in the administrator's language, the database refuses one whatever writes it,
sign-in ignores case, and the migration stops on existing look-alikes, naming them."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from helpline.accounts.models import Role, Staff
from tests.conftest import signed_in_client
from tests.factories import persona

ClientFor = Callable[[Staff], Client]
NEW = {"full_name": "Walk", "role": Role.COUNSELLOR, "language": "km", "password": "a long enough passphrase"}


def test_the_form_refuses_a_username_differing_only_by_case(
    administrator: Staff, client_for: ClientFor
) -> None:
    client = client_for(administrator)
    assert client.post("/accounts/staff/new/", {**NEW, "username": "walk_user1"}).status_code == 302
    response = client.post("/accounts/staff/new/", {**NEW, "username": "WALK_USER1"})
    assert response.status_code == 400
    assert response.context["form"].errors["username"] == [
        "This username is taken (capital letters do not make a new one)."
    ]
    assert list(Staff.objects.filter(username__iexact="walk_user1").values_list("username", flat=True)) == [
        "walk_user1"
    ]


def test_the_message_is_in_khmer(db: None) -> None:
    admin = signed_in_client(persona(Role.ADMINISTRATOR, username="kh_admin", language="km"))
    persona(Role.COUNSELLOR, username="sophea")
    response = admin.post("/accounts/staff/new/", {**NEW, "username": "Sophea"})
    assert response.status_code == 400
    assert "អក្សរធំ ឬតូច" in response.content.decode()


def test_the_database_refuses_a_look_alike_whatever_writes_it(db: None) -> None:
    Staff.objects.create_user("dara", "a long enough passphrase")
    with pytest.raises(IntegrityError), transaction.atomic():
        Staff.objects.create_user("DARA", "a long enough passphrase")


def test_sign_in_ignores_case(db: None) -> None:
    Staff.objects.create_user("vanna", "a long enough passphrase")
    response = Client().post(
        "/accounts/sign-in/", {"username": "Vanna", "password": "a long enough passphrase"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/sign-in/code/")
    wrong = Client().post("/accounts/sign-in/", {"username": "VANNA", "password": "not the password!!"})
    assert wrong.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_the_migration_stops_on_existing_look_alikes_and_names_them() -> None:
    call_command("migrate", "accounts", "0003", verbosity=0)
    try:
        with connection.cursor() as cursor:  # as an older database may hold them
            for name in ("kosal", "Kosal", "KOSAL", "srey"):
                cursor.execute(
                    "INSERT INTO accounts_staff (id, password, username, full_name, email, role, language,"
                    " is_active, date_joined, extension, session_generation)"
                    " VALUES (%s, '', %s, '', '', 'counsellor', 'km', %s, CURRENT_TIMESTAMP, '', 0)",
                    [uuid.uuid4().hex, name, True],
                )
        with pytest.raises(RuntimeError, match=r"KOSAL, Kosal, kosal\. Rename all but one"):
            call_command("migrate", "accounts", "0004", verbosity=0)
        assert ("accounts", "0004_staff_username_unique_ignoring_case") not in MigrationExecutor(
            connection
        ).loader.applied_migrations
        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_staff SET username = 'kosal2' WHERE username = 'Kosal'")
            cursor.execute("UPDATE accounts_staff SET username = 'kosal3' WHERE username = 'KOSAL'")
        call_command("migrate", "accounts", verbosity=0)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM accounts_staff WHERE username IN"
                " ('kosal', 'Kosal', 'KOSAL', 'srey', 'kosal2', 'kosal3')"
            )
        call_command("migrate", verbosity=0)
