"""Timeline entries written before line codes kept a sentence in the language of whoever acted (a
partner on the English portal, a counsellor in Khmer). Each stored sentence whose shape this code
still recognises, in English or in Khmer, is turned into its line code and parameters, leaving in
`summary` only words a person typed (a goal, a partner's note, a sign-off comment), so every reader
sees the sentence in their own language. A sentence that matches no shape is left as it was and
shown as stored. Going back leaves the codes: the code before this one would show such an entry
by its kind and who acted, without the sentence (the typed words stay in `summary`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.db import migrations
from django.utils import translation

# The labels as they were when this migration was written: code, English msgid (the enums of
# helpline.cases.models and helpline.referrals.models).
ROLES = {"household": "Household member", "alleged_perpetrator": "Alleged perpetrator"}
RISKS = {"low": "Low risk", "medium": "Medium risk", "high": "High risk", "critical": "Critical risk"}
GOALS = {"planned": "Planned", "in_progress": "In progress", "achieved": "Achieved", "dropped": "Dropped"}
FOLLOW_UPS = {
    "call_back": "Call the child back",
    "referral_check": "Check on a referral",
    "visit": "Visit with a partner",
    "other": "Other",
}
REASONS = {
    "client_asked": "The client asked",
    "emergency": "Emergency",
    "risk_to_life": "Risk to life",
    "law_broken": "A law was broken",
}
SIGN_OFFS = {"pending": "Awaiting sign-off", "approved": "Approved", "questioned": "Questioned"}
REFERRAL_STATUSES = {
    "draft": "Draft",
    "sent": "Sent",
    "acknowledged": "Acknowledged",
    "accepted": "Accepted",
    "declined": "Declined",
    "delivered": "Service delivered",
    "closed": "Closed",
    "expired": "Expired",
}
# A referral step's words after "number to partner: ", by the line code it now has.
REFERRAL_PHRASES = {
    "referral_draft_changed": "draft changed",
    "referral_note": "note",
    "referral_suspended": "partner suspended: its link is held",
    "referral_resumed": "suspension lifted: its link works again",
}
TO = "%(number)s to %(partner)s: %(what)s"
OVERDUE = "%(number)s to %(partner)s: not acknowledged in time"
PARTNER_NOTE = "%(number)s: note from %(partner)s: %(note)s"
RISK = "Risk: %(old)s → %(new)s"
LANGUAGES = ("en", "km")  # Khmer from the catalogue compilemessages built; without it, English only


def _in(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


def _names(labels: dict[str, str]) -> dict[str, str]:
    """Each label, in each language, → its code."""
    return {_in(lang, english): code for code, english in labels.items() for lang in LANGUAGES}


def _pattern(language: str, fmt: str, **parts: str) -> re.Pattern[str]:
    """A translated format as a pattern: each %(name)s becomes the given regex (a group)."""
    text = re.escape(_in(language, fmt))
    for name, regex in parts.items():
        text = text.replace(re.escape(f"%({name})s"), regex)
    return re.compile(f"{text}$", re.DOTALL)


def _referral(summary: str, detail: dict[str, Any]) -> dict[str, str] | None:
    """A referral step's codes (line, partner, status) and the partner's words, or None."""
    number = re.escape(str(detail.get("referral", "")))
    if not number:
        return None
    statuses = _names(REFERRAL_STATUSES)
    phrases = {_in(lang, phrase): line for line, phrase in REFERRAL_PHRASES.items() for lang in LANGUAGES}
    for lang in LANGUAGES:
        found = _pattern(lang, PARTNER_NOTE, number=number, partner="(?P<partner>.+?)", note="(?P<note>.*)")
        if m := found.match(summary):
            return {"line": "referral_partner_note", "partner": m["partner"], "summary": m["note"]}
        if m := _pattern(lang, OVERDUE, number=number, partner="(?P<partner>.+)").match(summary):
            return {"line": "referral_overdue", "partner": m["partner"], "summary": ""}
        for what, line in phrases.items():
            found = _pattern(lang, TO, number=number, partner="(?P<partner>.+)", what=re.escape(what))
            if m := found.match(summary):
                return {"line": line, "partner": m["partner"], "summary": ""}
        m = _pattern(lang, TO, number=number, partner="(?P<partner>.+)", what="(?P<what>[^:]+)").match(
            summary
        )
        if m and m["what"] in statuses:
            return {
                "line": "referral_status",
                "partner": m["partner"],
                "status": statuses[m["what"]],
                "summary": "",
            }
    return None


def _risk(summary: str) -> dict[str, str] | None:
    risks = _names(RISKS)
    for lang in LANGUAGES:
        m = _pattern(lang, RISK, old="(?P<old>.+)", new="(?P<new>.+)").match(summary)
        if m and m["old"] in risks and m["new"] in risks:
            return {"line": "risk", "risk_old": risks[m["old"]], "risk_new": risks[m["new"]], "summary": ""}
    return None


def _goal(summary: str) -> dict[str, str] | None:
    goals = _names(GOALS)
    text, sep, moved = summary.rpartition(" · ")
    old, arrow, new = moved.partition(" → ")
    if sep and arrow and old in goals and new in goals:
        return {"line": "goal_status", "status_old": goals[old], "status_new": goals[new], "summary": text}
    return None


def _label(summary: str, labels: dict[str, str], line: str, key: str) -> dict[str, str] | None:
    code = _names(labels).get(summary)
    return {"line": line, key: code, "summary": ""} if code else None


def _sign_off(summary: str) -> dict[str, str] | None:
    for name, code in _names(SIGN_OFFS).items():
        if summary == name or summary.startswith(f"{name}: "):
            return {"line": "sign_off", "decision": code, "summary": summary[len(name) + 2 :]}
    return None


def codes_of(kind: str, summary: str, detail: dict[str, Any]) -> dict[str, str] | None:
    """The codes a stored sentence says, with what remains of it as typed (`summary`), or None."""
    if kind == "referral":
        return _referral(summary, detail)
    if kind == "profile_changed":
        return _risk(summary)
    if kind == "goal_changed":
        return _goal(summary)
    if kind == "person_added":
        return _label(summary, ROLES, "person_role", "role")
    if kind == "break_recorded":
        return _label(summary, REASONS, "break_reason", "reason")
    if kind == "follow_up_scheduled":
        return _label(summary, FOLLOW_UPS, "follow_up_kind", "what")
    if kind == "break_signed_off":
        return _sign_off(summary)
    return None


KINDS = (
    "referral",
    "profile_changed",
    "goal_changed",
    "person_added",
    "break_recorded",
    "follow_up_scheduled",
    "break_signed_off",
)


def _old_rows(event: Any) -> Iterator[Any]:
    rows = event.objects.filter(kind__in=KINDS).exclude(summary="").only("pk", "kind", "summary", "detail")
    for row in rows.iterator(chunk_size=500):
        if "line" not in (row.detail or {}):
            yield row


def sentences_to_codes(apps: Any, schema_editor: Any) -> None:
    event = apps.get_model("cases", "CaseEvent")
    changed = []
    for row in _old_rows(event):
        codes = codes_of(row.kind, row.summary, dict(row.detail or {}))
        if codes is None:
            continue
        row.summary = codes.pop("summary")
        row.detail = dict(row.detail or {}) | codes
        changed.append(row)
    # The historical model has no AppendOnly.save(): this is the one rewrite of these rows.
    event.objects.bulk_update(changed, ["summary", "detail"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_case_legal_hold_and_erasure")]

    operations = [migrations.RunPython(sentences_to_codes, migrations.RunPython.noop)]
