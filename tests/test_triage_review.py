"""The second scorer explained and failing open; counsellors marking a triage wrong; the risk-signal
page's preview of a phrase on the last 30 days and the export of marks as labelled examples."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from helpline.accounts.models import Staff
from helpline.audit.models import AuditEvent
from helpline.contacts import services as contact_services
from helpline.contacts.models import Channel, Contact, Status, Urgency
from helpline.conversations.models import Conversation, DeliveryStatus, Direction, Message
from helpline.routing import context
from helpline.routing.models import Triage, TriageMark
from helpline.routing.selectors import waiting_queue, wallboard
from helpline.routing.triage import score_text, triage_contact

ClientFor = Callable[[Staff], Client]


def normalise_text(text: str) -> str:
    from helpline.common.text import normalise

    return normalise(text)


def corpus_topics() -> tuple[str, ...]:
    from helpline.routing.corpus import TOPICS

    return TOPICS


# Risk said without any listed phrase: a plan, a means and a time (not a corpus message).
PLAN = "ញុំលួចយកថ្នាំរបស់យាយទុកហើយ យប់នេះនឹងលេបទាំងអស់"


@pytest.fixture
def fresh_model() -> Iterator[None]:
    context.forget()
    yield
    context.forget()


def sms_contact(text: str, minutes_ago: int = 0, status: str = Status.WAITING) -> Contact:
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    contact = Contact.objects.create(channel=Channel.SMS, status=status, arrived_at=at)
    conversation = Conversation.objects.create(
        channel=Channel.SMS, gateway="kannel", local_address="1280", contact=contact, last_message_at=at
    )
    Message.objects.create(
        conversation=conversation,
        seq=1,
        direction=Direction.INBOUND,
        text=text,
        provider="kannel",
        provider_message_id=f"m-{contact.pk}",
        status=DeliveryStatus.RECEIVED,
        created_at=at,
    )
    return contact


def test_risk_without_a_listed_phrase_is_caught_by_the_second_scorer_and_explained(db: None) -> None:
    scored = score_text(PLAN)
    assert scored.points == {}  # no keyword signal matched
    assert scored.model is not None and scored.model.is_risk and scored.model_points == 10
    earlier = sms_contact("ម៉ាក់ទិញនំឱ្យញុំ", minutes_ago=10)
    later = sms_contact(PLAN, minutes_ago=1)
    triage, newly_high = triage_contact(later, PLAN, scored=scored)
    assert newly_high and Contact.objects.get(pk=later.pk).urgency == Urgency.URGENT
    assert list(waiting_queue()) == [later, earlier]  # moved up; the ordinary one still waits
    part = triage.model_part
    assert part["scorer"] == "char-ngram" and part["probability"] >= context.THRESHOLD
    assert part["words"] and part["nearest"] and all(n["gloss"] for n in part["nearest"])


def test_the_counsellor_sees_which_scorer_and_why(counsellor: Staff, client_for: ClientFor) -> None:
    contact = sms_contact(PLAN)
    triage_contact(contact, PLAN)
    contact_services.contact_take(counsellor, contact=contact)
    page = client_for(counsellor).get(f"/console/{contact.pk}/").content.decode()
    assert "Context model" in page and "Closest labelled examples" in page
    keyword = sms_contact("ខ្ញុំចង់ស្លាប់")
    triage_contact(keyword, "ខ្ញុំចង់ស្លាប់")
    contact_services.contact_take(counsellor, contact=keyword)
    page = client_for(counsellor).get(f"/console/{keyword.pk}/").content.decode()
    assert "Risk signals (words a supervisor listed)" in page and "ចង់ស្លាប់" in page


def test_the_examples_shown_are_of_the_harm_named_and_in_the_childs_script(
    counsellor: Staff, client_for: ClientFor
) -> None:
    """An example of another harm, or an English gloss on a Khmer page, points a counsellor away
    from what this child wrote."""
    beaten = "ញុំខ្លាចប៉ាវាយញុំរាល់យប់ គាត់ស្រវឹងហើយយកខ្សែក្រវាត់វាយ"
    scored = score_text(beaten)
    assert scored.model is not None and scored.model.is_risk
    topic = scored.model.topic
    assert scored.model.nearest, "an assessment flagged risk names its closest examples"
    for near in scored.model.nearest:
        assert near["topic"] == topic
        assert any("\u1780" <= ch <= "\u17ff" for ch in near["text"])
    contact = sms_contact(beaten)
    triage_contact(contact, beaten, scored=scored)
    contact_services.contact_take(counsellor, contact=contact)
    counsellor.language = "km"
    counsellor.save(update_fields=["language"])
    page = client_for(counsellor).get(f"/console/{contact.pk}/").content.decode()
    assert "ឧទាហរណ៍មានស្លាកដែលជិតបំផុត" in page  # the page is in Khmer
    for near in scored.model.nearest:
        assert near["text"] in page and near["gloss"] not in page


def test_a_score_never_goes_down_and_nothing_scored_is_hidden(db: None) -> None:
    first = sms_contact("hello", minutes_ago=5)
    second = sms_contact("hi", minutes_ago=3)
    assert triage_contact(first, "what time is it")[0] is None  # nothing found: nothing written
    assert list(waiting_queue()) == [first, second]  # arrival order
    triage, _ = triage_contact(second, "ខ្ញុំចង់ស្លាប់")
    score = triage.score
    again, _ = triage_contact(second, "ញុំកាត់ដៃពេលធ្វើម្ហូប")  # a lighter signal adds, never lowers
    assert again.score >= score
    assert list(waiting_queue()) == [second, first]


def test_when_the_model_cannot_load_keywords_still_work_and_the_wallboard_says_so(
    fresh_model: None, monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)  # scikit-learn not installed
    scored = score_text("ខ្ញុំចង់ស្លាប់")
    assert scored.model is None and scored.points == {"suicide": 20}
    board = wallboard()
    assert not board.second_scorer_on and "sklearn" in board.second_scorer_reason


def test_the_wallboard_page_says_the_second_scorer_is_off(
    fresh_model: None, supervisor: Staff, client_for: ClientFor
) -> None:
    with override_settings(TRIAGE_MODEL="off"):
        page = client_for(supervisor).get("/wallboard/").content.decode()
        assert "the context model is OFF" in page
        assert score_text(PLAN).model is None
    page = client_for(supervisor).get("/wallboard/").content.decode()
    assert "keyword signals and the context model are both on" in page


def test_a_model_turned_back_on_builds_at_once_soon_after_boot(
    fresh_model: None, monkeypatch: pytest.MonkeyPatch, db: None
) -> None:
    """The retry delay is for a failed build only: a machine's monotonic clock starts at its boot,
    so 'never failed' (0) read as a time kept the model off for the first five minutes."""
    monkeypatch.setattr(context.time, "monotonic", lambda: 100.0)
    with override_settings(TRIAGE_MODEL="off"):
        assert context.status(load=True).state == "off"
    assert context.status(load=True).state == "on"


def test_a_counsellor_marks_a_triage_wrong_and_supervisors_count_it(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    contact = sms_contact("ក្ដៅចង់ងាប់ ភ្លើងដាច់")
    contact_services.contact_take(counsellor, contact=contact)
    client = client_for(counsellor)
    # Nothing scored yet: nothing to call too high, only a risk triage may have missed.
    page = client.get(f"/console/{contact.pk}/").content.decode()
    assert 'value="too_high"' not in page and "Triage wrong?" not in page and "Risk missed?" in page
    assert "Triage found no risk in these messages." in page  # the button is not left unexplained
    triage, _high = triage_contact(contact, PLAN)
    assert triage is not None
    page = client.get(f"/console/{contact.pk}/").content.decode()
    assert f"/console/{contact.pk}/triage-mark/" in page
    assert client.post(f"/console/{contact.pk}/triage-mark/", {"verdict": "sideways"}).status_code == 400
    assert client.post(f"/console/{contact.pk}/triage-mark/", {"verdict": "too_low"}).status_code == 302
    client.post(f"/console/{contact.pk}/triage-mark/", {"verdict": "too_low"})  # once per counsellor
    mark = TriageMark.objects.get(contact=contact)
    assert mark.verdict == "too_low" and mark.staff == counsellor
    assert AuditEvent.objects.filter(action="triage.mark", actor=counsellor).count() == 1
    signals_page = client_for(supervisor).get("/risk-signals/").content.decode()
    assert "0 marked too high, 1 marked too low" in signals_page
    # Someone who does not hold the contact cannot mark it.
    other = sms_contact("hello")
    assert client.post(f"/console/{other.pk}/triage-mark/", {"verdict": "too_high"}).status_code == 404


def test_marks_export_with_the_childs_words_only_once_a_supervisor_approved(
    counsellor: Staff, supervisor: Staff, client_for: ClientFor
) -> None:
    contact = sms_contact("ញុំនៅក្រោមស្ពានតែម្នាក់ឯង")
    contact_services.contact_take(counsellor, contact=contact)
    client_for(counsellor).post(f"/console/{contact.pk}/triage-mark/", {"verdict": "too_low"})
    boss = client_for(supervisor)
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    row = json.loads(line)
    assert row["label"] == "risk" and "text" not in row
    mark = TriageMark.objects.get(contact=contact)
    assert client_for(counsellor).post(f"/risk-signals/marks/{mark.pk}/approve/").status_code == 403
    approval = {"gloss": "I am under the bridge all alone", "topic": "suicide"}
    assert boss.post(f"/risk-signals/marks/{mark.pk}/approve/", approval).status_code == 302
    [line] = boss.get("/risk-signals/marks/export/").content.decode().splitlines()
    row = json.loads(line)
    assert row["text"] == "ញុំនៅក្រោមស្ពានតែម្នាក់ឯង" and row["lang"] == "km"
    assert AuditEvent.objects.filter(action="triage.mark_approve", actor=supervisor).exists()
    export = AuditEvent.objects.filter(action="triage.marks_export").latest("seq")
    assert export.detail == {"marks": 1, "lines": 1, "with_text": 1, "contacts": [str(contact.pk)]}
    assert client_for(counsellor).get("/risk-signals/marks/export/").status_code == 403


def test_a_phrase_is_previewed_on_the_last_30_days_before_it_is_saved(
    supervisor: Staff, counsellor: Staff, client_for: ClientFor
) -> None:
    sms_contact("ម៉ាក់ចាក់សោទ្វារពេលទៅផ្សារ")
    sms_contact("គេចាក់សោខ្ញុំក្នុងបន្ទប់")
    sms_contact("ចាក់សោ ចាស់ពេក", minutes_ago=31 * 24 * 60)  # older than 30 days
    form = {"phrases_km": "ចាក់សោ", "phrases_en": "", "exclusions": "", "weight": "20"}
    response = client_for(supervisor).post("/risk-signals/preview/", form)
    page = response.content.decode()
    assert response.status_code == 200
    assert "matched 2 of the last 30 days' 2 messages" in page
    assert "គេចាក់សោខ្ញុំក្នុងបន្ទប់" in page  # the supervisor may read children's messages
    event = AuditEvent.objects.get(action="risk_signal.preview")
    assert event.detail["matched"] == 2 and event.detail["shown"] == 2
    narrower = {**form, "phrases_km": "ចាក់សោខ្ញុំ"}
    assert "matched 1 of" in client_for(supervisor).post("/risk-signals/preview/", narrower).content.decode()
    assert client_for(counsellor).post("/risk-signals/preview/", form).status_code == 403
    assert not Contact.objects.filter(triage__isnull=False).exists()  # a preview changes nothing
    assert not Triage.objects.exists()


def test_a_server_process_builds_the_model_in_the_background_on_its_first_request(
    fresh_model: None, client: Client, db: None
) -> None:
    import threading

    context._warming.clear()
    with override_settings(TRIAGE_MODEL_WARM=True):
        assert client.get("/healthz").status_code == 200
        [thread] = [t for t in threading.enumerate() if t.name == "triage-model-warm-up"]
        thread.join(timeout=120)
    assert context.status().state == "on" and context.model() is not None
    context._warming.clear()


def test_the_fast_scoring_path_gives_scikit_learns_probabilities(db: None) -> None:
    from helpline.common.text import normalise
    from helpline.routing.corpus import split

    model = context.model()
    assert model is not None and model.by_topic
    forms = [normalise(e.text) for e in split("heldout")]
    expected = model.reference_probability(forms)
    for form, probability in zip(forms, expected, strict=True):
        assert abs(model.probability(form) - probability) < 1e-9


def test_the_model_names_the_topic_it_found(db: None) -> None:
    """One classifier per topic: the strongest one names the topic the counsellor sees."""
    assessment = context.assess(normalise_text(PLAN))
    assert assessment is not None and assessment.is_risk
    assert assessment.topic == "suicide"
    model = context.model()
    assert model is not None and set(model.classes) == {*corpus_topics(), context.ORDINARY}


def test_the_words_named_as_the_reason_are_never_everyday_words(db: None) -> None:
    """Words that weighed most: "នៅ, i, and" tells a counsellor nothing: words of many messages,
    English grammar words and punctuation weigh in the score but are not named as its reason."""
    from helpline.routing.corpus import split

    model = context.model()
    assert model is not None
    assert {"នៅ", "ផ្ទះ", "i", "and"} <= model.everyday and "វាយ" not in model.everyday
    assert not model.tells(["i", "and"]) and not model.tells(["."]) and model.tells(["វាយ", "ញុំ"])
    risky = [e for e in split("train") if e.is_risk][::8]
    named = [w for e in risky if (a := context.assess(normalise_text(e.text))) and a.is_risk for w in a.words]
    assert len(named) > 100
    assert all(model.tells(w.split()) for w in named)


def test_the_held_out_part_is_never_trained_on() -> None:
    """Held-out lines changed in any way (labels flipped, texts swapped) leave the model's weights
    exactly as they were: it only ever reads the training part."""
    import dataclasses

    from helpline.routing.corpus import examples

    found = examples()
    changed = tuple(
        dataclasses.replace(e, label="ordinary" if e.is_risk else "risk", text=e.text[::-1])
        if e.split == "heldout"
        else e
        for e in found
    )
    words = lambda form: form.split()  # noqa: E731 (no segmenter needed to compare weights)
    one, other = context.ContextModel(found, words=words), context.ContextModel(changed, words=words)
    assert all(e.split == "train" for e in one.examples)
    assert one.features == other.features
    assert (one.coef == other.coef).all() and (one.intercept == other.intercept).all()


def test_while_the_model_is_being_built_a_message_is_scored_by_keywords_at_once(
    fresh_model: None, db: None
) -> None:
    import time

    context._warming.set()  # a background build has started (it holds the lock)
    assert context._status.lock.acquire(timeout=5)
    try:
        started = time.monotonic()
        scored = score_text("ខ្ញុំចង់ស្លាប់")
        assert time.monotonic() - started < 2  # did not wait for the build
        assert scored.model is None and scored.points == {"suicide": 20}
        board = wallboard()
        assert board.second_scorer_starting and not board.second_scorer_on
    finally:
        context._status.lock.release()
        context._warming.clear()
