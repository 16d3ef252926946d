"""Shared fixtures: personas signed in with both factors, and an API client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from helpline.accounts.models import Role, Staff
from tests.factories import persona


def signed_in_client(staff: Staff) -> Client:
    """A client whose session passed password and TOTP, as the real sign-in leaves it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(staff)
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def make_persona(db: None) -> Callable[..., Staff]:
    return persona


@pytest.fixture
def counsellor(db: None) -> Staff:
    return persona(Role.COUNSELLOR, username="counsellor")


@pytest.fixture
def supervisor(db: None) -> Staff:
    return persona(Role.SUPERVISOR, username="supervisor")


@pytest.fixture
def administrator(db: None) -> Staff:
    return persona(Role.ADMINISTRATOR, username="admin")


@pytest.fixture
def data_officer(db: None) -> Staff:
    return persona(Role.DATA_OFFICER, username="dataofficer")


@pytest.fixture
def lapsed(db: None) -> Staff:
    """A counsellor whose police check expired yesterday."""
    import datetime as dt

    from django.utils import timezone

    from tests.factories import vet

    staff = persona(Role.COUNSELLOR, username="lapsed", vetted=False)
    vet(staff, police_expires=timezone.localdate() - dt.timedelta(days=1))
    return staff


@pytest.fixture
def client_for() -> Callable[[Staff], Client]:
    return signed_in_client


@pytest.fixture(autouse=True, scope="session")
def one_writer_per_record() -> Iterator[None]:
    """Throughout the suite, a Contact or Offer saved or deleted from outside its app fails the test
    (tests/test_single_writer.py scans the source for the queryset writes that send no signal)."""
    from django.db.models.signals import pre_delete, pre_save

    from tests.writers import guard

    pre_save.connect(guard, dispatch_uid="one-writer-save")
    pre_delete.connect(guard, dispatch_uid="one-writer-delete")
    yield
    pre_save.disconnect(dispatch_uid="one-writer-save")
    pre_delete.disconnect(dispatch_uid="one-writer-delete")


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Each process caches settings read on every message for a few seconds; a test starts with
    none, as the database it sees may have been emptied since."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def english_outside_requests() -> object:
    """Messages built outside a request (vetting reasons, command output) read in English in
    tests; requests still choose their own language (Khmer by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def agents(settings: Any) -> dict[str, Staff]:
    """Three counsellors with phone extensions 1001-1003, keyed by extension (voice tests)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast set-up
    team = {}
    for extension, username in (("1001", "dara"), ("1002", "sreymom"), ("1003", "vibol")):
        staff = persona(Role.COUNSELLOR, username=username)
        staff.extension = extension
        staff.save()
        team[extension] = staff
    return team
