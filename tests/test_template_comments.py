"""Django's {# #} comment ends on its own line: one spread over two lines is not a comment, and the
console showed its text to counsellors above every contact. Longer notes use {% comment %}."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "helpline").rglob("templates/**/*.html"))


def test_every_short_comment_in_a_template_closes_on_its_line() -> None:
    assert len(TEMPLATES) > 50
    open_comments = [
        f"{path.relative_to(path.parents[3])}:{number}"
        for path in TEMPLATES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any("#}" not in rest for rest in re.split(r"\{#", line)[1:])
    ]
    assert open_comments == []
