"""Erasing what a call-back holds: the voice app's writer for retention and for a person's erasure
request. The call-back row stays (who called back when: counted), the words a supervisor wrote for
it go ("she asked us to call at 5, her father's phone" names a child's circumstances)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db.models import Q

from helpline.voice.models import Callback


def callbacks_erase_reasons(*, contact_ids: Iterable[UUID]) -> int:
    """Blank the reason of each call-back made for, or as, one of these contacts; returns how many.
    The caller's erasure writes the audit row (counts only) in the same transaction."""
    ids = list(contact_ids)
    if not ids:
        return 0
    return (
        Callback.objects.filter(Q(contact_id__in=ids) | Q(missed__contact_id__in=ids))
        .exclude(reason="")
        .update(reason="")
    )
