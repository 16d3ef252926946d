"""Erasing what triage kept of a child's words: the routing app's writer for retention and for a
person's erasure request (called where message text is erased, helpline.conversations.erasure).

Triage stores the phrases that matched and the words the second scorer weighed most, for the
counsellor's explanation; both come from the message, so they go with its text. What is counted
stays: the score, the signals and their points, the model's topic and probability. A supervisor's
approval to export the child's words is withdrawn, and the English gloss a supervisor wrote of
them is blanked: there are no words left to approve or render. The topic and language chosen with
the approval stay: they name a kind of message (a risk, a script), not what it says."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.db.models import Q

from helpline.routing.models import Triage, TriageMark

# The parts of a triage's model explanation taken from the message (or shown beside it).
_MODEL_TEXT = ("words", "nearest")


def triage_erase_text(*, contact_ids: Iterable[UUID]) -> int:
    """Blank the matched phrases and the explanation's words of these contacts' triage. Returns
    how many triages held any. No audit row of its own: the caller's erasure writes one."""
    ids = list(contact_ids)
    if not ids:
        return 0
    erased = 0
    with transaction.atomic():
        for triage in Triage.objects.select_for_update().filter(contact_id__in=ids):
            explanation = dict(triage.explanation or {})
            model = dict(triage.model_part)
            held = bool(triage.matched) or any(model.get(k) for k in _MODEL_TEXT)
            if not held:
                continue
            if "model" in explanation:
                explanation["model"] = {k: v for k, v in model.items() if k not in _MODEL_TEXT}
            Triage.objects.filter(pk=triage.pk).update(matched=[], explanation=explanation)
            erased += 1
        # The gloss renders the words in English: it goes with them.
        TriageMark.objects.filter(contact_id__in=ids).filter(~Q(text_approved_at=None) | ~Q(gloss="")).update(
            text_approved_at=None, text_approved_by=None, gloss=""
        )
    return erased
