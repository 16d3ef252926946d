"""Feedback and complaints: recorded from every channel, worked through received → acknowledged →
investigating → responded → closed with due dates, answered by the way they came, flagged to
supervisors when overdue, and never shown to the staff member they are about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.channels.base import InboundText
from helpline.contacts import services as contact_services
from helpline.contacts.forms import ClassificationForm
from helpline.contacts.models import Channel, Contact, Status
from helpline.conversations.models import Direction, Message
from helpline.conversations.services import text_receive
from helpline.feedback import figures, selectors, services
from helpline.feedback.intake import feedback_from_contacts
from helpline.feedback.models import Feedback, FeedbackKind, ReplyChannel, Source, State, Subject
from helpline.feedback.services import FeedbackError, feedback_flag_overdue, feedback_receive
from helpline.referrals.models import PartnerConcern
from tests.factories import persona
from tests.partner_factories import add_partner
from tests.smtp import smtp_server, text_of

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Staff], Client]


def complaint(actor: Staff | str = "web form", **kwargs: object) -> Feedback:
    values: dict[str, object] = {
        "source": Source.STAFF,
        "kind": FeedbackKind.COMPLAINT,
        "text": "Nobody answered",
    }
    values.update(kwargs)
    return feedback_receive(actor, **values)  # type: ignore[arg-type]


def walk(item: Feedback, supervisor: Staff, *states: str, response: str = "We are sorry.") -> Feedback:
    for state in states:
        item = services.feedback_advance(supervisor, feedback=item, state=state, response=response)
    return item


def test_a_complaint_goes_through_its_course_with_due_dates(supervisor: Staff) -> None:
    item = complaint(supervisor)
    assert item.state == State.RECEIVED
    assert item.acknowledge_by - item.received_at == dt.timedelta(days=2)
    assert item.respond_by - item.received_at == dt.timedelta(days=14)
    item = walk(item, supervisor, State.ACKNOWLEDGED, State.INVESTIGATING, State.RESPONDED, State.CLOSED)
    assert item.state == State.CLOSED
    assert item.acknowledged_at and item.responded_at and item.closed_at
    assert item.response == "We are sorry."
    assert item.owner == supervisor
    assert [e.state for e in item.events.exclude(state="")] == [
        "received",
        "acknowledged",
        "investigating",
        "responded",
        "closed",
    ]
    assert AuditEvent.objects.filter(action="feedback.state", record_id=str(item.pk)).count() == 4


def test_a_step_out_of_order_is_refused_and_changes_nothing(supervisor: Staff) -> None:
    item = complaint(supervisor)
    with pytest.raises(FeedbackError) as refused:
        services.feedback_advance(supervisor, feedback=item, state=State.RESPONDED, response="x")
    assert refused.value.conflict
    item.refresh_from_db()
    assert item.state == State.RECEIVED and item.response == ""


def test_responding_needs_the_response_given(supervisor: Staff) -> None:
    item = walk(complaint(supervisor), supervisor, State.ACKNOWLEDGED)
    with pytest.raises(FeedbackError):
        services.feedback_advance(supervisor, feedback=item, state=State.RESPONDED, response="  ")


def test_due_dates_follow_the_settings(supervisor: Staff) -> None:
    services.settings_update(supervisor, changes={"acknowledge_days": 1, "respond_days": 7})
    item = complaint(supervisor)
    assert item.acknowledge_by - item.received_at == dt.timedelta(days=1)
    assert item.respond_by - item.received_at == dt.timedelta(days=7)


def test_a_complaint_about_a_staff_member_is_never_visible_to_them(
    supervisor: Staff, counsellor: Staff
) -> None:
    other_supervisor = persona(Role.SUPERVISOR, username="sup2")
    about_counsellor = complaint(other_supervisor, subject=Subject.STAFF, subject_staff=counsellor)
    about_supervisor = complaint(other_supervisor, subject=Subject.STAFF, subject_staff=supervisor)
    assert about_counsellor in selectors.feedback_visible_to(supervisor)
    assert about_supervisor not in selectors.feedback_visible_to(supervisor)
    assert about_supervisor in selectors.feedback_visible_to(other_supervisor)
    assert not selectors.feedback_visible_to(counsellor).filter(pk=about_counsellor.pk).exists()
    with pytest.raises(FeedbackError):
        services.feedback_advance(supervisor, feedback=about_supervisor, state=State.ACKNOWLEDGED)


def test_the_staff_member_a_complaint_is_about_gets_404_on_its_page(
    supervisor: Staff, client_for: ClientFor
) -> None:
    other = persona(Role.SUPERVISOR, username="sup2")
    item = complaint(other, subject=Subject.STAFF, subject_staff=supervisor)
    page = client_for(supervisor).get(reverse("feedback:detail", args=[item.pk]))
    assert page.status_code == 404
    listing = client_for(supervisor).get(reverse("feedback:list"))
    assert item.short_id not in listing.content.decode()
    assert client_for(other).get(reverse("feedback:detail", args=[item.pk])).status_code == 200


def test_a_counsellor_who_records_a_complaint_about_themselves_cannot_read_it(
    counsellor: Staff, client_for: ClientFor
) -> None:
    response = client_for(counsellor).post(
        reverse("feedback:new"),
        {
            "kind": "complaint",
            "subject": "staff",
            "subject_staff": counsellor.username,
            "severity": "low",
            "text": "I was late",
        },
    )
    assert response.status_code == 302
    item = Feedback.objects.get()
    assert client_for(counsellor).get(reverse("feedback:detail", args=[item.pk])).status_code == 404


def test_a_counsellor_sees_only_what_they_recorded_or_own(supervisor: Staff, counsellor: Staff) -> None:
    mine = complaint(counsellor)
    theirs = complaint(supervisor)
    visible = set(selectors.feedback_visible_to(counsellor))
    assert mine in visible and theirs not in visible
    services.feedback_update(supervisor, feedback=theirs, owner=counsellor)
    assert theirs in selectors.feedback_visible_to(counsellor)


def test_nobody_owns_a_complaint_about_themselves(supervisor: Staff, counsellor: Staff) -> None:
    item = complaint(supervisor, subject=Subject.STAFF, subject_staff=counsellor)
    with pytest.raises(FeedbackError):
        services.feedback_update(supervisor, feedback=item, owner=counsellor)


def test_a_complaint_about_a_partner_lands_in_its_concerns_log(supervisor: Staff) -> None:
    partner = add_partner(persona(Role.CASE_MANAGER, username="keeper"))
    item = complaint(supervisor, subject=Subject.PARTNER, subject_partner=partner, severity="low")
    concern = PartnerConcern.objects.get(partner=partner)
    assert item.partner_concern == concern
    assert item.short_id in concern.description


def test_a_partner_named_at_triage_also_lands_in_its_concerns_log(supervisor: Staff) -> None:
    partner = add_partner(persona(Role.CASE_MANAGER, username="keeper"))
    item = complaint("web form", source=Source.WEB_FORM, subject=Subject.PARTNER, subject_words="the shelter")
    assert not PartnerConcern.objects.exists()
    services.feedback_update(supervisor, feedback=item, subject=Subject.PARTNER, subject_partner=partner)
    assert PartnerConcern.objects.filter(partner=partner).count() == 1


def test_the_scheduler_flags_overdue_complaints_once_and_they_stay_listed(
    supervisor: Staff, client_for: ClientFor
) -> None:
    late = complaint(supervisor, received_at=timezone.now() - dt.timedelta(days=3))
    on_time = complaint(supervisor)
    assert feedback_flag_overdue() == 1
    assert feedback_flag_overdue() == 0
    late.refresh_from_db()
    assert late.overdue_flagged_at is not None
    assert list(selectors.feedback_overdue(supervisor)) == [late]
    assert AuditEvent.objects.filter(action="feedback.overdue", record_id=str(late.pk)).count() == 1
    page = client_for(supervisor).get(reverse("feedback:list")).content.decode()
    overdue_part = page.split('id="overdue"')[1].split("</section>")[0]
    assert late.short_id in overdue_part and on_time.short_id not in overdue_part
    walk(late, supervisor, State.ACKNOWLEDGED)
    assert not selectors.feedback_overdue(supervisor).exists()


def test_the_respond_deadline_is_flagged_after_a_late_acknowledgement(supervisor: Staff) -> None:
    item = complaint(supervisor, received_at=timezone.now() - dt.timedelta(days=15))
    walk(item, supervisor, State.ACKNOWLEDGED)
    assert feedback_flag_overdue() == 1


def _recorded(counsellor: Staff, kind: str, summary: str) -> Contact:
    contact = Contact.objects.create(
        channel=Channel.VOICE, status=Status.ACTIVE, arrived_at=timezone.now(), counsellor=counsellor
    )
    form = ClassificationForm(
        contact_services.contact_form_data(contact) | {"kind": kind, "summary": summary}
    )
    assert form.is_valid(), form.errors
    return contact_services.contact_record(counsellor, contact=contact, data=form.cleaned_data)


def test_a_contact_recorded_as_a_complaint_becomes_an_item_once(counsellor: Staff) -> None:
    contact = _recorded(counsellor, "complaint", "The caller waited an hour")
    assert [t.code for t in contact.reasons.all()] == ["non_counselling.complaint"]
    _recorded(counsellor, "counselling_never", "x") if False else None
    assert feedback_from_contacts() == 1
    assert feedback_from_contacts() == 0
    item = Feedback.objects.get()
    assert (item.source, item.kind, item.contact, item.recorded_by) == (
        "contact",
        "complaint",
        contact,
        counsellor,
    )
    assert item.text == "The caller waited an hour"


def test_a_contact_recorded_as_feedback_counts_under_chis_non_counselling_reason(counsellor: Staff) -> None:
    contact = _recorded(counsellor, "feedback", "Thank you for helping my sister")
    assert [t.code for t in contact.reasons.all()] == ["non_counselling.thanks"]
    assert feedback_from_contacts() == 1
    assert Feedback.objects.get().kind == FeedbackKind.FEEDBACK


def test_an_sms_keyword_makes_an_item_and_the_response_goes_back_by_sms(
    supervisor: Staff, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        text_receive(
            InboundText("kannel", "kw-1", "+85512345001", "1280", "FEEDBACK the counsellor was kind")
        )
        text_receive(InboundText("kannel", "kw-2", "+85512345002", "1280", "hello I need help"))
    item = Feedback.objects.get()
    assert (item.source, item.text, item.reply_channel) == ("sms", "the counsellor was kind", "sms")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        walk(item, supervisor, State.ACKNOWLEDGED, State.RESPONDED, response="Thank you for telling us.")
    reply = Message.objects.get(direction=Direction.OUTBOUND, text="Thank you for telling us.")
    assert reply.conversation.contact == item.contact
    item.refresh_from_db()
    assert item.reply_sent_at is not None


def test_a_khmer_keyword_works_without_a_space(django_capture_on_commit_callbacks: object) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        text_receive(InboundText("kannel", "kw-km", "+85512345003", "1280", "មតិសេវាល្អណាស់"))
    assert Feedback.objects.get().source == Source.SMS


def test_an_email_response_goes_by_real_smtp(
    supervisor: Staff, settings: object, django_capture_on_commit_callbacks: object
) -> None:
    with smtp_server() as mailbox:
        for key, value in mailbox.django_settings().items():
            setattr(settings, key, value)
        item = complaint(
            "web form",
            source=Source.WEB_FORM,
            reply_channel=ReplyChannel.EMAIL,
            reply_address="kid@example.org",
        )
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            walk(
                item, supervisor, State.ACKNOWLEDGED, State.RESPONDED, response="We have spoken to the team."
            )
        [sent] = mailbox.wait_for(1)
    assert mailbox.recipients == [["kid@example.org"]]
    assert "We have spoken to the team." in text_of(sent)
    item.refresh_from_db()
    assert item.reply_sent_at is not None and item.reply_error == ""


def test_figures_count_complaints_by_subject_outcome_and_time_to_respond(supervisor: Staff) -> None:
    start = timezone.now() - dt.timedelta(days=1)
    walk(complaint(supervisor), supervisor, State.ACKNOWLEDGED, State.RESPONDED)
    complaint(supervisor, subject=Subject.STAFF, subject_staff=persona(Role.COUNSELLOR, username="c9"))
    complaint(supervisor, kind=FeedbackKind.FEEDBACK)
    found = figures.complaint_figures(start, timezone.now() + dt.timedelta(minutes=1))
    assert found.total == 2
    assert found.by_subject == {"helpline": 1, "staff": 1, "partner": 0}
    assert found.by_state["responded"] == 1 and found.by_state["received"] == 1
    assert found.responded == found.responded_in_time == 1
    assert found.median_hours_to_respond is not None and found.median_hours_to_respond < 1


# --- Pages: allowed and refused ------------------------------------------------------------------


def test_a_supervisor_works_a_complaint_from_its_page(supervisor: Staff, client_for: ClientFor) -> None:
    item = complaint()
    client = client_for(supervisor)
    url = reverse("feedback:advance", args=[item.pk])
    assert client.post(url, {"state": "acknowledged"}).status_code == 302
    assert client.post(url, {"state": "closed"}).status_code == 302
    item.refresh_from_db()
    assert item.state == State.CLOSED


def test_a_counsellor_may_not_move_on_a_complaint_they_only_recorded(
    counsellor: Staff, client_for: ClientFor
) -> None:
    item = complaint(counsellor)
    response = client_for(counsellor).post(
        reverse("feedback:advance", args=[item.pk]), {"state": "acknowledged"}
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.state == State.RECEIVED


def test_a_data_officer_may_not_open_the_feedback_list(data_officer: Staff, client_for: ClientFor) -> None:
    assert client_for(data_officer).get(reverse("feedback:list")).status_code == 403


def test_the_settings_are_kept_by_supervisors(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    data = {
        "acknowledge_days": 3,
        "respond_days": 10,
        "sms_keywords": "មតិ FEEDBACK",
        "survey_enabled": "on",
        "survey_helpful": "on",
    }
    assert client_for(counsellor).post(reverse("feedback:settings"), data).status_code == 403
    assert client_for(supervisor).post(reverse("feedback:settings"), data).status_code == 302
    found = services.feedback_settings()
    assert (found.acknowledge_days, found.respond_days, found.survey_enabled, found.survey_heard) == (
        3,
        10,
        True,
        False,
    )


def test_a_supervisor_names_a_partner_at_triage_from_the_page(
    supervisor: Staff, client_for: ClientFor
) -> None:
    partner = add_partner(persona(Role.CASE_MANAGER, username="keeper"))
    item = complaint("web form", source=Source.WEB_FORM, subject=Subject.PARTNER, subject_words="a shelter")
    data = {
        "severity": "high",
        "owner": "",
        "subject": "partner",
        "subject_staff": "",
        "subject_partner": str(partner.pk),
    }
    assert client_for(supervisor).post(reverse("feedback:triage", args=[item.pk]), data).status_code == 302
    item.refresh_from_db()
    assert (item.subject_partner, item.severity) == (partner, "high")
    assert PartnerConcern.objects.get(partner=partner).severity == "serious"


def test_a_counsellor_may_not_triage_a_complaint_they_do_not_own(
    counsellor: Staff, client_for: ClientFor
) -> None:
    item = complaint(counsellor)
    data = {"severity": "high", "subject": "helpline"}
    assert client_for(counsellor).post(reverse("feedback:triage", args=[item.pk]), data).status_code == 403
    item.refresh_from_db()
    assert item.severity == "medium"


def test_feedback_entered_from_a_contact_is_linked_to_it(counsellor: Staff, client_for: ClientFor) -> None:
    contact = Contact.objects.create(
        channel=Channel.VOICE, status=Status.ACTIVE, arrived_at=timezone.now(), counsellor=counsellor
    )
    contact.handlers.add(counsellor)
    url = reverse("feedback:new") + f"?contact={contact.pk}"
    assert client_for(counsellor).get(url).status_code == 200
    data = {
        "kind": "feedback",
        "subject": "helpline",
        "severity": "low",
        "text": "Thanks",
        "contact": str(contact.pk),
    }
    assert client_for(counsellor).post(url, data).status_code == 302
    item = Feedback.objects.get()
    assert (item.contact, item.source, item.recorded_by) == (contact, Source.CONTACT, counsellor)


def test_the_history_names_the_web_form_and_the_scheduler_in_khmer(client_for: ClientFor) -> None:
    reader = persona(Role.SUPERVISOR, username="km-supervisor", language="km")
    item = complaint("web form", source=Source.WEB_FORM, received_at=timezone.now() - dt.timedelta(days=3))
    assert feedback_flag_overdue() == 1
    page = client_for(reader).get(reverse("feedback:detail", args=[item.pk])).content.decode()
    history = page.split('class="timeline"')[1].split("</ol>")[0]
    assert history.count("<li>") == 2
    assert "web form" not in history.lower() and "scheduler" not in history
    assert "ទម្រង់លើគេហទំព័រ" in history and "ប្រព័ន្ធកំណត់ពេល" in history
