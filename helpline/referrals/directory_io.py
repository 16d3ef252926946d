"""The directory as a spreadsheet: export to CSV or XLSX, and import from either in two steps.

Export neutralises formulas: in CSV a cell a spreadsheet would run ("=", "+", "-", "@" ...) gets a
leading apostrophe (helpline.common.text.spreadsheet_cell); XLSX cells are typed as text whatever
they hold, so they keep the words exactly, with no apostrophe.
Import reads the file (openpyxl for XLSX, the csv module for CSV), checks every row and
keeps the result server-side (a PartnerImport row): the uploader sees line by line what would be
refused and why, and only their confirmation writes the good rows, all or none."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import openpyxl
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from helpline.accounts.models import Staff
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record
from helpline.common.archives import ArchiveTooLarge, check_unpacked
from helpline.common.text import normalise, spreadsheet_cell, without_bidi_controls
from helpline.contacts.models import Term, Vocabulary
from helpline.referrals.directory import (
    TERM_LISTS,
    PartnerConflict,
    PartnerError,
    PartnerFacts,
    directory_names,
    facts_problems,
    may_keep_directory,
    partner_create,
)
from helpline.referrals.models import Partner, PartnerImport, PartnerLanguage

MAX_IMPORT_BYTES = 2_000_000  # a directory of a thousand partners is a tenth of it
MAX_ROWS = 1000
IMPORT_VALID = dt.timedelta(hours=1)  # an upload not confirmed by then is read again
IMPORT_KEPT = dt.timedelta(days=1)  # older uploads are deleted by the scheduler (imports_forget)

# The columns, by the names the file's first row gives them (export writes them; import reads
# them in any order, ignores others). Lists (services, provinces, genders) are codes or labels in
# either language, separated by ";" or ",".
COLUMNS = (
    "name",
    "name_km",
    "services",
    "provinces",
    "districts",
    "genders",
    "min_age",
    "max_age",
    "languages",
    "language",
    "opening_hours",
    "phone",
    "email",
    "contact_person",
    "emergency",
    "monitoring_every_days",
    "description",
)
EXPORT_ONLY = ("assessment", "suspended")
REQUIRED = ("name", "services")
_LISTS = TERM_LISTS
_SPLIT = re.compile(r"[;,\n]")
_YES = frozenset({"yes", "y", "true", "1", "x", "បាទ", "ចាស", "បាទ/ចាស", "មាន"})
_NO = frozenset({"", "no", "n", "false", "0", "ទេ", "គ្មាន"})
# The language referrals are sent in (Partner.language): its code, or its name in either language.
_LANGUAGE = {
    "": PartnerLanguage.KHMER,
    "km": PartnerLanguage.KHMER,
    "khmer": PartnerLanguage.KHMER,
    "ខ្មែរ": PartnerLanguage.KHMER,
    "ភាសាខ្មែរ": PartnerLanguage.KHMER,
    "en": PartnerLanguage.ENGLISH,
    "english": PartnerLanguage.ENGLISH,
    "អង់គ្លេស": PartnerLanguage.ENGLISH,
    "ភាសាអង់គ្លេស": PartnerLanguage.ENGLISH,
}
_FORMULA_KEPT = re.compile(r"^'[=+\-@\t\r]")
_TEXTS = frozenset(
    {"name_km", "description", "districts", "languages", "opening_hours", "phone", "email", "contact_person"}
)


class ImportRefused(PartnerError):
    """The file as a whole cannot be read (not a spreadsheet, no header, too many rows)."""

    def __init__(self, message: str) -> None:
        super().__init__("file", message)


# --- Export ------------------------------------------------------------------------------------


def export_rows(partners: Iterable[Partner], *, neutralise: bool = True) -> Iterator[list[str | int]]:
    """The header, then one row per partner; texts neutralised for spreadsheets (`neutralise`:
    for CSV, where a cell's type is guessed; an XLSX cell is typed as text instead)."""
    yield [*COLUMNS, *EXPORT_ONLY]
    for partner in partners:
        values: dict[str, Any] = {name: getattr(partner, name) for name in COLUMNS if name not in _LISTS}
        for name in _LISTS:
            values[name] = "; ".join(t.code for t in getattr(partner, name).all())
        values["emergency"] = "yes" if partner.emergency else "no"
        values["assessment"] = partner.assessment
        values["suspended"] = "yes" if partner.suspension_id else "no"
        row: list[str | int] = []
        for name in (*COLUMNS, *EXPORT_ONLY):
            value = values[name]
            text = str(value or "")
            row.append(value if isinstance(value, int) else spreadsheet_cell(text) if neutralise else text)
        yield row


def export_csv(partners: Iterable[Partner]) -> bytes:
    """UTF-8 with a byte-order mark, so a spreadsheet opens the Khmer as Khmer."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in export_rows(partners):
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def export_xlsx(partners: Iterable[Partner]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("partners")
    for row in export_rows(partners, neutralise=False):  # a text cell is never run: no apostrophe
        cells = []
        for value in row:
            if isinstance(value, int):
                cells.append(WriteOnlyCell(sheet, value=value))
                continue
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"  # text, never a formula, whatever it starts with
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_audit(actor: Staff, *, kind: str, count: int, request: HttpRequest | None = None) -> None:
    audit_record(
        actor,
        action=AuditAction.PARTNER_EXPORT,
        record_type="partner",
        request=request,
        detail={"format": kind, "partners": str(count)},
    )


# --- Reading a file ----------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = without_bidi_controls(str(value)).strip()  # a name must not show reversed
    # Our own export's neutralising apostrophe: read back as the text it protected.
    return text[1:] if _FORMULA_KEPT.match(text) else text


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            try:
                check_unpacked(archive)  # an XLSX is a zip: against zip bombs
            except ArchiveTooLarge as exc:
                raise ImportRefused(_("This spreadsheet is too large to read.")) from exc
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                break
        book.close()
    except ImportRefused:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many kinds for a damaged file
        raise ImportRefused(_("This file could not be read as an XLSX spreadsheet.")) from exc
    return rows


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(_("Save the file as CSV in UTF-8 (or as XLSX) and upload it again.")) from exc
    if "\x00" in text:
        raise ImportRefused(_("This file could not be read as CSV."))
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [[_cell_text(v) for v in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise ImportRefused(_("This file could not be read as CSV.")) from exc


def read_table(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """The file's rows under their column names, with their line numbers (the header is line 1);
    empty rows left out. XLSX or CSV, told apart by content."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused(_("The file is too large: at most 2 MB."))
    rows = _xlsx_rows(data) if data[:4] == b"PK\x03\x04" else _csv_rows(data)
    if not rows:
        raise ImportRefused(_("The file is empty."))
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportRefused(
            _("The first row must name the columns; missing: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    if len(rows) - 1 > MAX_ROWS:
        raise ImportRefused(_("At most %(n)d partners in one file.") % {"n": MAX_ROWS})
    found = []
    for line, values in enumerate(rows[1:], start=2):
        if not any(values):
            continue
        found.append((line, {name: values[i] if i < len(values) else "" for i, name in enumerate(header)}))
    return found


# --- Checking rows -----------------------------------------------------------------------------


@dataclass
class _Lookup:
    """Terms of one code list by code and by label in either language (normal form)."""

    terms: dict[str, Term]

    @classmethod
    def of(cls, vocabulary: str) -> _Lookup:
        found: dict[str, Term] = {}
        for term in Term.objects.filter(vocabulary=vocabulary, is_active=True):
            for key in (term.label_en, term.label_km, term.code):  # the code wins a clash
                found[normalise(key)] = term
        return cls(found)

    def find(self, cell: str) -> tuple[list[Term], list[str]]:
        terms, unknown = [], []
        for part in (p.strip() for p in _SPLIT.split(cell)):
            if not part:
                continue
            term = self.terms.get(normalise(part))
            if term is None:
                unknown.append(part)
            else:
                terms.append(term)
        return terms, unknown


def _whole(cell: str, column: str, reasons: list[str]) -> int | None:
    if not cell:
        return None
    try:
        return int(cell)
    except ValueError:
        reasons.append(f"{column}: " + _("not a whole number (%(value)s).") % {"value": cell[:20]})
        return None


def _row_facts(values: dict[str, str], lookups: dict[str, _Lookup]) -> tuple[PartnerFacts | None, list[str]]:
    reasons: list[str] = []
    terms: dict[str, list[Term]] = {}
    for column, lookup in lookups.items():
        terms[column], unknown = lookup.find(values.get(column, ""))
        for code in unknown:
            reasons.append(f"{column}: " + _("unknown code %(code)s.") % {"code": code[:40]})
    emergency = values.get("emergency", "").strip().lower()
    if emergency not in _YES | _NO:
        reasons.append("emergency: " + _("write yes or no."))
    every = _whole(values.get("monitoring_every_days", ""), "monitoring_every_days", reasons)
    language = _LANGUAGE.get(values.get("language", "").strip().lower())
    if language is None:
        reasons.append("language: " + _("write km (Khmer) or en (English)."))
    facts = PartnerFacts(
        name=values.get("name", ""),
        services=terms["services"],
        provinces=terms["provinces"],
        genders=terms["genders"],
        min_age=_whole(values.get("min_age", ""), "min_age", reasons),
        max_age=_whole(values.get("max_age", ""), "max_age", reasons),
        emergency=emergency in _YES,
        monitoring_every_days=180 if every is None else every,
        language=language or PartnerLanguage.KHMER,
        **{name: values.get(name, "") for name in COLUMNS if name in _TEXTS},
    )
    clean, problems = facts_problems(facts)
    if terms["services"] or not any(r.startswith("services:") for r in reasons):
        reasons += [f"{p.field}: {p.message}" for p in problems]
    else:  # an unknown service was said already: not again as "choose one"
        reasons += [f"{p.field}: {p.message}" for p in problems if p.field != "services"]
    return (None if reasons else clean), reasons


def check_rows(rows: list[tuple[int, dict[str, str]]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(accepted, refused): each accepted row as it would be stored (codes for the lists), each
    refused one with its line, its name and every reason, in the reader's language."""
    lookups = {column: _Lookup.of(vocabulary) for column, vocabulary in _LISTS.items()}
    in_directory = directory_names()
    seen: dict[str, int] = {}
    accepted, refused = [], []
    for line, values in rows:
        facts, reasons = _row_facts(values, lookups)
        name = " ".join(values.get("name", "").split())
        key = normalise(name)
        if key and key in in_directory:
            reasons.append("name: " + _("a partner of this name is already in the directory."))
        elif key and key in seen:
            reasons.append("name: " + _("the same name as line %(line)d.") % {"line": seen[key]})
        seen.setdefault(key, line)
        if facts is None or reasons:
            refused.append({"line": line, "name": name[:200], "reasons": reasons})
            continue
        accepted.append({"line": line, **_stored(facts)})
    return accepted, refused


def _stored(facts: PartnerFacts) -> dict[str, Any]:
    row: dict[str, Any] = {name: getattr(facts, name) for name in COLUMNS if name not in _LISTS}
    for name in _LISTS:
        row[name] = [t.code for t in getattr(facts, name)]
    return row


# --- The two steps -----------------------------------------------------------------------------


def import_upload(
    actor: Staff, *, file_name: str, data: bytes, request: HttpRequest | None = None
) -> PartnerImport:
    """Read and check a file; nothing goes into the directory yet. ImportRefused when the file as
    a whole cannot be read."""
    if not may_keep_directory(actor):
        raise PartnerError("actor", _("Your role does not keep the partner directory."))
    accepted, refused = check_rows(read_table(data))
    now = timezone.now()
    with transaction.atomic():
        batch = PartnerImport.objects.create(
            uploaded_by=actor,
            uploaded_at=now,
            file_name=(file_name or "")[-255:],
            accepted=accepted,
            refused=refused,
        )
    return batch


def imports_forget(now: dt.datetime | None = None) -> int:
    """For the scheduler: uploads older than IMPORT_KEPT, confirmed or not, deleted (they hold the
    rows of a file nobody needs any more). The number deleted."""
    old = PartnerImport.objects.filter(uploaded_at__lt=(now or timezone.now()) - IMPORT_KEPT)
    return old.delete()[0]


def accepted_shown(batch: PartnerImport) -> list[dict[str, Any]]:
    """The rows an upload would add, their services and provinces by name in the reader's
    language (the rows keep codes), for the report page."""
    terms = Term.objects.filter(vocabulary__in=[Vocabulary.SERVICE, Vocabulary.PROVINCE])
    labels = {(t.vocabulary, t.code): t.label for t in terms}
    return [
        row
        | {
            name: [labels.get((vocabulary, code), code) for code in row.get(name, [])]
            for name, vocabulary in (("services", Vocabulary.SERVICE), ("provinces", Vocabulary.PROVINCE))
        }
        for row in batch.accepted
    ]


def import_expired(batch: PartnerImport, now: dt.datetime | None = None) -> bool:
    return (now or timezone.now()) - batch.uploaded_at > IMPORT_VALID


def _facts(row: dict[str, Any], terms: dict[tuple[str, str], Term]) -> PartnerFacts:
    lists: dict[str, Any] = {}
    for column, vocabulary in _LISTS.items():
        found = [terms.get((vocabulary, code)) for code in row[column]]
        if any(t is None for t in found):
            raise PartnerConflict(
                column, _("Line %(line)d: a code was retired meanwhile.") % {"line": row["line"]}
            )
        lists[column] = [t for t in found if t is not None]
    # An upload checked before the language column existed has none: Khmer, the default.
    scalars = {name: row[name] for name in COLUMNS if name not in _LISTS and name != "language"}
    scalars["language"] = row.get("language", PartnerLanguage.KHMER)
    return PartnerFacts(**scalars, **lists)


def import_confirm(
    actor: Staff, *, batch: PartnerImport, request: HttpRequest | None = None
) -> list[Partner]:
    """The good rows of a checked upload go into the directory, all or none, once. Refused when
    the upload is too old or the directory changed meanwhile so that a row no longer holds (a
    partner of the same name added): nothing is written, and the file is uploaded again."""
    if not may_keep_directory(actor):
        raise PartnerError("actor", _("Your role does not keep the partner directory."))
    with transaction.atomic():
        batch = PartnerImport.objects.select_for_update().get(pk=batch.pk)
        if batch.uploaded_by_id != actor.pk:
            raise PartnerError("file", _("Only the person who uploaded a file confirms it."))
        if batch.confirmed_at is not None:
            raise PartnerConflict("file", _("This file was imported already."))
        if import_expired(batch):
            raise PartnerConflict("file", _("This upload is more than an hour old: upload the file again."))
        if not batch.accepted:
            raise PartnerError("file", _("No row of this file can be imported."))
        terms = {
            (t.vocabulary, t.code): t
            for t in Term.objects.filter(vocabulary__in=_LISTS.values(), is_active=True)
        }
        names = directory_names()
        created = []
        for row in batch.accepted:
            try:
                created.append(
                    partner_create(
                        actor,
                        facts=_facts(row, terms),
                        request=request,
                        detail={"import": str(batch.pk), "line": str(row["line"])},
                        names=names,
                    )
                )
            except PartnerError as exc:
                raise PartnerConflict(
                    "file",
                    _("Line %(line)d no longer holds (%(reason)s). Nothing was imported: upload it again.")
                    % {"line": row["line"], "reason": exc.message},
                ) from exc
        batch.confirmed_at = timezone.now()
        batch.save(update_fields=["confirmed_at"])
        audit_record(
            actor,
            action=AuditAction.PARTNER_IMPORT,
            record_type="partner",
            request=request,
            detail={
                "import": str(batch.pk),
                "file": batch.file_name,
                "created": str(len(created)),
                "refused": str(len(batch.refused)),
            },
        )
    return created
