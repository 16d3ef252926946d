"""Contact quality review and debriefs: supervisors sample contacts (at random within filters, or
chosen) and score them on the rubric; the counsellor reads the comment and their own trends, nobody
else but supervisors does; debriefs are asked for, held and recorded, and what was said stays with
the two people in it; a counsellor's high-risk contacts this shift are counted for them and their
supervisor."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.actions import AuditAction
from helpline.audit.models import AuditEvent
from helpline.contacts.models import Channel, Contact, Kind, Status, Urgency
from helpline.people import services
from helpline.people.figures import review_scores
from helpline.people.models import Criterion, Debrief, Distressing, Review
from helpline.people.selectors import high_risk_this_shift, last_closed_contact, review_trends
from helpline.people.services import PeopleError, SampleFilters
from tests.factories import persona
from tests.rota_factories import shift_now

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]
ALL_FOURS = {"listening": 4, "safety_assessment": 4, "information_accuracy": 4, "recording_quality": 4}


def closed(
    counsellor: Staff, *, channel: str = Channel.VOICE, days_ago: int = 1, urgency: str = ""
) -> Contact:
    contact = Contact.objects.create(
        channel=channel,
        status=Status.CLOSED,
        kind=Kind.COUNSELLING,
        arrived_at=timezone.now() - dt.timedelta(days=days_ago),
        counsellor=counsellor,
        urgency=urgency,
    )
    contact.handlers.add(counsellor)
    return contact


def scored(supervisor: Staff, contact: Contact, comment: str = "Warm and clear.", **scores: int) -> Review:
    review = services.review_choose(supervisor, contact=contact)
    return services.review_score(supervisor, review=review, scores=ALL_FOURS | scores, comment=comment)


@pytest.fixture(autouse=True)
def rubric(db: None) -> None:
    # Migration people.0002 writes the default rubric; a transactional test elsewhere in the same
    # worker empties every table afterwards, so the lines are put back the way the demo does.
    services.rubric_defaults_ensure()


def test_an_empty_rubric_gets_the_defaults_and_a_kept_one_is_left_alone() -> None:
    Criterion.objects.filter(code="listening").update(is_active=False)
    assert services.rubric_defaults_ensure() == 0
    Criterion.objects.all().delete()
    assert services.rubric_defaults_ensure() == 4


def test_the_default_rubric_has_the_four_lines() -> None:
    assert list(Criterion.objects.values_list("code", flat=True)) == [
        "listening",
        "safety_assessment",
        "information_accuracy",
        "recording_quality",
    ]


# --- Sampling --------------------------------------------------------------------------------


def test_a_random_sample_draws_only_within_the_filters(supervisor: Staff, counsellor: Staff) -> None:
    other = persona(Role.COUNSELLOR, username="other")
    voice = [closed(counsellor) for _ in range(3)]
    closed(counsellor, channel=Channel.SMS)
    closed(other)
    closed(counsellor, days_ago=40)
    reviews = services.review_sample(
        supervisor,
        filters=SampleFilters(
            channel=Channel.VOICE, counsellor=counsellor, since=timezone.localdate() - dt.timedelta(days=7)
        ),
        count=5,
    )
    assert sorted(r.contact_id for r in reviews) == sorted(c.pk for c in voice)
    assert {r.counsellor for r in reviews} == {counsellor}
    # Drawn once: without the date filter, only the older contact is left to draw.
    again = services.review_sample(
        supervisor, filters=SampleFilters(channel=Channel.VOICE, counsellor=counsellor), count=5
    )
    assert [r.contact_id for r in again] == [
        Contact.objects.get(arrived_at__lt=timezone.now() - dt.timedelta(days=30)).pk
    ]
    assert AuditEvent.objects.filter(action="review.sample", actor=supervisor).count() == 2


def test_a_sample_is_random_and_no_larger_than_asked(supervisor: Staff, counsellor: Staff) -> None:
    for _ in range(12):
        closed(counsellor)
    drawn = services.review_sample(supervisor, filters=SampleFilters(), count=3)
    assert len(drawn) == 3
    with pytest.raises(PeopleError):
        services.review_sample(supervisor, filters=SampleFilters(), count=21)


def test_nobody_reviews_their_own_or_an_open_contact(supervisor: Staff, counsellor: Staff) -> None:
    with pytest.raises(PeopleError):
        services.review_choose(supervisor, contact=closed(supervisor))
    open_contact = Contact.objects.create(
        channel=Channel.VOICE, status=Status.ACTIVE, arrived_at=timezone.now(), counsellor=counsellor
    )
    with pytest.raises(PeopleError):
        services.review_choose(supervisor, contact=open_contact)
    assert not Review.objects.exists()


def test_a_supervisor_samples_and_chooses_from_the_page(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    client = client_for(supervisor)
    contact = closed(counsellor)
    assert client.post(reverse("people:sample"), {"count": "1"}).status_code == 302
    assert Review.objects.get().contact == contact
    chosen = closed(counsellor)
    response = client.post(reverse("people:choose"), {"contact": str(chosen.pk)})
    assert response.status_code == 302
    assert Review.objects.filter(contact=chosen, how="chosen").exists()


def test_a_counsellor_is_refused_the_review_pages(counsellor: Staff, client_for: ClientFor) -> None:
    client = client_for(counsellor)
    closed(persona(Role.COUNSELLOR, username="other"))
    assert client.get(reverse("people:quality")).status_code == 403
    assert client.post(reverse("people:sample"), {"count": "1"}).status_code == 403
    assert not Review.objects.exists()


# --- Scoring, the counsellor's view, trends ----------------------------------------------------


def test_a_supervisor_scores_a_review_and_the_counsellor_reads_the_comment(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    review = services.review_choose(supervisor, contact=closed(counsellor))
    # Not yet scored: nothing for the counsellor to read.
    assert "Listen for what" not in client_for(counsellor).get(reverse("people:my_reviews")).content.decode()
    response = client_for(supervisor).post(
        reverse("people:review", args=[review.pk]),
        {
            "score_listening": "5",
            "score_safety_assessment": "3",
            "score_information_accuracy": "4",
            "score_recording_quality": "2",
            "comment": "Listen for what the child does not say.",
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.scored_at is not None
    assert sorted(review.scores.values_list("criterion__code", "score")) == [
        ("information_accuracy", 4),
        ("listening", 5),
        ("recording_quality", 2),
        ("safety_assessment", 3),
    ]
    page = client_for(counsellor).get(reverse("people:my_reviews")).content.decode()
    assert "Listen for what the child does not say." in page
    assert "Recording quality: 2/5" in page
    event = AuditEvent.objects.get(action="review.score")
    assert "Listen" not in str(event.detail)  # the trail names the review, not what it says


def test_another_counsellor_never_reads_someone_elses_review(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    scored(supervisor, closed(counsellor), comment="Only for Dara.")
    other = persona(Role.COUNSELLOR, username="other")
    page = client_for(other).get(reverse("people:my_reviews")).content.decode()
    assert "Only for Dara." not in page
    review = Review.objects.get()
    assert client_for(other).get(reverse("people:review", args=[review.pk])).status_code == 403
    assert client_for(other).get(reverse("people:trends", args=[counsellor.pk])).status_code == 403


def test_every_line_of_the_rubric_is_scored_from_1_to_5(supervisor: Staff, counsellor: Staff) -> None:
    review = services.review_choose(supervisor, contact=closed(counsellor))
    with pytest.raises(PeopleError):
        services.review_score(supervisor, review=review, scores={"listening": 4}, comment="")
    with pytest.raises(PeopleError):
        services.review_score(supervisor, review=review, scores=ALL_FOURS | {"listening": 6}, comment="")
    review.refresh_from_db()
    assert review.scored_at is None and not review.scores.exists()


def test_a_scoring_form_missing_a_line_is_refused(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    review = services.review_choose(supervisor, contact=closed(counsellor))
    response = client_for(supervisor).post(
        reverse("people:review", args=[review.pk]), {"score_listening": "4"}
    )
    assert response.status_code == 400
    assert not review.scores.exists()


def test_trends_are_the_counsellors_and_their_supervisors_only(supervisor: Staff, counsellor: Staff) -> None:
    scored(supervisor, closed(counsellor), listening=2)
    scored(supervisor, closed(counsellor), listening=4)
    rows = review_trends(counsellor, counsellor)
    assert len(rows) == 1 and rows[0].reviews == 2
    listening = next(avg for c, avg in rows[0].by_criterion if c.code == "listening")
    assert listening == 3.0
    assert review_trends(supervisor, counsellor)[0].reviews == 2
    with pytest.raises(Http404):
        review_trends(persona(Role.COUNSELLOR, username="other"), counsellor)
    with pytest.raises(Http404):
        review_trends(persona(Role.ADMINISTRATOR, username="admin2"), counsellor)


def test_a_supervisor_sees_a_counsellors_trends_page(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    scored(supervisor, closed(counsellor), comment="Steady work.")
    page = client_for(supervisor).get(reverse("people:trends", args=[counsellor.pk]))
    assert page.status_code == 200
    assert "Steady work." in page.content.decode()


def test_review_scores_for_the_reports_are_aggregates(supervisor: Staff, counsellor: Staff) -> None:
    scored(supervisor, closed(counsellor), listening=2, recording_quality=5)
    scored(supervisor, closed(counsellor), listening=4, recording_quality=5)
    services.review_choose(supervisor, contact=closed(counsellor))  # sampled, not scored: not counted
    today = timezone.localdate()
    figures = review_scores(today, today)
    assert figures.reviews == 2
    by = {c.code: (c.average, c.scored) for c in figures.by_criterion}
    assert by["listening"] == (3.0, 2)
    assert by["recording_quality"] == (5.0, 2)
    assert figures.overall == pytest.approx((2 + 4 + 5 + 5 + 4 * 4) / 8, abs=0.01)
    assert review_scores(today - dt.timedelta(days=3), today - dt.timedelta(days=1)).reviews == 0


# --- Debriefs --------------------------------------------------------------------------------


def test_a_debrief_is_asked_for_held_and_private_to_the_two(
    counsellor: Staff, supervisor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    contact = closed(counsellor, days_ago=0, urgency=Urgency.CRITICAL)
    response = client_for(counsellor).post(
        reverse("people:debrief_request"), {"contact": str(contact.pk), "reason": "The call about the river."}
    )
    assert response.status_code == 302
    debrief = Debrief.objects.get()
    assert (debrief.counsellor, debrief.contact) == (counsellor, contact)

    client_for(supervisor).post(
        reverse("people:debrief_hold", args=[debrief.pk]), {"notes": "Talked it through."}
    )
    debrief.refresh_from_db()
    assert debrief.held_by == supervisor and debrief.held_at is not None

    # The two people in it read what was said.
    for person in (counsellor,):
        page = client_for(person).get(reverse("people:my_debriefs")).content.decode()
        assert "The call about the river." in page and "Talked it through." in page
    page = client_for(supervisor).get(reverse("people:debriefs")).content.decode()
    assert "Talked it through." in page
    # Another supervisor and an administrator see that one happened, not what was said.
    other = persona(Role.SUPERVISOR, username="other-supervisor")
    for person in (other, administrator):
        page = client_for(person).get(reverse("people:debriefs")).content.decode()
        assert counsellor.display_name in page
        assert "Held by" in page
        assert "river" not in page and "Talked it through." not in page
    assert not any("river" in str(e.detail) for e in AuditEvent.objects.filter(action__startswith="debrief."))


def test_a_debrief_is_recorded_once(counsellor: Staff, supervisor: Staff) -> None:
    debrief = services.debrief_request(counsellor)
    services.debrief_hold(supervisor, debrief=debrief, notes="")
    with pytest.raises(PeopleError):
        services.debrief_hold(persona(Role.SUPERVISOR, username="s2"), debrief=debrief, notes="again")


def test_a_debrief_is_asked_for_about_ones_own_contact_only(counsellor: Staff) -> None:
    theirs = closed(persona(Role.COUNSELLOR, username="other"))
    with pytest.raises(PeopleError):
        services.debrief_request(counsellor, contact=theirs)
    assert not Debrief.objects.exists()


def test_an_administrator_and_a_counsellor_are_refused_holding_a_debrief(
    counsellor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    debrief = services.debrief_request(counsellor, reason="private")
    for person in (administrator, counsellor):
        response = client_for(person).post(reverse("people:debrief_hold", args=[debrief.pk]), {"notes": "x"})
        assert response.status_code == 403
    debrief.refresh_from_db()
    assert debrief.held_at is None
    assert client_for(counsellor).get(reverse("people:debriefs")).status_code == 403


def test_a_data_officer_is_refused_debriefs_and_reviews(data_officer: Staff, client_for: ClientFor) -> None:
    client = client_for(data_officer)
    for name in ("people:my_debriefs", "people:my_reviews", "people:debriefs", "people:quality"):
        assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse("people:debrief_request"), {"reason": "x"}).status_code == 403
    assert not Debrief.objects.exists()


# --- A contact marked distressing, and the debrief asked for from it ----------------------------------


def active(counsellor: Staff) -> Contact:
    contact = Contact.objects.create(
        channel=Channel.VOICE, status=Status.ACTIVE, arrived_at=timezone.now(), counsellor=counsellor
    )
    contact.handlers.add(counsellor)
    return contact


def test_a_counsellor_marks_a_contact_distressing_in_one_click_and_asks_for_a_debrief_about_it(
    counsellor: Staff, supervisor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    contact = active(counsellor)
    client = client_for(counsellor)
    console_url = reverse("console:contact", args=[contact.pk])
    mark_url = reverse("people:distressing_mark", args=[contact.pk])
    assert mark_url in client.get(console_url).content.decode()  # the one click, on the contact

    response = client.post(mark_url, {"next": console_url})
    assert response.status_code == 302 and response["Location"] == console_url
    assert Distressing.objects.filter(counsellor=counsellor, contact=contact).count() == 1
    marked = AuditEvent.objects.get(action=AuditAction.DISTRESSING_MARK)
    assert (marked.actor, marked.record_id) == (counsellor, str(contact.pk))

    # Back on the contact: marked, and from there the debrief form opens with this contact chosen.
    ask_url = f"{reverse('people:my_debriefs')}?contact={contact.pk}"
    assert ask_url in client.get(console_url).content.decode()
    form = client.get(ask_url).content.decode()
    assert re.search(rf'<option value="{contact.pk}" selected>', form), form
    assert client.post(reverse("people:debrief_request"), {"contact": str(contact.pk), "reason": "the fire"})[
        "Location"
    ] == reverse("people:my_debriefs")
    debrief = Debrief.objects.get()
    assert debrief.contact == contact

    # The supervisors' list shows the request, the contact and that it was marked distressing.
    listed = client_for(supervisor).get(reverse("people:debriefs")).content.decode()
    assert f"#{contact.short_id}" in listed and "after a contact marked distressing" in listed
    # An administrator sees that one was asked for, nothing of what it is about.
    seen = client_for(administrator).get(reverse("people:debriefs")).content.decode()
    assert counsellor.display_name in seen
    assert f"#{contact.short_id}" not in seen and "distressing" not in seen and "the fire" not in seen

    # Held: the two people in it read the reason and the notes; another supervisor sees only that
    # it happened, no longer which contact it was about.
    services.debrief_hold(supervisor, debrief=debrief, notes="Spoke for an hour.")
    held = client_for(supervisor).get(reverse("people:debriefs")).content.decode()
    assert "the fire" in held and "Spoke for an hour." in held and f"#{contact.short_id}" in held
    mine = client_for(counsellor).get(reverse("people:my_debriefs")).content.decode()
    assert "the fire" in mine and "Spoke for an hour." in mine
    other = persona(Role.SUPERVISOR, username="other-supervisor")
    theirs = client_for(other).get(reverse("people:debriefs")).content.decode()
    assert "Held by" in theirs
    assert "the fire" not in theirs and "Spoke for an hour." not in theirs
    assert f"#{contact.short_id}" not in theirs and "distressing" not in theirs


def test_marking_twice_keeps_one_mark_and_one_audit_row(counsellor: Staff, client_for: ClientFor) -> None:
    contact = closed(counsellor, days_ago=0)
    client = client_for(counsellor)
    for _ in range(2):
        response = client.post(reverse("people:distressing_mark", args=[contact.pk]))
        # Without a page to go back to: the debrief form, opened with the contact.
        assert response["Location"] == f"{reverse('people:my_debriefs')}?contact={contact.pk}"
    assert Distressing.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.DISTRESSING_MARK).count() == 1


def test_marking_from_the_console_redraws_only_the_distressing_box(
    counsellor: Staff, client_for: ClientFor
) -> None:
    # A reload of the console empties the reply the counsellor is typing: htmx swaps the box alone.
    contact = active(counsellor)
    client = client_for(counsellor)
    mark_url = reverse("people:distressing_mark", args=[contact.pk])
    page = client.get(reverse("console:contact", args=[contact.pk])).content.decode()
    assert f'hx-post="{mark_url}"' in page and f'hx-target="#distressing-{contact.pk}"' in page
    response = client.post(mark_url, {"next": "/console/"}, HTTP_HX_REQUEST="true")
    box = response.content.decode()
    assert response.status_code == 200 and "<html" not in box
    assert box.startswith(f'<section class="distressing" id="distressing-{contact.pk}">')
    assert "You marked this contact as distressing." in box
    assert '<p class="notice" role="status">Thank you for saying so.</p>' in box
    assert Distressing.objects.filter(counsellor=counsellor, contact=contact).count() == 1


def test_without_script_marking_goes_back_to_the_console_and_thanks_there(
    counsellor: Staff, client_for: ClientFor
) -> None:
    contact = active(counsellor)
    client = client_for(counsellor)
    console_url = reverse("console:contact", args=[contact.pk])
    response = client.post(reverse("people:distressing_mark", args=[contact.pk]), {"next": console_url})
    assert response.status_code == 302 and response["Location"] == console_url
    page = client.get(console_url).content.decode()
    assert "Thank you for saying so." in page and "You marked this contact as distressing." in page


def test_a_refused_mark_from_the_console_says_why_in_the_box(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    # A supervisor sees the contact but did not answer it: the refusal replaces the box, not the page.
    contact = active(counsellor)
    response = client_for(supervisor).post(
        reverse("people:distressing_mark", args=[contact.pk]), HTTP_HX_REQUEST="true"
    )
    box = response.content.decode()
    assert response.status_code == 400 and "<html" not in box
    assert response["HX-Retarget"] == f"#distressing-{contact.pk}" and response["HX-Reswap"] == "outerHTML"
    assert '<p class="notice" role="status">Choose one of your own contacts.</p>' in box
    assert not Distressing.objects.exists()


def test_the_last_contact_is_the_one_closed_last_whether_answered_or_only_handled(
    counsellor: Staff, make_persona: Callable[..., Staff]
) -> None:
    colleague = make_persona(Role.COUNSELLOR, username="colleague")
    now = timezone.now()
    answered = closed(counsellor, days_ago=0)
    handled = closed(colleague, days_ago=0)  # answered by a colleague, handed to this counsellor
    handled.handlers.add(counsellor)
    theirs = closed(colleague, days_ago=0)  # never this counsellor's
    earlier = closed(counsellor, days_ago=0)  # closed before the fallback shift began
    for contact, minutes in ((answered, 20), (handled, 5), (theirs, 1), (earlier, 60 * 24)):
        Contact.objects.filter(pk=contact.pk).update(ended_at=now - dt.timedelta(minutes=minutes))
    assert last_closed_contact(counsellor) == handled
    Contact.objects.filter(pk=handled.pk).update(ended_at=now - dt.timedelta(minutes=30))
    assert last_closed_contact(counsellor) == answered
    Contact.objects.filter(pk__in=[answered.pk, handled.pk]).delete()
    assert last_closed_contact(counsellor) is None


def test_the_contact_just_closed_can_still_be_marked_from_the_console(
    counsellor: Staff, client_for: ClientFor
) -> None:
    contact = closed(counsellor, days_ago=0)
    Contact.objects.filter(pk=contact.pk).update(ended_at=timezone.now())
    page = client_for(counsellor).get(reverse("console:console")).content.decode()
    assert f"Your last contact: #{contact.short_id}" in page
    assert reverse("people:distressing_mark", args=[contact.pk]) in page


def test_nobody_marks_someone_elses_contact_or_goes_anywhere_else_after(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    theirs = closed(persona(Role.COUNSELLOR, username="other"))
    with pytest.raises(PeopleError):
        services.distressing_mark(counsellor, contact=theirs)
    # A supervisor sees every contact but did not answer this one: refused as well.
    response = client_for(supervisor).post(reverse("people:distressing_mark", args=[theirs.pk]))
    assert response.status_code == 400
    # A counsellor does not even see it.
    refused = client_for(counsellor).post(reverse("people:distressing_mark", args=[theirs.pk]))
    assert refused.status_code == 404
    assert not Distressing.objects.exists()
    mine = closed(counsellor, days_ago=0)
    response = client_for(counsellor).post(
        reverse("people:distressing_mark", args=[mine.pk]), {"next": "https://elsewhere.example/"}
    )
    assert response["Location"] == f"{reverse('people:my_debriefs')}?contact={mine.pk}"


def test_a_data_officer_is_refused_marking_a_contact(
    data_officer: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    contact = closed(counsellor, days_ago=0)
    response = client_for(data_officer).post(reverse("people:distressing_mark", args=[contact.pk]))
    assert response.status_code == 403
    assert not Distressing.objects.exists()


# --- High-risk contacts this shift ---------------------------------------------------------------


def test_high_risk_contacts_this_shift_are_counted_for_the_counsellor_and_their_supervisor(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    shift_now(counsellor, supervisor)
    closed(counsellor, days_ago=0, urgency=Urgency.CRITICAL)
    closed(counsellor, days_ago=0, urgency=Urgency.URGENT)
    closed(counsellor, days_ago=0, urgency=Urgency.NON_CRITICAL)
    closed(counsellor, days_ago=1, urgency=Urgency.CRITICAL)  # before this shift began
    assert high_risk_this_shift(counsellor) == 2

    console = client_for(counsellor).get(reverse("console:console")).content.decode()
    assert "2 high-risk contacts this shift." in console
    board = client_for(supervisor).get(reverse("console:wallboard")).content.decode()
    section = board[board.index('id="shift-risk"') :]
    assert counsellor.display_name in section and "<td>2</td>" in section


def test_an_administrator_on_the_wallboard_sees_no_counsellors_high_risk_count(
    counsellor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    shift_now(counsellor)
    closed(counsellor, days_ago=0, urgency=Urgency.CRITICAL)
    board = client_for(administrator).get(reverse("console:wallboard")).content.decode()
    assert 'id="shift-risk"' not in board
