"""The page of a mark's words, as a supervisor deciding on them meets it: what it reads to draw
itself, the topics it offers by name, what it says of a decision already taken, and the language
the approved line is exported under."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.contacts import services as contact_services
from helpline.routing import corpus
from helpline.routing.models import RiskSignal, TriageMark
from tests.test_triage_marks_review import GLOSS, PLAN, marked_contact
from tests.test_triage_review import sms_contact

ClientFor = Callable[[Staff], Client]


def test_the_words_page_reads_the_triage_once_however_many_marked_the_contact(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor, make_persona: Callable[..., Staff]
) -> None:
    """The line's topic and triage's are one read of the triage, and the other marks one query."""
    mark = marked_contact(counsellor, client_for, PLAN)
    boss = client_for(supervisor)
    url = f"/risk-signals/marks/{mark.pk}/"

    def read() -> list[str]:
        with CaptureQueriesContext(connection) as seen:
            page = boss.get(url)
        assert page.status_code == 200 and "suicide" in page.content.decode()
        return [q["sql"] for q in seen.captured_queries]

    read()  # the first request after sign-in also saves the session
    alone = read()
    assert len([sql for sql in alone if '"routing_triage"' in sql]) == 1
    assert boss.post(f"/console/{mark.contact_id}/triage-mark/", {"verdict": "too_high"}).status_code == 302
    other = make_persona("counsellor", username="second")
    TriageMark.objects.create(
        contact_id=mark.contact_id, staff=other, verdict="too_low", score=30, marked_at=mark.marked_at
    )
    assert len(read()) == len(alone)


def test_the_topics_to_choose_from_are_named_in_the_readers_language(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor, make_persona: Callable[..., Staff]
) -> None:
    """The choices showed the corpus's codes (online_exploitation); they are named as the risk
    signals of those codes are, in Khmer or English, and still send the code."""
    mark = marked_contact(counsellor, client_for, PLAN)
    url = f"/risk-signals/marks/{mark.pk}/"
    page = client_for(supervisor).get(url).content.decode()
    assert '<option value="online_exploitation">Online sexual exploitation</option>' in page
    assert "triage's: Suicide</option>" in page  # suicide weighed most
    assert ">online_exploitation<" not in page and ">immediate_danger<" not in page
    khmer = client_for(make_persona("supervisor", username="km-supervisor", language="km"))
    page = khmer.get(url).content.decode()
    khmer_names = dict(RiskSignal.objects.values_list("code", "label_km"))
    assert '<option value="online_exploitation">ការកេងប្រវ័ញ្ចផ្លូវភេទតាមអនឡាញ</option>' in page
    for code in corpus.TOPICS:
        assert f'<option value="{code}">{khmer_names[code]}</option>' in page
    assert f"{khmer_names['suicide']}</option>" in page.split('<option value="suicide">')[0]  # triage's


def test_the_marks_on_the_risk_signals_page_are_said_to_be_counsellors_and_supervisors(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor, make_persona: Callable[..., Staff]
) -> None:
    """Supervisors mark triage too, and their marks are counted and listed with the counsellors':
    the heading said "by counsellors"."""
    mark = marked_contact(counsellor, client_for, PLAN)
    boss = client_for(supervisor)
    assert boss.post(f"/console/{mark.contact_id}/triage-mark/", {"verdict": "too_high"}).status_code == 302
    page = boss.get("/risk-signals/").content.decode()
    assert "<h2>Triage marked wrong by counsellors and supervisors</h2>" in page
    assert "1 marked too high, 1 marked too low" in page
    khmer = client_for(make_persona("supervisor", username="km-supervisor", language="km"))
    page = khmer.get("/risk-signals/").content.decode()
    assert "<h2>ការវាយតម្លៃហានិភ័យ ដែលអ្នកប្រឹក្សា និងអ្នកត្រួតពិនិត្យការងារសម្គាល់ថាខុស</h2>" in page
    page = khmer.get(f"/risk-signals/marks/{mark.pk}/").content.decode()
    assert "បុគ្គលិកចំនួន 2 នាក់បានសម្គាល់ការទាក់ទងនេះ" in page


def test_a_decided_mark_says_its_decision_can_be_changed_and_what_changing_it_does(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor, make_persona: Callable[..., Staff]
) -> None:
    """Approving a refused mark clears the refusal, and refusing an approved one the approval, by
    design; the page said only who decided."""
    mark = marked_contact(counsellor, client_for, PLAN)
    boss = client_for(supervisor)
    url = f"/risk-signals/marks/{mark.pk}/"
    assert "The decision can be changed" not in boss.get(url).content.decode()  # nothing decided yet
    boss.post(f"/risk-signals/marks/{mark.pk}/refuse/")
    page = boss.get(url).content.decode()
    assert "The decision can be changed: approving below lets the child's words go out" in page
    khmer = client_for(make_persona("supervisor", username="km-supervisor", language="km"))
    assert "ការសម្រេចនេះអាចប្ដូរបាន៖ ការអនុម័តខាងក្រោម" in khmer.get(url).content.decode()
    assert boss.post(f"/risk-signals/marks/{mark.pk}/approve/", GLOSS).status_code == 302
    page = boss.get(url).content.decode()
    assert "The decision can be changed: refusing takes the child's words out of the export" in page
    assert "approving below" not in page


def test_khmer_typed_in_latin_letters_is_approved_as_such_and_exported_as_km_latn(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    """The line's lang was guessed from the letters, which cannot tell Khmer typed in Latin letters
    from English: such words left as "en". The supervisor says which when approving (the guess
    offered first), the mark keeps it, the line carries it and the audit row records it."""
    said = "knhom nov krom spean mneak eng"
    contact = sms_contact(said)
    contact_services.contact_take(counsellor, contact=contact)
    client_for(counsellor).post(f"/console/{contact.pk}/triage-mark/", {"verdict": "too_low"})
    mark = TriageMark.objects.get(contact=contact)
    boss = client_for(supervisor)
    url = f"/risk-signals/marks/{mark.pk}/"
    page = boss.get(url).content.decode()
    assert '<option value="en" selected>English</option>' in page  # the guess
    assert '<option value="km-Latn">Khmer in Latin letters</option>' in page
    assert '<option value="km"' not in page  # no Khmer letters: a km line would fail the corpus's check
    approve = {"gloss": "I am under the bridge alone", "topic": "suicide"}
    refused = boss.post(f"{url}approve/", {**approve, "lang": "latin"})
    assert refused.status_code == 400 and "Choose one of the corpus" in refused.content.decode()
    assert boss.post(f"{url}approve/", {**approve, "lang": "km-Latn"}).status_code == 302
    assert TriageMark.objects.get(pk=mark.pk).lang == "km-Latn"
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    example = corpus.parse(line)
    assert example.lang == "km-Latn" and example.text == said and example.topic == "suicide"
    assert '<option value="km-Latn" selected>' in boss.get(url).content.decode()
    event = AuditEvent.objects.get(action="triage.mark_approve")
    assert event.detail["lang"] == "km-Latn" and event.detail["lang_before"] == ""
    assert boss.post(f"{url}approve/", {**approve, "lang": "en"}).status_code == 302  # changed while approved
    edit = AuditEvent.objects.filter(action="triage.mark_approve").latest("seq")
    assert edit.detail["lang"] == "en" and edit.detail["lang_before"] == "km-Latn" and edit.detail["edit"]
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    assert corpus.parse(line).lang == "en"


def test_a_language_the_words_letters_rule_out_is_not_exported(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    """Approval is routing's and the words are not (they live above it), so a language posted
    for words whose letters rule it out is kept, but the line takes the guess and stays one the
    corpus reads."""
    mark = marked_contact(counsellor, client_for, PLAN)  # Khmer letters only
    boss = client_for(supervisor)
    assert (
        boss.post(f"/risk-signals/marks/{mark.pk}/approve/", {**GLOSS, "lang": "km-Latn"}).status_code == 302
    )
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    assert corpus.parse(line).lang == "km"


def test_erasing_the_childs_words_leaves_the_language_with_the_topic(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    """The gloss renders the words and goes with them; the language, like the topic, names a kind
    of message and stays with the mark (whose approval the erasure withdraws)."""
    from helpline.routing.erasure import triage_erase_text

    mark = marked_contact(counsellor, client_for, PLAN)
    client_for(supervisor).post(
        f"/risk-signals/marks/{mark.pk}/approve/", {**GLOSS, "topic": "self_harm", "lang": "km"}
    )
    triage_erase_text(contact_ids=[mark.contact_id])
    mark.refresh_from_db()
    assert (mark.gloss, mark.text_approved_at) == ("", None)
    assert (mark.topic, mark.lang) == ("self_harm", "km")
