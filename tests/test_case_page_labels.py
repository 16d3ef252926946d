"""Every field on the case page has an id of its own and a label tied to it in the same form: the
page shows a dozen forms, and a shared id ("id_reason" in three of them) sent a label's click, and a
screen reader's name for the field, to another form's field."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.cases import breaks, followups
from tests.case_factories import open_case

pytestmark = pytest.mark.django_db


class Fields(HTMLParser):
    """The ids on a page, and for each label[for] and each field the form it sits in."""

    def __init__(self) -> None:
        super().__init__()
        self.form = 0
        self.forms = 0
        self.ids: Counter[str] = Counter()
        self.field_form: dict[str, int] = {}
        self.labels: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms += 1
            self.form = self.forms
        if found.get("id"):
            self.ids[str(found["id"])] += 1
            if tag in {"input", "select", "textarea"}:
                self.field_form[str(found["id"])] = self.form
        if tag == "label" and found.get("for"):
            self.labels.append((str(found["for"]), self.form))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = 0


def read(client: Client, url: str) -> Fields:
    page = client.get(url)
    assert page.status_code == 200
    fields = Fields()
    fields.feed(page.content.decode())
    return fields


def test_each_label_on_the_case_page_names_a_field_of_its_own_form(
    counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    case = open_case(counsellor)
    for days in (1, 2):  # two follow-ups, two breaks: forms the page repeats per item
        followups.follow_up_schedule(
            counsellor,
            case=case,
            kind="call_back",
            due_at=timezone.now() + dt.timedelta(days=days),
            owner=counsellor,
        )
        breaks.break_record(
            counsellor,
            case=case,
            facts=breaks.BreakFacts(
                reason="emergency",
                disclosed=f"address {days}",
                recipient_kind="partner",
                recipient="Shelter",
                disclosed_at=timezone.now(),
                client_told_first=True,
                not_told_why="",
                decided_by=counsellor,
            ),
        )
    fields = read(client_for(supervisor), f"/cases/{case.pk}/")
    assert len(fields.labels) > 30  # the forms were drawn
    assert [i for i, n in fields.ids.items() if n > 1] == []
    for target, form in fields.labels:
        assert fields.field_form.get(target) == form, target


def test_a_refused_sign_off_or_outcome_comes_back_beside_its_own_item(
    counsellor: Staff, supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    case = open_case(counsellor)
    follow_up = followups.follow_up_schedule(
        counsellor,
        case=case,
        kind="call_back",
        due_at=timezone.now() + dt.timedelta(days=1),
        owner=counsellor,
    )
    brk = breaks.break_record(
        counsellor,
        case=case,
        facts=breaks.BreakFacts(
            reason="emergency",
            disclosed="address",
            recipient_kind="partner",
            recipient="Shelter",
            disclosed_at=timezone.now(),
            client_told_first=True,
            not_told_why="",
            decided_by=counsellor,
        ),
    )
    boss = client_for(supervisor)
    page = boss.post(f"/cases/{case.pk}/breaks/{brk.pk}/sign-off/", {"comment": "Why the police?"})
    assert page.status_code == 400
    html = page.content.decode()
    assert f'id="id_sign_off_{brk.pk}_decision_error"' in html
    assert 'value="Why the police?"' in html
    page = boss.post(f"/cases/{case.pk}/follow-ups/{follow_up.pk}/done/", {"outcome": ""})
    assert page.status_code == 400
    assert f'id="id_outcome_{follow_up.pk}_outcome_error"' in page.content.decode()


def test_a_refusal_by_the_service_is_shown_beside_its_field_too(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    """A time in the past passes the form but not the service: the page says so at its top and
    beside "Due", where the counsellor is looking."""
    case = open_case(counsellor)
    past = timezone.localtime(timezone.now() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    page = client_for(counsellor).post(
        f"/cases/{case.pk}/follow-ups/",
        {"kind": "call_back", "due_at": past, "owner": "counsellor", "instructions": "After 5 pm"},
    )
    assert page.status_code == 400
    html = page.content.decode()
    field = html[html.index('<label for="id_follow_up_due_at">') : html.index('name="due_at"')]
    assert 'id="id_follow_up_due_at_error"' in field and "has passed" in field
    assert "After 5 pm</textarea>" in html
