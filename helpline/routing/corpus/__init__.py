"""The labelled corpus of children's messages (messages.jsonl, described in README.md): what triage
is trained on (split "train") and measured on (split "heldout", never used for training)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PATH = Path(__file__).with_name("messages.jsonl")
TOPICS = (
    "suicide",
    "self_harm",
    "sexual_abuse",
    "violence_at_home",
    "trafficking",
    "running_away",
    "online_exploitation",
    "immediate_danger",
)
LABELS = ("risk", "ordinary")
SPLITS = ("train", "heldout")
LANGS = ("km", "km-Latn", "en", "mixed")


@dataclass(frozen=True)
class Example:
    id: str
    split: str
    topic: str
    label: str
    lang: str
    text: str
    gloss: str

    @property
    def is_risk(self) -> bool:
        return self.label == "risk"


_KHMER = re.compile("[\u1780-\u17ff]")
_LATIN = re.compile("[A-Za-z]")
# A line is one message as a child typed it: no line break of any kind inside it (JSON would
# escape one, but the line would then be several messages read as one).
BREAK_CHARS = "\n\r\v\f\x1c-\x1e\x85\u2028\u2029"  # for a regular expression's [...]
_BREAK = re.compile(f"[{BREAK_CHARS}]")


def lang_of(text: str) -> str:
    """The `lang` a line of this text is given when no one chose it: Khmer letters and Latin ones
    "mixed", Khmer alone "km", else "en" (Khmer typed in Latin letters cannot be told from English
    here: a person says "km-Latn")."""
    khmer, latin = bool(_KHMER.search(text)), bool(_LATIN.search(text))
    return "mixed" if khmer and latin else "km" if khmer else "en"


def script_fits(lang: str, text: str) -> bool:
    """km has Khmer letters (a brand name in Latin letters may sit among them); km-Latn and en have
    none; mixed has Latin letters (beside Khmer, or English beside Khmer typed in Latin letters)."""
    khmer, latin = bool(_KHMER.search(text)), bool(_LATIN.search(text))
    return {"km": khmer, "km-Latn": not khmer, "en": not khmer, "mixed": latin}.get(lang, False)


def problems(example: Example) -> list[str]:
    """What keeps this line out of the corpus (empty when nothing does): the rules every line of
    messages.jsonl keeps, applied as well to a line exported from counsellors' marks."""
    found = [
        name
        for name, known in (("split", SPLITS), ("topic", TOPICS), ("label", LABELS), ("lang", LANGS))
        if getattr(example, name) not in known
    ]
    if not example.text.strip():
        found.append("text is empty")
    elif _BREAK.search(example.text):
        found.append("text has a line break")
    elif example.lang in LANGS and not script_fits(example.lang, example.text):
        found.append("text is not in the script its lang says")
    if not example.gloss.strip():
        found.append("gloss is empty")
    return found


def parse(line: str) -> Example:
    """One line of the corpus, refused (ValueError) if any of its fields breaks the rules above."""
    row = json.loads(line)
    example = Example(**{k: str(row[k]) for k in ("id", "split", "topic", "label", "lang", "text", "gloss")})
    wrong = problems(example)
    if wrong:
        raise ValueError(f"corpus line {example.id!r}: {'; '.join(wrong)}")
    return example


@cache
def examples(path: Path = PATH) -> tuple[Example, ...]:
    with path.open(encoding="utf-8") as lines:
        return tuple(parse(line) for line in lines if line.strip())


def split(name: str) -> tuple[Example, ...]:
    return tuple(e for e in examples() if e.split == name)
