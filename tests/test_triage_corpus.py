"""The labelled corpus triage is trained and measured on: its shape, balance and held-out part."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest

from helpline.routing import corpus
from helpline.routing.corpus import examples, parse


def test_the_corpus_has_enough_messages_balanced_across_topics_and_labels() -> None:
    found = examples()
    assert len(found) >= 300
    assert len({e.id for e in found}) == len(found)
    assert len({e.text for e in found}) == len(found)
    by_topic_label = Counter((e.topic, e.label) for e in found)
    for topic in corpus.TOPICS:
        risk, ordinary = by_topic_label[(topic, "risk")], by_topic_label[(topic, "ordinary")]
        assert risk >= 15 and ordinary >= 15, topic
        assert abs(risk - ordinary) <= 3, topic


# The held-out part as it was fixed (160 lines, 10 of each topic and label): a digest of its lines, so
# that no change to it (an edit, a line moved between splits, one added or dropped) goes unnoticed.
HELD_OUT_DIGEST = "58168e21a0cf37c01bdc214f2426433682649ee2ffb426474141cfe1346f2e5e"


def held_out_digest() -> str:
    held = sorted(corpus.split("heldout"), key=lambda e: e.id)
    lines = (json.dumps([e.id, e.topic, e.label, e.lang, e.text, e.gloss], ensure_ascii=False) for e in held)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_every_topic_and_label_has_a_held_out_part_that_stays_as_written() -> None:
    """The held-out part stays as it was written (so figures stay comparable) while the training
    part grows: ten of each topic and label, unchanged line for line."""
    found = examples()
    for topic in corpus.TOPICS:
        for label in corpus.LABELS:
            held = [e for e in found if e.topic == topic and e.label == label and e.split == "heldout"]
            assert len(held) >= 10, (topic, label)
    assert held_out_digest() == HELD_OUT_DIGEST


def test_no_text_is_in_both_parts() -> None:
    """Compared in normal form: a spelling variant of a held-out line is the same line."""
    from helpline.common.text import normalise

    held = {normalise(e.text) for e in corpus.split("heldout")}
    assert not [e.id for e in corpus.split("train") if normalise(e.text) in held]


def test_no_training_message_is_a_near_copy_of_a_held_out_one() -> None:
    """A training line that nearly repeats a held-out one would let the held-out figures measure
    memory, not generalisation. Compared as character n-grams of the normal form."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from helpline.common.text import normalise

    train, held = corpus.split("train"), corpus.split("heldout")
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))
    vectoriser.fit([normalise(e.text) for e in (*train, *held)])
    similarity = (
        vectoriser.transform([normalise(e.text) for e in train])
        @ vectoriser.transform([normalise(e.text) for e in held]).T
    )
    too_close = [train[i].id for i in set(similarity.multiply(similarity > 0.6).nonzero()[0])]
    assert not too_close


def test_the_corpus_writes_as_children_write() -> None:
    texts = [e.text for e in examples()]
    langs = Counter(e.lang for e in examples())
    assert langs["km"] >= 150 and langs["km-Latn"] >= 40 and langs["en"] >= 40
    # Spelling variants that are different code points, each in several messages.
    for variant in ("\u17c6\u17bb", "\u17d2\u178f\u17b6\u1799", "\u17b2\u17d2\u1799", "អោយ", "\u200b"):
        assert sum(variant in t for t in texts) >= 3, variant
    for pronoun in ("ញុំ", "អញ", "គ្នា", "ប្អូន", "អូន", "កូន", "knhom", "oun"):
        assert sum(pronoun in t for t in texts) >= 3, pronoun


def test_each_line_is_in_the_script_its_language_says() -> None:
    """km has Khmer letters (a brand name in Latin letters may sit among them); km-Latn and en have
    none; mixed has Latin letters. The rule is the corpus module's (parse applies it, and so does
    the check of a line exported from counsellors' marks)."""
    assert not [e.id for e in examples() if not corpus.script_fits(e.lang, e.text)]
    assert corpus.script_fits("km", "ញុំ Facebook") and not corpus.script_fits("en", "ញុំ")
    assert corpus.script_fits("mixed", "ញុំ ok") and not corpus.script_fits("mixed", "ញុំ")


def line(**changes: str) -> str:
    row = {"id": "x", "split": "train", "topic": "suicide", "label": "risk", "lang": "en"}
    return json.dumps(row | {"text": "hi", "gloss": "hi"} | changes)


def test_a_line_with_an_unknown_topic_is_refused() -> None:
    with pytest.raises(ValueError):
        parse(line(topic="boredom"))


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"gloss": " "}, "gloss is empty"),
        ({"text": "first message\nsecond message"}, "line break"),
        ({"text": "first\u2028second"}, "line break"),
        ({"text": "ញុំ"}, "script"),
        ({"text": " "}, "text is empty"),
    ],
)
def test_a_line_that_is_not_one_glossed_message_in_its_script_is_refused(
    changes: dict[str, str], said: str
) -> None:
    """Every line of the corpus keeps these rules (parse reads the file with them); a line that
    breaks one says which."""
    assert parse(line()).text == "hi"
    with pytest.raises(ValueError, match=said):
        parse(line(**changes))
