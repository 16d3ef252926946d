"""The labelled corpus of children's messages (messages.jsonl, described in README.md): what triage
is trained on (split "train") and measured on (split "heldout", never used for training)."""

from __future__ import annotations

import json
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


def parse(line: str) -> Example:
    row = json.loads(line)
    example = Example(**{k: str(row[k]) for k in ("id", "split", "topic", "label", "lang", "text", "gloss")})
    if (
        example.split not in SPLITS
        or example.topic not in TOPICS
        or example.label not in LABELS
        or example.lang not in LANGS
        or not example.text.strip()
    ):
        raise ValueError(f"corpus line {example.id!r} has an unknown field value")
    return example


@cache
def examples(path: Path = PATH) -> tuple[Example, ...]:
    with path.open(encoding="utf-8") as lines:
        return tuple(parse(line) for line in lines if line.strip())


def split(name: str) -> tuple[Example, ...]:
    return tuple(e for e in examples() if e.split == name)
