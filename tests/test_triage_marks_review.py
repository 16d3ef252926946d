"""Triage marks and the risk-signal preview as their users meet them: a counsellor sees their own
mark and can take it back; a supervisor can refuse a child's words as well as approve them; the
export names the topic that weighed most and the audit names whose words left; an administrator,
who never reads a conversation, sees counts but no child's words; a preview of lines that hold no
phrase says so."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.contacts import services as contact_services
from helpline.routing import corpus
from helpline.routing.models import RiskSignal, Triage, TriageMark
from tests.factories import persona
from tests.test_triage_review import PLAN, sms_contact

ClientFor = Callable[[Staff], Client]
GLOSS = {"gloss": "I took grandmother's pills; tonight I swallow them all"}


def marked_contact(
    counsellor: Staff, client_for: ClientFor, text: str, verdict: str = "too_low"
) -> TriageMark:
    contact = sms_contact(text)
    contact_services.contact_take(counsellor, contact=contact)
    Triage.objects.create(
        contact=contact,
        score=30,
        matched=["x"],
        explanation={"signals": {"running_away": 10, "suicide": 20}},
        scored_at=timezone.now(),
    )
    assert (
        client_for(counsellor).post(f"/console/{contact.pk}/triage-mark/", {"verdict": verdict}).status_code
        == 302
    )
    return TriageMark.objects.get(contact=contact)


def test_a_counsellor_sees_the_mark_they_gave_and_can_withdraw_it(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    mark = marked_contact(counsellor, client_for, PLAN, verdict="too_high")
    client = client_for(counsellor)
    page = client.get(f"/console/{mark.contact_id}/").content.decode()
    assert "You marked this triage too high." in page
    assert 'value="withdraw"' in page
    assert client.post(f"/console/{mark.contact_id}/triage-mark/", {"verdict": "withdraw"}).status_code == 302
    assert not TriageMark.objects.filter(contact_id=mark.contact_id).exists()
    page = client.get(f"/console/{mark.contact_id}/").content.decode()
    assert "You marked this triage" not in page and 'value="withdraw"' not in page
    assert (
        AuditEvent.objects.get(action="triage.mark_withdraw", actor=counsellor).detail["verdict"]
        == "too_high"
    )
    assert (
        "0 marked too high, 0 marked too low" in client_for(supervisor).get("/risk-signals/").content.decode()
    )


def test_a_supervisor_refuses_a_childs_words_and_the_export_leaves_them_out(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    mark = marked_contact(counsellor, client_for, PLAN)
    boss = client_for(supervisor)
    assert boss.post(f"/risk-signals/marks/{mark.pk}/approve/", GLOSS).status_code == 302
    assert boss.post(f"/risk-signals/marks/{mark.pk}/refuse/").status_code == 302
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    assert "text" not in json.loads(line)
    assert "refused by" in boss.get("/risk-signals/").content.decode()
    event = AuditEvent.objects.get(action="triage.mark_refuse", actor=supervisor)
    assert event.detail["was_approved"] is True
    assert client_for(counsellor).post(f"/risk-signals/marks/{mark.pk}/refuse/").status_code == 403


def test_the_export_names_the_topic_that_weighed_most_and_the_audit_whose_words_left(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    mark = marked_contact(counsellor, client_for, PLAN)
    boss = client_for(supervisor)
    boss.post(f"/risk-signals/marks/{mark.pk}/approve/", GLOSS)
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    row = json.loads(line)
    assert row["topic"] == "suicide" and row["text"] == PLAN  # suicide added 20, running away 10
    # The line is one the corpus reads as it is: its gloss was written when it was approved.
    example = corpus.parse(line)
    assert example.topic == "suicide" and example.is_risk and example.gloss == GLOSS["gloss"]
    assert "writing their English gloss there" in boss.get("/risk-signals/").content.decode()
    export = AuditEvent.objects.filter(action="triage.marks_export").latest("seq")
    assert export.detail == {"marks": 1, "lines": 1, "with_text": 1, "contacts": [str(mark.contact_id)]}


def test_an_administrator_sees_counts_but_no_childs_words(
    counsellor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    mark = marked_contact(counsellor, client_for, "ញុំនៅក្រោមស្ពានតែម្នាក់ឯង")
    admin = client_for(administrator)
    form = {"phrases_km": "ស្ពាន", "phrases_en": "", "exclusions": "", "weight": "10"}
    preview = admin.post("/risk-signals/preview/", form).content.decode()
    assert "matched 1 of" in preview and "ញុំនៅក្រោមស្ពាន" not in preview
    assert AuditEvent.objects.get(action="risk_signal.preview", actor=administrator).detail["shown"] == 0
    page = admin.get("/risk-signals/").content.decode()
    assert "0 marked too high, 1 marked too low" in page
    assert f"/risk-signals/marks/{mark.pk}/approve/" not in page and "/risk-signals/marks/export/" not in page
    assert admin.post(f"/risk-signals/marks/{mark.pk}/approve/").status_code == 403
    assert admin.post(f"/risk-signals/marks/{mark.pk}/refuse/").status_code == 403
    assert admin.get("/risk-signals/marks/export/").status_code == 403
    assert TriageMark.objects.get(pk=mark.pk).text_approved_at is None


def test_a_preview_of_lines_without_a_phrase_says_there_is_nothing_to_match(
    supervisor: Staff, client_for: ClientFor
) -> None:
    sms_contact("ញុំនៅក្រោមស្ពានតែម្នាក់ឯង")
    form = {"phrases_km": " \n\U0001f600\n", "phrases_en": "...", "exclusions": "", "weight": "10"}
    page = client_for(supervisor).post("/risk-signals/preview/", form).content.decode()
    assert "no phrase here that a message could match" in page
    assert "would have matched" not in page


def test_a_supervisor_reads_the_childs_words_before_approving_them(
    counsellor: Staff, supervisor: Staff, administrator: Staff, client_for: ClientFor
) -> None:
    mark = marked_contact(counsellor, client_for, PLAN)
    boss = client_for(supervisor)
    signals_page = boss.get("/risk-signals/").content.decode()
    assert f'href="/risk-signals/marks/{mark.pk}/"' in signals_page
    page = boss.get(f"/risk-signals/marks/{mark.pk}/").content.decode()
    assert PLAN in page and "<code>suicide</code>" in page and "<code>risk</code>" in page
    assert f"/risk-signals/marks/{mark.pk}/approve/" in page
    read = AuditEvent.objects.filter(action="thread.view", actor=supervisor).get()
    assert read.record_id == str(mark.contact_id)
    assert client_for(administrator).get(f"/risk-signals/marks/{mark.pk}/").status_code == 403
    assert client_for(counsellor).get(f"/risk-signals/marks/{mark.pk}/").status_code == 403


def test_a_preview_counts_each_phrase_so_the_broad_one_stands_out(
    supervisor: Staff, client_for: ClientFor
) -> None:
    for text in ("ញុំទៅសាលារៀនហើយ", "ញុំហត់ណាស់ថ្ងៃនេះ", "ញុំឈ្លោះជាមួយមិត្ត", "គាត់និយាយថាចង់ស្លាប់"):
        sms_contact(text)
    form = {"phrases_km": "ចង់ស្លាប់\nញុំ", "phrases_en": "", "exclusions": "", "weight": "10"}
    page = client_for(supervisor).post("/risk-signals/preview/", form).content.decode()
    assert "matched 4 of the last 30 days' 4 messages" in page
    assert '<span lang="km">ញុំ</span> 3, <span lang="km">ចង់ស្លាប់</span> 1' in page


def signal_form(**changes: str) -> dict[str, str]:
    form = {"code": "bridge", "label_km": "ស្ពាន", "label_en": "Bridge", "weight": "10"}
    form |= {"phrases_km": "", "phrases_en": "", "exclusions": ""}
    return form | changes


def test_a_phrase_line_that_would_match_nothing_or_every_number_is_refused(
    supervisor: Staff, client_for: ClientFor
) -> None:
    boss = client_for(supervisor)
    for phrases_km, said in [
        ("ស្ពាន = abc", "a whole number of points"),  # was kept as the phrase "ស្ពាន = abc"
        ("= 5", "a whole number of points"),  # was kept as the word 5
        ("ស្ពាន = 2000", "a whole number of points"),
        ("\U0001f600", "holds nothing a message could match"),
        ("", "Write at least one word or phrase"),
    ]:
        response = boss.post("/risk-signals/", signal_form(phrases_km=phrases_km))
        assert response.status_code == 400, phrases_km
        assert said in response.content.decode(), phrases_km
    assert not RiskSignal.objects.filter(code="bridge").exists()
    assert boss.post("/risk-signals/", signal_form(phrases_km="ស្ពាន = 5\nលោតពីលើស្ពាន")).status_code == 302
    assert RiskSignal.objects.filter(code="bridge").exists()


def test_every_shipped_signal_still_saves_unchanged(supervisor: Staff, client_for: ClientFor) -> None:
    boss = client_for(supervisor)
    signals = list(RiskSignal.objects.all())
    assert signals  # the migrations seed them
    for signal in signals:
        fields = ["code", "label_km", "label_en", "phrases_km", "phrases_en", "exclusions", "weight"]
        form = {name: str(getattr(signal, name)) for name in fields}
        response = boss.post(f"/risk-signals/?edit={signal.code}", form)
        assert response.status_code == 302, (signal.code, response.content.decode()[-2000:])


def test_marking_from_the_console_redraws_only_the_triage_box(
    counsellor: Staff, client_for: ClientFor
) -> None:
    # A reload of the console empties the reply the counsellor is typing: htmx swaps the box alone.
    mark = marked_contact(counsellor, client_for, PLAN, verdict="too_low")
    client = client_for(counsellor)
    url = f"/console/{mark.contact_id}/triage-mark/"
    page = client.get(f"/console/{mark.contact_id}/").content.decode()
    assert f'hx-post="{url}"' in page and f'hx-target="#triage-{mark.contact_id}"' in page
    response = client.post(url, {"verdict": "too_high"}, HTTP_HX_REQUEST="true")
    box = response.content.decode()
    assert response.status_code == 200 and "<html" not in box
    assert f'id="triage-{mark.contact_id}"' in box and "You marked this triage too high." in box
    assert box.count("supervisors will review this triage") == 1
    response = client.post(url, {"verdict": "withdraw"}, HTTP_HX_REQUEST="true")
    assert "Your mark on this triage is withdrawn." in response.content.decode()
    assert not TriageMark.objects.filter(pk=mark.pk).exists()


def child_says(contact_id: object, text: str, *, seconds_later: int = 0) -> None:
    from helpline.conversations.models import Conversation, DeliveryStatus, Direction, Message

    conversation = Conversation.objects.get(contact_id=contact_id)
    seq = Message.objects.filter(conversation=conversation).count() + 1
    Message.objects.create(
        conversation=conversation,
        seq=seq,
        direction=Direction.INBOUND,
        text=text,
        provider="kannel",
        provider_message_id=f"m-{contact_id}-{seq}",
        status=DeliveryStatus.RECEIVED,
        created_at=timezone.now() + dt.timedelta(seconds=seconds_later),
    )


def test_the_export_carries_what_triage_scored_as_one_message_on_one_line(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    """Triage scores each of the child's messages as it comes; the counsellor judged the score of
    those before the mark. The line holds them one after another, line breaks made spaces (a corpus
    line is one message on one line), and leaves out what came after the mark."""
    contact = sms_contact(PLAN)
    child_says(contact.pk, "ម៉ាក់ខ្ញុំមិនដឹងទេ\n\nកុំប្រាប់គាត់")
    contact_services.contact_take(counsellor, contact=contact)
    Triage.objects.create(
        contact=contact, score=0, explanation={"signals": {"suicide": 5}}, scored_at=timezone.now()
    )
    client_for(counsellor).post(f"/console/{contact.pk}/triage-mark/", {"verdict": "too_low"})
    mark = TriageMark.objects.get(contact=contact)
    child_says(contact.pk, "អរគុណបង", seconds_later=5)
    boss = client_for(supervisor)
    boss.post(f"/risk-signals/marks/{mark.pk}/approve/", GLOSS)
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    row = json.loads(line)
    assert row["text"] == f"{PLAN} ម៉ាក់ខ្ញុំមិនដឹងទេ កុំប្រាប់គាត់"
    assert not corpus.problems(corpus.parse(line))
    page = boss.get(f"/risk-signals/marks/{mark.pk}/").content.decode()
    assert row["text"] in page and "អរគុណបង" not in page
    assert "One later message is left out" in page


def test_two_marks_on_one_contact_give_one_line_the_approved_verdict_deciding(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    """Two people marking the same contact gave the corpus the same text twice, perhaps under two
    labels. One line a contact: the verdict of the mark a supervisor approved last, else the newest;
    the review pages still show both marks."""
    first = marked_contact(counsellor, client_for, PLAN, verdict="too_low")
    boss = client_for(supervisor)
    assert boss.post(f"/console/{first.contact_id}/triage-mark/", {"verdict": "too_high"}).status_code == 302
    second = TriageMark.objects.get(contact_id=first.contact_id, staff=supervisor)
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    row = json.loads(line)
    assert row["verdict"] == "too_high" and row["marks"] == 2 and "text" not in row  # the newest
    assert row["verdicts"] == {"too_high": 1, "too_low": 1}
    boss.post(f"/risk-signals/marks/{first.pk}/approve/", GLOSS)
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    row = json.loads(line)
    assert row["verdict"] == "too_low" and row["label"] == "risk" and row["text"] == PLAN
    export = AuditEvent.objects.filter(action="triage.marks_export").latest("seq")
    assert export.detail["marks"] == 2 and export.detail["lines"] == 1
    assert boss.get("/risk-signals/").content.decode().count("(one of 2 marks on this contact)") == 2
    page = boss.get(f"/risk-signals/marks/{second.pk}/").content.decode()
    assert "2 people marked this contact" in page  # a counsellor and a supervisor
    # A refusal after the approval, on either mark, keeps the contact's words out: they are the same words.
    boss.post(f"/risk-signals/marks/{second.pk}/refuse/")
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    assert "text" not in json.loads(line)


def test_a_supervisor_approves_the_words_with_their_gloss_and_the_line_joins_the_corpus_as_it_is(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    """Nothing in the app let anyone write a gloss, so every exported line had an empty one and the
    corpus refused it. Approving asks for it on the words page; it can be changed while approved;
    the audit row says it was written, never what it says (the audit chain cannot forget it)."""
    mark = marked_contact(counsellor, client_for, PLAN)
    boss = client_for(supervisor)
    page = boss.get(f"/risk-signals/marks/{mark.pk}/").content.decode()
    assert 'name="gloss"' in page and 'name="topic"' in page
    assert f"/risk-signals/marks/{mark.pk}/approve/" not in boss.get("/risk-signals/").content.decode()
    refused = boss.post(f"/risk-signals/marks/{mark.pk}/approve/", {"gloss": " \n "})
    assert refused.status_code == 400 and "Write the English gloss" in refused.content.decode()
    assert TriageMark.objects.get(pk=mark.pk).text_approved_at is None
    assert (
        boss.post(f"/risk-signals/marks/{mark.pk}/approve/", {"gloss": "I took the pills\nall"}).status_code
        == 302
    )
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    example = corpus.parse(line)
    assert example.gloss == "I took the pills all" and not corpus.problems(example)
    boss.post(f"/risk-signals/marks/{mark.pk}/approve/", GLOSS)  # changed while approved
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    assert corpus.parse(line).gloss == GLOSS["gloss"]
    assert (
        "tonight I swallow them all</textarea>"
        in boss.get(f"/risk-signals/marks/{mark.pk}/").content.decode()
    )
    first, edit = AuditEvent.objects.filter(action="triage.mark_approve").order_by("seq")
    assert first.detail["gloss_chars"] == len("I took the pills all") and "edit" not in first.detail
    assert edit.detail["edit"] is True and edit.detail["gloss_changed"] is True
    assert not [e for e in (first, edit) if "pills" in json.dumps(e.detail)]


def test_a_risk_triage_missed_is_approved_with_a_topic_chosen_from_the_corpus(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    """A "risk missed" mark has no topic (triage named none): the supervisor chooses one of the
    corpus's topics when approving, and the line carries it."""
    contact = sms_contact("knhom nov krom spean mneak eng")
    contact_services.contact_take(counsellor, contact=contact)
    client_for(counsellor).post(f"/console/{contact.pk}/triage-mark/", {"verdict": "too_low"})
    mark = TriageMark.objects.get(contact=contact)
    boss = client_for(supervisor)
    page = boss.get(f"/risk-signals/marks/{mark.pk}/").content.decode()
    assert "Triage named none of the corpus" in page
    gloss = {"gloss": "I am under the bridge alone"}
    refused = boss.post(f"/risk-signals/marks/{mark.pk}/approve/", gloss)
    assert refused.status_code == 400 and "Choose the topic" in refused.content.decode()
    refused = boss.post(f"/risk-signals/marks/{mark.pk}/approve/", {**gloss, "topic": "boredom"})
    assert refused.status_code == 400
    assert (
        boss.post(f"/risk-signals/marks/{mark.pk}/approve/", {**gloss, "topic": "suicide"}).status_code == 302
    )
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    example = corpus.parse(line)
    assert example.topic == "suicide" and example.label == "risk" and example.lang == "en"
    assert AuditEvent.objects.get(action="triage.mark_approve").detail["topic"] == "suicide"


def test_erasing_the_childs_words_blanks_the_gloss_written_of_them(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    from helpline.routing.erasure import triage_erase_text

    mark = marked_contact(counsellor, client_for, PLAN)
    client_for(supervisor).post(f"/risk-signals/marks/{mark.pk}/approve/", GLOSS)
    triage_erase_text(contact_ids=[mark.contact_id])
    mark.refresh_from_db()
    assert mark.gloss == "" and mark.text_approved_at is None


def test_the_export_reads_the_marks_topics_in_one_query_however_many_contacts(
    counsellor: Staff, client_for: ClientFor
) -> None:
    """Each line's topic comes from its contact's triage: read with the marks, not once a contact."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpline.conversations.triage_review import export_lines

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            export = export_lines()
        assert all('"topic": "suicide"' in line for line in export.body.splitlines())
        return len(seen.captured_queries)

    marked_contact(counsellor, client_for, PLAN)
    one = queries()
    for n in range(3):
        marked_contact(counsellor, client_for, f"{PLAN} {n}")
    assert queries() == one


def test_a_marks_page_names_its_topic_and_label_in_the_readers_language(
    counsellor: Staff, client_for: ClientFor
) -> None:
    """The topic by its risk signal's name and the label in words; the codes only as the export
    carries them."""
    km = persona(Role.SUPERVISOR, username="km-supervisor", language="km")
    too_low = marked_contact(counsellor, client_for, PLAN)
    page = client_for(km).get(f"/risk-signals/marks/{too_low.pk}/").content.decode()
    assert "ប្រធានបទ៖ គំនិតចង់ធ្វើអត្តឃាត ស្លាក៖ ហានិភ័យ" in page, page
    assert "(ក្នុងការនាំចេញ៖ <code>suicide</code>, <code>risk</code>)" in page
    assert "ប្រធានបទ <code>" not in page
    too_high = marked_contact(persona(Role.COUNSELLOR, username="c2"), client_for, PLAN, verdict="too_high")
    en = client_for(persona(Role.SUPERVISOR, username="en-supervisor", language="en"))
    page = en.get(f"/risk-signals/marks/{too_high.pk}/").content.decode()
    assert "label: ordinary (no risk) (in the export:" in page and "<code>ordinary</code>" in page
