"""The audit trail in its reader's language. Rows keep what was stored (the chain's hash covers
it): an action's value and, for a refusal, a short English reason; the pages show their labels."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpline.accounts.models import Role
from helpline.accounts.permissions import PERMISSION_NAMES, Permission
from helpline.accounts.vetting import VETTING_REASONS
from helpline.audit.actions import AuditAction
from helpline.common.actors import SYSTEM_ACTORS

_ROLE_LACKS = re.compile(r"^role (\S+) lacks (\S+)$")
_TOKEN_LACKS = re.compile(r"^token lacks scope (.+)$")
_GATE = "safeguarding gate: "
_VETTING_NOT_CURRENT = gettext_lazy("Vetting is not current.")


def action_label(action: str) -> str:
    """The action's name in the active language; a value no member has (an old or foreign row)
    as it was stored."""
    try:
        return str(AuditAction(action).label)
    except ValueError:
        return action


# The record types rows name, as their reader calls them. The apps that write them sit above audit,
# so the names live here rather than in their models; a type not named here is shown as stored.
RECORD_TYPES: dict[str, Promise] = {
    "contact": gettext_lazy("Contact"),
    "case": gettext_lazy("Case"),
    "referral": gettext_lazy("Referral"),
    "staff": gettext_lazy("Staff member"),
    "partner": gettext_lazy("Partner"),
    "shift": gettext_lazy("Shift"),
    "rota": gettext_lazy("Rota"),
    "feedback": gettext_lazy("Feedback"),
    "report": gettext_lazy("Report"),
    "report_document": gettext_lazy("Report"),
    "risk_signal": gettext_lazy("Risk signal"),
    "audit": gettext_lazy("Audit trail"),
    "retention": gettext_lazy("Retention"),
    "caller": gettext_lazy("Caller"),
    "message": gettext_lazy("Message"),
    "api_token": gettext_lazy("Integration token"),
    "policy": gettext_lazy("Child Protection Policy"),
    "data_request": gettext_lazy("Request about a person's records"),
    "review": gettext_lazy("Quality review"),
    "criterion": gettext_lazy("Review rubric line"),
    "debrief": gettext_lazy("Debrief"),
    "shift_pattern": gettext_lazy("Weekly shift pattern"),
    "term": gettext_lazy("Code list entry"),
    "retention_policy": gettext_lazy("Retention periods"),
    "case_settings": gettext_lazy("Case settings"),
    "feedback_settings": gettext_lazy("Feedback settings"),
    "referral_settings": gettext_lazy("Referral settings"),
    "canned_reply": gettext_lazy("Canned reply"),
    # the web chat and SMS settings page's sections (conversations.settings_services)
    "canned": gettext_lazy("Canned reply"),
    "period": gettext_lazy("Opening hours"),
    "holiday": gettext_lazy("Holiday"),
    "block": gettext_lazy("Blocked number"),
    "keyword": gettext_lazy("Blocked word"),
}


def record_type_label(record_type: str) -> str:
    """The record type's name in the active language; one not named here as it was stored."""
    name = RECORD_TYPES.get(record_type)
    return str(name) if name is not None else record_type


def permission_label(code: str) -> str:
    """What a refused permission gives, in the active language; a code no permission has (one
    since removed) as it was stored."""
    try:
        return str(PERMISSION_NAMES[Permission(code)])
    except (ValueError, KeyError):
        return code


# The roles rows carry beside the staff roles: a part of the system acting on its own, an API token.
_OTHER_ROLES: dict[str, Promise] = {
    "system": gettext_lazy("System"),
    "integration": gettext_lazy("Integration"),
}


def role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        other = _OTHER_ROLES.get(role)
        return str(other) if other is not None else role  # a role since removed


# Who acted when no staff member did, by the word services store (helpline.accounts.principals.
# Actor): the row keeps the word, which the chain's hash covers; the page says whom it names.
ACTORS: dict[str, Promise] = {
    **SYSTEM_ACTORS,
    "routing": gettext_lazy("routing (queue and triage)"),
    "system": gettext_lazy("the system"),
    "maintenance": gettext_lazy("a maintenance command"),
    "anonymous": gettext_lazy("someone not signed in"),
    "gateway:webchat": gettext_lazy("Web chat"),
    "scheduler:retention": SYSTEM_ACTORS["retention"],  # operations.retention.SYSTEM
    "demo": gettext_lazy("Demo data"),  # demo.rota.ACTOR, seeding a demo's rota
}
# "<kind>:<name>": the name after the colon is a gateway's, a token's or a link's own.
ACTOR_KINDS: dict[str, Promise] = {
    "gateway": gettext_lazy("SMS gateway (%(name)s)"),
    "outbox": gettext_lazy("outgoing messages (%(name)s)"),
    "pbx": gettext_lazy("phone exchange (%(name)s)"),
    "token": gettext_lazy("integration token “%(name)s”"),
}
PARTNER_LINK = "partner-link"
# What an app above audit knows of the actors it writes, looked up once for a page of rows: kind →
# a function from the names after the colon to what each is called (referrals registers the
# partner links' partners from its ready(): audit never imports it).
ACTOR_NAMERS: dict[str, Callable[[list[str]], dict[str, str]]] = {}


def actor_label(label: str, known: dict[str, str] | None = None) -> str:
    """Who a non-staff row's stored actor word names, in the active language; `known`, what a
    registered namer said of it. A word not known is shown as stored."""
    if (fixed := ACTORS.get(label)) is not None:
        return str(fixed)
    kind, colon, name = label.partition(":")
    if not colon:
        return label
    if kind == PARTNER_LINK:
        partner = (known or {}).get(label)
        if partner:
            return _("partner link of %(partner)s") % {"partner": partner}
        return _("a partner link")
    pattern = ACTOR_KINDS.get(kind)
    return str(pattern) % {"name": name} if pattern is not None else label


def actor_labels(labels: Iterable[str]) -> dict[str, str]:
    """Each stored actor word of a page's non-staff rows and what the page calls it, each kind's
    registered namer asked once."""
    words = set(labels)
    asked: dict[str, list[str]] = {}
    for word in words:
        kind, colon, name = word.partition(":")
        if colon and kind in ACTOR_NAMERS:
            asked.setdefault(kind, []).append(name)
    known = {
        f"{kind}:{name}": called
        for kind, names in asked.items()
        for name, called in ACTOR_NAMERS[kind](names).items()
    }
    return {word: actor_label(word, known) for word in words}


@cache
def _vetting_reasons() -> dict[str, Promise]:
    """Each gate reason as stored in any of the languages (the gate wrote the person's own),
    back to its message."""
    found: dict[str, Promise] = {"vetting is not current": _VETTING_NOT_CURRENT}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.update({str(reason): reason for reason in VETTING_REASONS})
    return found


def reason_label(reason: str) -> str:
    """A refusal's stored reason in the active language. Anything else (a reason a person typed,
    such as why a number was shown) is their words and is shown as written."""
    if reason == "not signed in":
        return _("Not signed in.")
    if reason == "no access rule declared for this page":
        return _("The page declares no access rule.")
    if match := _ROLE_LACKS.match(reason):
        return _("The role “%(role)s” does not give “%(permission)s”.") % {
            "role": role_label(match[1]),
            "permission": permission_label(match[2]),
        }
    if match := _TOKEN_LACKS.match(reason):
        return _("The token lacks the scope “%(scopes)s”.") % {"scopes": match[1]}
    if reason.startswith(_GATE):
        known = _vetting_reasons()
        parts = [str(known.get(part, part)) for part in reason[len(_GATE) :].split("; ")]
        return _("Safeguarding gate: %(reasons)s") % {"reasons": " ".join(parts)}
    return reason
