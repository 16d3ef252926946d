"""Keeping stored search words in the form searches use. When the normal form changes (it did when
Khmer spelling variants were made one), stored rows are brought up to date in batches: each batch is
its own short transaction, so a million contacts never hold one long lock (bench/contacts.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection, transaction

from helpline.common.text import normalise
from helpline.contacts.search_text import index_text

BATCH = 2000

# The search words other apps keep, rebuilt by the same command: each entry, added by its app's
# ready() (this app never imports those above it), rebuilds its rows and returns (name, changed).
REBUILDERS: list[Callable[[], tuple[str, int]]] = []


def renormalised(stored: str) -> str:
    """Stored words (already segmented) put in today's normal form: about 50 µs a row, where
    segmenting the summary again costs about a millisecond."""
    found = normalise(stored)  # words stay apart: the spaces between them are kept
    return f" {found} " if found else ""


def rebuild_search_text(
    model: Any,
    *,
    resegment: bool = False,
    batch: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Bring every contact's search_text to today's form; returns how many rows changed. `model`:
    the Contact model (a migration passes its historical one). `resegment`: segment each summary
    again (exact, slow) instead of renormalising the stored words (fast)."""
    changed = seen = 0
    last = None
    meta = model._meta
    pk_field = meta.pk
    quote = connection.ops.quote_name
    # Names quoted from the model's own metadata; values always passed as parameters.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {quote(meta.get_field('search_text').column)} = %s "  # noqa: S608  # nosec B608
        f"WHERE {quote(pk_field.column)} = %s"
    )
    while True:
        rows = model.objects.order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        page = list(rows.values_list("pk", "summary", "search_text")[:batch])
        if not page:
            return changed
        last = page[-1][0]
        updates = []
        for pk, summary, stored in page:
            fresh = index_text(summary) if resegment else renormalised(stored)
            if fresh != stored:
                updates.append((fresh, pk_field.get_db_prep_value(pk, connection)))
        if updates:
            # One prepared UPDATE a row (executemany): bulk_update's CASE statement is ten times slower.
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, updates)
        changed += len(updates)
        seen += len(page)
        if progress is not None:
            progress(seen, changed)
