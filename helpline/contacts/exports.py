"""Contact-level exports (CSV and XLSX): the contact list's rows, as a file.

The rows start from contact_search, so from contacts_visible_to: an export can never hold a contact
its reader could not open in the list. Only supervisors and case managers make one
(Permission.CONTACT_EXPORT): the view refuses counsellors, volunteers, administrators and data
officers at the door. Each export is audited with its filters and
how many rows it held, once the file is made and before it is sent; nothing here holds a
transaction while the rows are read (see contact_export).

Spreadsheet safety: in the CSV a cell that a spreadsheet would run as a formula gets a leading
apostrophe (common.text.spreadsheet_cell); in the XLSX every text is an inline string cell
(common.xlsx), which a spreadsheet never runs, so it is written as it is."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from helpline.accounts.principals import Principal
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.text import spreadsheet_cell
from helpline.common.xlsx import text_workbook
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


# The columns read for each row, in HEADER's order after the id (reasons and actions apart: they are
# read in one query each and joined to the rows by contact).
_COLUMNS = (
    "pk", "arrived_at", "channel", "direction", "status", "kind", "urgency", "language", "age",
    "age_over_25", "gender__code", "province__code", "region__code", "caller_type__code",
    "counsellor__username", "wait_seconds", "talk_seconds", "summary",
)  # fmt: skip


def _codes(field: str, contacts: QuerySet[Contact]) -> dict[UUID, str]:
    """Each contact's terms of one many-to-many field, as sorted codes joined with ";"."""
    through = getattr(Contact, field).through
    codes: dict[UUID, list[str]] = {}
    for contact_id, code in through.objects.filter(contact__in=contacts.values("pk")).values_list(
        "contact_id", "term__code"
    ):
        codes.setdefault(contact_id, []).append(code)
    return {contact_id: ";".join(sorted(found)) for contact_id, found in codes.items()}


def contact_export_rows(viewer: Principal, filters: ContactFilters) -> list[list[str]]:
    """The header, then a row per contact the viewer may see that matches, newest first, as text.
    Raises ExportTooLarge past EXPORT_LIMIT contacts, FilterError for a filter that cannot be used.

    Plain values, not model instances: building a Contact (and its five related rows) per row cost
    about a millisecond each, half a minute for the demo's 27,000 contacts. Three queries in all."""
    matching = contact_search(viewer, filters)
    found = list(matching.order_by("-arrived_at", "-id").values_list(*_COLUMNS)[: EXPORT_LIMIT + 1])
    if len(found) > EXPORT_LIMIT:
        raise ExportTooLarge(f"more than {EXPORT_LIMIT} contacts match")
    reasons, actions = _codes("reasons", matching), _codes("actions", matching)
    zone = timezone.get_current_timezone()
    rows = [HEADER]
    for (
        pk, arrived_at, channel, direction, status, kind, urgency, language, age, over_25,
        gender, province, region, caller_type, counsellor, wait, talk, summary,
    ) in found:  # fmt: skip
        rows.append([
            str(pk), arrived_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            channel, direction, status, kind, urgency, language,
            "over 25" if over_25 else ("" if age is None else str(age)),
            gender or "", province or "", region or "", caller_type or "",
            reasons.get(pk, ""), actions.get(pk, ""), counsellor or "",
            "" if wait is None else str(wait), "" if talk is None else str(talk), summary,
        ])  # fmt: skip
    return rows


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[spreadsheet_cell(cell) for cell in row] for row in rows])
    return buffer.getvalue().encode()


def _xlsx(rows: list[list[str]]) -> bytes:
    return text_workbook("contacts", rows)  # every cell text: a spreadsheet never runs one


def contact_export(
    viewer: Principal,
    *,
    filters: ContactFilters,
    file_format: FileFormat,
    request: HttpRequest | None = None,
) -> ContactExport:
    """The export file, then its audit row. Raises ExportTooLarge past EXPORT_LIMIT contacts,
    FilterError for a filter that cannot be used.

    The file is read and written outside any transaction: on SQLite every transaction takes the
    single write lock when it begins, and one held for the whole export stopped every other writer
    (texts arriving, offers expiring, the worker) until it ended. The audit row is written once
    the file is whole, in a transaction of its own, and before any of it is sent: it says exactly
    how many contacts the file holds, an export that failed on the way is not recorded as made,
    and none leaves unrecorded (if the audit cannot be written, the file is not sent)."""
    rows = contact_export_rows(viewer, filters)
    content = _xlsx(rows) if file_format == "xlsx" else _csv(rows)
    audit_record(
        viewer,
        action=AuditAction.CONTACT_EXPORT,
        record_type="contact",
        request=request,
        detail={"filters": filters_for_audit(filters), "rows": len(rows) - 1, "format": file_format},
    )
    return ContactExport(content=content, rows=len(rows) - 1, file_format=file_format)
