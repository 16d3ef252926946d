"""Demo data (only with HELPLINE_DEMO=1, idempotent) and Khmer/English per person."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import formats, timezone, translation

from helpline.accounts.models import ApiToken, PoliceCheck, PolicySignature, Staff
from helpline.accounts.vetting import vetting_status
from helpline.audit.models import AuditEvent

KHMER = re.compile("[\u1780-\u17ff]")
ClientFor = Callable[[Staff], Client]


def test_demo_data_is_refused_without_helpline_demo(db: None) -> None:
    with override_settings(DEMO=False), pytest.raises(CommandError, match="HELPLINE_DEMO=1"):
        call_command("seed_demo")
    assert not Staff.objects.exists()


@override_settings(DEMO=True)
def test_demo_seed_creates_the_cast_and_running_twice_changes_nothing(db: None) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert re.search(r"^Demo password: \S{12,}$", text, re.M)
    assert re.search(r"^Demo TOTP secret: [A-Z2-7]{32}$", text, re.M)
    assert re.search(r"^Demo API token: hl_\S+$", text, re.M)
    names = set(Staff.objects.values_list("username", flat=True))
    assert names == {"counsellor", "volunteer", "supervisor", "casemanager", "dataofficer", "admin", "lapsed"}
    assert vetting_status(Staff.objects.get(username="lapsed")).blocked
    assert not vetting_status(Staff.objects.get(username="counsellor")).blocked
    token = ApiToken.objects.get()
    from helpline.accounts.permissions import Scope

    assert set(token.scopes) == {s.value for s in Scope}

    def counts() -> tuple[int, ...]:
        return (
            Staff.objects.count(),
            PoliceCheck.objects.count(),
            PolicySignature.objects.count(),
            ApiToken.objects.count(),
            AuditEvent.objects.count(),
        )

    before = counts()
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert counts() == before
    for line in ("Demo password", "Demo TOTP secret", "Demo API token"):
        first = next(x for x in text.splitlines() if x.startswith(line))
        assert first in again.getvalue().splitlines()


def test_khmer_is_the_default_language_for_strangers(db: None) -> None:
    page = Client().get("/accounts/sign-in/")
    assert '<html lang="km">' in page.content.decode()
    assert KHMER.search(page.content.decode())


def test_a_stranger_can_switch_the_sign_in_page_to_english(db: None) -> None:
    client = Client()
    response = client.post("/accounts/language/", {"language": "en", "next": "/accounts/sign-in/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/sign-in/"
    assert '<html lang="en">' in client.get("/accounts/sign-in/").content.decode()


def test_each_person_picks_their_language(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    client = client_for(counsellor)
    assert '<html lang="en">' in client.get("/").content.decode()
    client.post("/accounts/language/", {"language": "km", "next": "/"})
    counsellor.refresh_from_db()
    assert counsellor.language == "km"
    home = client.get("/").content.decode()
    assert '<html lang="km">' in home
    assert KHMER.search(home.split("<main", 1)[1])
    # Another person keeps their own choice.
    assert '<html lang="en">' in client_for(supervisor).get("/").content.decode()


def test_unknown_language_is_refused(counsellor: Staff, client_for: ClientFor) -> None:
    response = client_for(counsellor).post("/accounts/language/", {"language": "fr"})
    assert response.status_code == 400
    counsellor.refresh_from_db()
    assert counsellor.language == "en"


def test_dates_and_numbers_follow_the_language() -> None:
    day = dt.date(2026, 11, 25)
    with translation.override("en"):
        assert formats.date_format(day, "DATE_FORMAT") == "25 November 2026"
        assert formats.number_format(12345.5, decimal_pos=1, force_grouping=True) == "12,345.5"
    with translation.override("km"):
        khmer_date = formats.date_format(day, "DATE_FORMAT")
        assert khmer_date.startswith("25 ") and KHMER.search(khmer_date)
        assert formats.number_format(12345.5, decimal_pos=1, force_grouping=True) == "12.345,5"


def test_times_are_shown_in_phnom_penh_time() -> None:
    assert timezone.get_current_timezone_name() == "Asia/Phnom_Penh"


def test_a_khmer_page_shows_djangos_own_form_errors_in_khmer(db: None) -> None:
    """Django's messages ("This field is required.", "Enter a whole number.", ...) come from our
    catalogue, in Khmer, where Django's own Khmer has none or a poor one."""
    from helpline.accounts.models import Role
    from helpline.contacts.models import Contact
    from tests.conftest import signed_in_client
    from tests.factories import persona

    client = signed_in_client(persona(Role.COUNSELLOR, username="kh", language="km"))
    client.post("/console/start/", {"channel": "voice", "address": "012 345 678"})
    contact = Contact.objects.get()
    response = client.post(
        f"/console/{contact.pk}/save/",
        {"kind": "", "age": "x", "province": "atlantis", "summary": "a" * 10_001},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"kind", "age", "province", "summary"}
    shown = [str(message) for messages in errors.values() for message in messages]
    assert all(KHMER.search(message) for message in shown), shown
    page = response.content.decode()
    for english in ("This field is required", "Enter a whole number", "Select a valid choice", "Ensure this"):
        assert english not in page
    assert "ចំនួនគត់" in page  # "a whole number"; Django's own Khmer says "fill in all numbers"


@override_settings(DEMO=True)
def test_demo_khmer_canned_replies_have_khmer_titles_even_in_an_older_demo(db: None) -> None:
    from helpline.conversations.models import CannedReply
    from helpline.demo.management.commands.seed_demo_texts import CANNED

    first_khmer = next(text for _title, language, text in CANNED if language == "km")
    CannedReply.objects.create(title="Welcome", language="km", text=first_khmer)  # as seeded before
    call_command("seed_demo_texts", stdout=StringIO())
    khmer = CannedReply.objects.filter(language="km")
    assert khmer.count() == sum(1 for _t, language, _x in CANNED if language == "km")
    assert all(KHMER.search(r.title) and not re.search("[A-Za-z]", r.title) for r in khmer)
    assert CannedReply.objects.get(text=first_khmer).title == "ស្វាគមន៍"


@override_settings(DEMO=True)
def test_demo_training_courses_are_named_in_khmer(db: None, client_for: ClientFor) -> None:
    from helpline.accounts.models import TrainingRecord

    call_command("seed_demo", stdout=StringIO())
    courses = set(TrainingRecord.objects.values_list("course", flat=True))
    assert courses and all(KHMER.search(c) and not re.search("[A-Za-z]", c) for c in courses)
    admin = Staff.objects.get(username="admin")
    assert admin.language == "km"
    page = client_for(admin).get(f"/accounts/staff/{admin.pk}/").content.decode()
    assert all(course in page for course in courses)
