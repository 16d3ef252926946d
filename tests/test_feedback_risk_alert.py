"""Feedback that shows risk reaches a person now: the supervisors' live notice says so, in each
reader's language, marked urgent as routing marks a contact at risk; the supervisor the rota has
on shift is given it; and it is to be acknowledged within the hour, not the settings' days.
Ordinary feedback is told and timed as before."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.common import live
from helpline.feedback import panels, services
from helpline.feedback.models import Feedback, FeedbackEvent
from helpline.routing.models import PresenceState
from helpline.routing.queue import presence_set
from tests.factories import persona
from tests.rota_factories import shift_now
from tests.test_live_pushes import listen

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
ZWSP = "\u200b"
RISKY_KM = f"ខ្ញុំ{ZWSP}ចង់{ZWSP}ស្លាប់"  # "I want to die", written with zero-width spaces as phones do
ORDINARY_KM = "ខ្ញុំរង់ចាំយូរពេក"  # "I waited too long"


@pytest.fixture
def supervisors(db: None) -> dict[str, Staff]:
    return {
        "on_shift": persona(Role.SUPERVISOR, username="sup-on-shift", language="km"),
        "off_km": persona(Role.SUPERVISOR, username="sup-off-km", language="km"),
        "off_en": persona(Role.SUPERVISOR, username="sup-off-en", language="en"),
    }


def received_and_told(
    capture: Any, supervisors: dict[str, Staff], text: str
) -> tuple[Feedback, dict[str, list[dict[str, Any]]]]:
    """The item as the web form keeps it, and what each supervisor's consoles heard once it was kept."""
    with capture() as callbacks:
        item = services.feedback_receive("web form", source="web_form", kind="complaint", text=text)
    groups = {name: [live.staff_group(s.pk)] for name, s in supervisors.items()}
    return item, listen(groups, lambda: [callback() for callback in callbacks])


def test_risky_feedback_is_told_urgently_in_each_readers_language_and_given_to_the_supervisor_on_shift(
    supervisors: dict[str, Staff], django_capture_on_commit_callbacks: Any
) -> None:
    shift_now(supervisors["on_shift"])
    item, heard = received_and_told(django_capture_on_commit_callbacks, supervisors, RISKY_KM)
    assert item.shows_risk and item.owner == supervisors["on_shift"]
    for name in supervisors:
        [event] = heard[name]
        assert event["reason"] == "high_risk" and event["urgent"] is True  # as routing's alert of a contact
        assert event["kind"] == "feedback" and event["id"] == str(item.pk)
        assert item.short_id in event["message"]
        assert "ស្លាប់" not in json.dumps(event, ensure_ascii=False)  # the child's words stay behind the gate
    due = timezone.localtime(item.acknowledge_by).strftime("%H:%M")
    assert heard["on_shift"][0]["message"].startswith("បន្ទាន់៖ ពាក្យបណ្ដឹង")
    assert "ទទួលខុសត្រូវរបស់អ្នក" in heard["on_shift"][0]["message"] and due in heard["on_shift"][0]["message"]
    assert heard["off_km"][0]["message"].startswith("បន្ទាន់៖ ពាក្យបណ្ដឹង")
    assert "ទទួលខុសត្រូវរបស់អ្នក" not in heard["off_km"][0]["message"]
    assert heard["off_en"][0]["message"] == (
        f"Urgent: Complaint {item.short_id} shows risk. A child may be in danger: read it now."
    )
    notes = [event.shown_note for event in FeedbackEvent.objects.filter(feedback=item)]
    assert any(supervisors["on_shift"].display_name in note for note in notes)  # whom it was given to


def test_ordinary_feedback_is_told_as_before_with_no_urgency_and_no_owner(
    supervisors: dict[str, Staff], django_capture_on_commit_callbacks: Any
) -> None:
    shift_now(supervisors["on_shift"])
    item, heard = received_and_told(django_capture_on_commit_callbacks, supervisors, ORDINARY_KM)
    assert not item.shows_risk and item.owner is None
    for name in supervisors:
        assert heard[name] == [
            {"type": "console.event", "kind": "feedback", "reason": "received", "id": str(item.pk)}
        ]


def test_risky_feedback_is_acknowledged_within_the_hour_and_flagged_once_it_passes(
    supervisors: dict[str, Staff], django_capture_on_commit_callbacks: Any
) -> None:
    risky = services.feedback_receive("web form", source="web_form", kind="complaint", text=RISKY_KM)
    ordinary = services.feedback_receive("web form", source="web_form", kind="complaint", text=ORDINARY_KM)
    assert risky.acknowledge_by - risky.received_at == services.RISK_ACKNOWLEDGE_WITHIN
    assert dt.timedelta(hours=1) >= services.RISK_ACKNOWLEDGE_WITHIN  # within the hour, not days
    assert ordinary.acknowledge_by - ordinary.received_at == dt.timedelta(days=2)  # the settings' days
    an_hour_on = risky.received_at + services.RISK_ACKNOWLEDGE_WITHIN + dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.feedback_flag_overdue(an_hour_on) == 1
    groups = {name: [live.staff_group(s.pk)] for name, s in supervisors.items()}
    heard = listen(groups, lambda: [callback() for callback in callbacks])
    # Past its hour unacknowledged: told again, urgently, to every supervisor.
    for name in supervisors:
        [event] = heard[name]
        assert event["urgent"] is True and event["id"] == str(risky.pk)
    assert heard["off_en"][0]["message"] == (
        f"Urgent: Complaint {risky.short_id} shows risk and nobody has acknowledged it. "
        "A child may be in danger: read it now."
    )
    risky.refresh_from_db()
    ordinary.refresh_from_db()
    assert risky.overdue_flagged_at is not None and ordinary.overdue_flagged_at is None


def test_a_risky_item_acknowledged_but_late_on_its_response_is_told_as_any_other(
    supervisors: dict[str, Staff], django_capture_on_commit_callbacks: Any
) -> None:
    """Read and acknowledged in time, then not answered in the settings' days: overdue, but it
    is not said to be unread and urgent."""
    risky = services.feedback_receive("web form", source="web_form", kind="complaint", text=RISKY_KM)
    services.feedback_advance(supervisors["off_en"], feedback=risky, state="acknowledged")
    past_response = risky.respond_by + dt.timedelta(minutes=1)
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.feedback_flag_overdue(past_response) == 1
    groups = {name: [live.staff_group(s.pk)] for name, s in supervisors.items()}
    heard = listen(groups, lambda: [callback() for callback in callbacks])
    for name in supervisors:
        [event] = heard[name]
        assert event == {
            "type": "console.event",
            "kind": "feedback",
            "reason": "overdue",
            "id": str(risky.pk),
        }


def test_a_supervisor_on_shift_at_the_console_is_given_it_before_one_signed_out(
    supervisors: dict[str, Staff],
) -> None:
    """Two supervisors on shift: the one whose console is open (Available or Away) owns it, even
    if the other comes first by name; with neither present, the first by name still does."""
    first_by_name, present = supervisors["off_en"], supervisors["on_shift"]
    assert first_by_name.username < present.username
    shift_now(first_by_name, present)
    alone = services.feedback_receive("web form", source="web_form", kind="complaint", text=RISKY_KM)
    assert alone.owner == first_by_name
    presence_set(present, PresenceState.AWAY)
    item = services.feedback_receive("web form", source="web_form", kind="complaint", text=RISKY_KM + " ទៀត")
    assert item.owner == present


def test_with_nobody_on_shift_every_supervisor_is_still_told_urgently(
    supervisors: dict[str, Staff], django_capture_on_commit_callbacks: Any
) -> None:
    shift_now(persona(Role.COUNSELLOR, username="counsellor-on-shift"))  # on shift, but may not own it
    item, heard = received_and_told(django_capture_on_commit_callbacks, supervisors, RISKY_KM)
    assert item.owner is None
    assert all(heard[name][0]["urgent"] is True for name in supervisors)
    assert all("ទទួលខុសត្រូវរបស់អ្នក" not in heard[name][0]["message"] for name in supervisors)


def test_the_risky_web_form_message_reaches_the_supervisor_on_shift(supervisors: dict[str, Staff]) -> None:
    shift_now(supervisors["on_shift"])
    form = {"kind": "complaint", "subject": "helpline", "name": "", "email": "", "text": RISKY_KM}
    assert Client().post(reverse("feedback:public_form"), form).status_code == 200
    item = Feedback.objects.get()
    assert item.owner == supervisors["on_shift"]
    assert item.acknowledge_by - item.received_at == services.RISK_ACKNOWLEDGE_WITHIN


def test_the_console_has_a_place_for_the_live_notice(
    supervisors: dict[str, Staff], client_for: ClientFor
) -> None:
    assert (
        'id="urgent-notice"'
        in client_for(supervisors["on_shift"]).get(reverse("console:console")).content.decode()
    )


def test_every_risky_item_stays_on_the_consoles_and_the_wallboard_until_it_is_acknowledged(
    supervisors: dict[str, Staff], client_for: ClientFor
) -> None:
    """The live notice is heard once; a reload, a second child's notice or a wallboard that opens
    no socket must not lose the first: each unacknowledged risky item is listed until acknowledged."""
    first = services.feedback_receive("web form", source="web_form", kind="complaint", text=RISKY_KM)
    second = services.feedback_receive(
        "web form", source="web_form", kind="feedback", text=RISKY_KM + " ពិតមែន"
    )
    ordinary = services.feedback_receive("web form", source="web_form", kind="complaint", text=ORDINARY_KM)
    supervisor = client_for(supervisors["off_en"])
    pages = {
        "console": lambda: supervisor.get(reverse("console:console")).content.decode(),
        "lists refresh": lambda: supervisor.get(reverse("console:lists")).content.decode(),
        "wallboard": lambda: supervisor.get(reverse("console:wallboard")).content.decode(),
        "wallboard refresh": lambda: supervisor.get(
            reverse("console:wallboard"), HTTP_HX_REQUEST="true"
        ).content.decode(),
    }
    for name, page in pages.items():
        shown = page()
        assert 'id="feedback-risk"' in shown, name
        for item in (first, second):
            assert reverse("feedback:detail", args=[item.pk]) in shown, name
        assert reverse("feedback:detail", args=[ordinary.pk]) not in shown, name
        assert "ស្លាប់" not in shown, name  # the words stay behind the item's gate
    counsellor = client_for(persona(Role.COUNSELLOR, username="c-1"))
    assert 'id="feedback-risk"' not in counsellor.get(reverse("console:console")).content.decode()
    for item in (first, second):
        services.feedback_advance(supervisors["off_en"], feedback=item, state="acknowledged")
    for name, page in pages.items():
        assert 'id="feedback-risk"' not in page(), name


def test_a_supervisor_not_through_the_safeguarding_gate_is_not_told(
    supervisors: dict[str, Staff], django_capture_on_commit_callbacks: Any
) -> None:
    unvetted = persona(Role.SUPERVISOR, username="sup-unvetted", vetted=False)
    everyone = supervisors | {"unvetted": unvetted}
    _, heard = received_and_told(django_capture_on_commit_callbacks, everyone, RISKY_KM)
    assert heard["unvetted"] == [] and all(heard[name] for name in supervisors)


def test_past_ten_unacknowledged_items_the_panel_points_to_the_list(
    supervisors: dict[str, Staff], client_for: ClientFor
) -> None:
    for n in range(panels.SHOWN + 1):
        services.feedback_receive("web form", source="web_form", kind="complaint", text=f"{RISKY_KM} {n}")
    shown = client_for(supervisors["off_en"]).get(reverse("console:lists")).content.decode()
    panel = shown[shown.index('id="feedback-risk"') : shown.index("</section>")]
    assert panel.count('href="/feedback/') == panels.SHOWN + 1  # ten items and the list
    assert f'href="{reverse("feedback:list")}"' in panel
