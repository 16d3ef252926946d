"""History steps the system wrote before line codes kept their sentence as text, in the language
active when written (Khmer for the scheduler, the staff member's own for a reply sent), so a
reader of the other language saw it untranslated. Each stored sentence this code recognises, in
English or in Khmer, becomes its line code and parameters with an empty note, so every reader sees
it in their own language. Anything else (what a person typed, a triage change's field list, which
was never translated) is left as it was and shown as stored. Going back leaves the codes: the code
before this one would show such a step by its state and who acted, without the sentence."""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations
from django.utils import translation

# The sentences as they were when this migration was written: line code → English msgid.
FIXED = {"reply_sms": "Response sent by SMS.", "reply_email": "Response sent by email."}
OVERDUE = "Overdue: %(what)s not given in time."
LATE = {"acknowledgement": "acknowledgement", "response": "response"}  # code → English msgid
RISK_OWNER = "Shows risk: given to %(name)s, the supervisor on shift."
LANGUAGES = ("en", "km")  # Khmer from the catalogue compilemessages built; without it, English only


def _in(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


def _pattern(language: str, fmt: str, name: str) -> re.Pattern[str]:
    """A translated format as a pattern: its one %(name)s becomes a group of that name."""
    text = re.escape(_in(language, fmt)).replace(re.escape(f"%({name})s"), f"(?P<{name}>.+?)")
    return re.compile(f"{text}$", re.DOTALL)


def codes_of(note: str) -> dict[str, Any] | None:
    """The line code and parameters a stored system sentence says, or None (left as stored)."""
    text = note.strip()
    for lang in LANGUAGES:
        for line, msgid in FIXED.items():
            if text == _in(lang, msgid):
                return {"line": line, "detail": {}}
        if m := _pattern(lang, OVERDUE, "what").match(text):
            late = {_in(each, english): code for code, english in LATE.items() for each in LANGUAGES}
            if m["what"] in late:
                return {"line": "overdue", "detail": {"what": late[m["what"]]}}
        if m := _pattern(lang, RISK_OWNER, "name").match(text):
            return {"line": "risk_owner", "detail": {"name": m["name"]}}
    return None


def notes_to_lines(apps: Any, schema_editor: Any) -> None:
    event = apps.get_model("feedback", "FeedbackEvent")
    # A person's note always came with the state they moved the item to; the system's without.
    rows = event.objects.filter(line="", state="").exclude(note="").only("pk", "note", "line", "detail")
    changed = []
    for row in rows.iterator(chunk_size=500):
        codes = codes_of(row.note)
        if codes is None:
            continue
        row.line, row.detail, row.note = codes["line"], codes["detail"], ""
        changed.append(row)
    event.objects.bulk_update(changed, ["line", "detail", "note"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0005_feedbackevent_line_detail")]

    operations = [migrations.RunPython(notes_to_lines, migrations.RunPython.noop)]
