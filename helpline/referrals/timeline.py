"""A referral's steps on the case timeline, in the reader's language. The referral's writers store
codes (case_record_referral's `line`, the referral's number, the partner's name, the status); these
renderers make the sentence when the case page is read. The cases app (a floor below) holds the
table; ReferralsConfig.ready() adds these to it."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from helpline.cases.timeline import LineRenderer, label
from helpline.referrals.models import ReferralStatus

STATUS = "referral_status"
DRAFT_CHANGED = "referral_draft_changed"
STAFF_NOTE = "referral_note"
OVERDUE = "referral_overdue"
SUSPENDED = "referral_suspended"
RESUMED = "referral_resumed"
PARTNER_NOTE = "referral_partner_note"


def partner_name(detail: Mapping[str, str]) -> str:
    """The partner's Khmer name for a reader in Khmer when it has one, else its name (an entry
    written before the Khmer name was kept has only the name)."""
    khmer = detail.get("partner_km", "")
    if khmer and (get_language() or "km").startswith("km"):
        return khmer
    return detail.get("partner", "")


def _to(detail: Mapping[str, str], what: str) -> str:
    return _("%(number)s to %(partner)s: %(what)s") % {
        "number": detail.get("referral", ""),
        "partner": partner_name(detail),
        "what": what,
    }


def _overdue(detail: Mapping[str, str], summary: str) -> str:
    return _("%(number)s to %(partner)s: not acknowledged in time") % {
        "number": detail.get("referral", ""),
        "partner": partner_name(detail),
    }


def _partner_note(detail: Mapping[str, str], summary: str) -> str:
    """The partner's words as typed; once erased, the step remains without them."""
    names = {"number": detail.get("referral", ""), "partner": partner_name(detail)}
    if not summary:
        return _("%(number)s: note from %(partner)s") % names
    return _("%(number)s: note from %(partner)s: %(note)s") % (names | {"note": summary})


LINES: dict[str, LineRenderer] = {
    STATUS: lambda detail, summary: _to(detail, label(ReferralStatus, detail.get("status", ""))),
    DRAFT_CHANGED: lambda detail, summary: _to(detail, _("draft changed")),
    STAFF_NOTE: lambda detail, summary: _to(detail, _("note")),
    OVERDUE: _overdue,
    SUSPENDED: lambda detail, summary: _to(detail, _("partner suspended: its link is held")),
    RESUMED: lambda detail, summary: _to(detail, _("suspension lifted: its link works again")),
    PARTNER_NOTE: _partner_note,
}
