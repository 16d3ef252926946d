"""Contact-level exports (CSV and XLSX): the contact list's rows, as a file.

The rows start from contact_search, so from contacts_visible_to: an export can never hold a contact
its reader could not open in the list (a counsellor exports the contacts they handled, a data
officer none, and the view refuses them at the door). Each export is audited in the same
transaction as it is made, with its filters and how many rows it held.

Spreadsheet safety: in the CSV a cell that a spreadsheet would run as a formula gets a leading
apostrophe (common.text.spreadsheet_cell); in the XLSX every text is a string cell, which a
spreadsheet never runs, so it is written as it is."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from helpline.accounts.principals import Principal
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.text import spreadsheet_cell
from helpline.contacts.models import Contact
from helpline.contacts.selectors import ContactFilters, contact_search

FileFormat = Literal["csv", "xlsx"]
# Beyond this many contacts an export is refused: narrow the filters (a file that size is read by
# no one, and leaves the building whole).
EXPORT_LIMIT = 50_000
HEADER = [
    "id", "arrived", "channel", "direction", "status", "kind", "urgency", "language", "age",
    "gender", "province", "region", "caller_type", "reasons", "actions", "counsellor",
    "wait_seconds", "talk_seconds", "summary",
]  # fmt: skip
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportTooLarge(ValueError):
    """More contacts match than one export may hold."""


@dataclass(frozen=True)
class ContactExport:
    content: bytes
    rows: int
    file_format: FileFormat

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.file_format]

    @property
    def filename(self) -> str:
        return f"contacts-{timezone.localdate():%Y-%m-%d}.{self.file_format}"


def filters_for_audit(filters: ContactFilters) -> dict[str, str]:
    """The filters as the audit keeps them: a phone number searched for is never written down."""
    kept = {k: str(v) for k, v in filters.__dict__.items() if v and k != "address"}
    return kept | ({"address": "by number"} if filters.address else {})


def _code(term: object) -> str:
    return str(getattr(term, "code", "") or "")


def contact_export_rows(viewer: Principal, filters: ContactFilters) -> Iterator[list[str]]:
    """The header, then a row per contact the viewer may see that matches, newest first, as text."""
    qs = (
        contact_search(viewer, filters)
        .select_related("counsellor", "gender", "province", "region", "caller_type")
        .prefetch_related("reasons", "actions")
        .order_by("-arrived_at", "-id")
    )
    zone = timezone.get_current_timezone()
    yield HEADER
    contact: Contact
    for contact in qs.iterator(chunk_size=1000):
        age = "over 25" if contact.age_over_25 else ("" if contact.age is None else str(contact.age))
        yield [
            str(contact.pk),
            contact.arrived_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            contact.channel, contact.direction, contact.status, contact.kind, contact.urgency,
            contact.language, age, _code(contact.gender), _code(contact.province),
            _code(contact.region), _code(contact.caller_type),
            ";".join(sorted(t.code for t in contact.reasons.all())),
            ";".join(sorted(t.code for t in contact.actions.all())),
            contact.counsellor.username if contact.counsellor else "",
            "" if contact.wait_seconds is None else str(contact.wait_seconds),
            "" if contact.talk_seconds is None else str(contact.talk_seconds),
            contact.summary,
        ]  # fmt: skip


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[spreadsheet_cell(cell) for cell in row] for row in rows])
    return buffer.getvalue().encode()


def _xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("contacts")
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text, never a formula
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def contact_export(
    viewer: Principal,
    *,
    filters: ContactFilters,
    file_format: FileFormat,
    request: HttpRequest | None = None,
) -> ContactExport:
    """The export file and its audit row, in one transaction. Raises ExportTooLarge past
    EXPORT_LIMIT contacts, FilterError for a filter that cannot be used."""
    with transaction.atomic():
        if contact_search(viewer, filters)[: EXPORT_LIMIT + 1].count() > EXPORT_LIMIT:
            raise ExportTooLarge(f"more than {EXPORT_LIMIT} contacts match")
        rows = list(contact_export_rows(viewer, filters))
        content = _xlsx(rows) if file_format == "xlsx" else _csv(rows)
        audit_record(
            viewer,
            action=AuditAction.CONTACT_EXPORT,
            record_type="contact",
            request=request,
            detail={"filters": filters_for_audit(filters), "rows": len(rows) - 1, "format": file_format},
        )
    return ContactExport(content=content, rows=len(rows) - 1, file_format=file_format)
