"""Reads of cases. Every list, search, export, board and panel starts from cases_visible_to(), so
none can show a case that access_case() refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.accounts.permissions import RULES, Permission, role_has
from helpline.accounts.principals import Principal
from helpline.accounts.vetting import vetted, vetting_status
from helpline.cases.models import (
    HIGH_RISKS,
    LIVE_ORDER,
    LIVE_STATUSES,
    Case,
    CaseContact,
    CaseEvent,
    CaseHandler,
    CaseNote,
    CaseNumber,
    CaseSettings,
    CaseStatus,
    ConfidentialityBreak,
    FollowUp,
    FollowUpStatus,
    SignOff,
)
from helpline.common.bounds import date_ok
from helpline.common.paging import BadCursor, Page, keyset_page
from helpline.common.text import spreadsheet_cell
from helpline.contacts.models import Caller, Contact, Term
from helpline.contacts.selectors import contact_writable_by, contacts_visible_to

PAGE_SIZE = 50
M = TypeVar("M", bound=Model)
MAX_PAGE_SIZE = 200

# Counsellors see their own cases and those of contacts they handled; these see every case.
SEES_ALL = frozenset({Role.SUPERVISOR, Role.CASE_MANAGER})


def _case_reader(principal: Principal) -> Staff | None:
    """The staff member behind `principal` if they may read cases at all: active, a role that works
    on cases (never administrators or data officers) and through the safeguarding gate."""
    if not isinstance(principal, Staff) or not principal.is_active:
        return None
    if not role_has(principal.role, Permission.CASES):
        return None
    return None if vetting_status(principal).blocked else principal


def cases_visible_to(principal: Principal) -> QuerySet[Case]:
    """Case managers and supervisors see every case; counsellors and volunteers the cases assigned
    to them and those linked to a contact they handled; nobody else (tokens included) any."""
    qs = Case.objects.all()
    staff = _case_reader(principal)
    if staff is None:
        return qs.none()
    if staff.role in SEES_ALL:
        return qs
    return _worked_on_by(staff)


def _worked_on_by(staff: Staff) -> QuerySet[Case]:
    """The cases assigned to `staff` or linked to a contact they handled (CaseHandler, kept by
    helpline.cases.receivers): one indexed look-up per case."""
    handled = CaseHandler.objects.filter(case=OuterRef("pk"), staff=staff)
    return Case.objects.filter(Q(assignee=staff) | Exists(handled))


def staff_who_can_open(case: Case) -> QuerySet[Staff]:
    """The staff for whom access_case() returns `case`: the rule of cases_visible_to read the other
    way round (active, a role that works on cases, through the safeguarding gate, and either seeing
    every case or assigned to this one or having handled one of its contacts). Whoever is to act
    on the case (a follow-up's owner) is chosen from these."""
    readers = vetted(Staff.objects.filter(is_active=True, role__in=RULES[Permission.CASES]))
    handled = CaseHandler.objects.filter(case=case, staff=OuterRef("pk"))
    return readers.filter(Q(role__in=SEES_ALL) | Q(pk=case.assignee_id) | Exists(handled))


def of_visible_cases(principal: Principal, qs: QuerySet[M], case_field: str = "case") -> QuerySet[M]:
    """`qs` (follow-ups, breaks, referrals: rows with a `case_field` foreign key) narrowed to the
    cases `principal` may see, by the rule of cases_visible_to: no filter for those who see every
    case, a correlated EXISTS for the others. Never `case__in=<visible cases>`, which SQLite runs
    by first listing every case the principal sees (all of them, for a supervisor)."""
    staff = _case_reader(principal)
    if staff is None:
        return qs.none()
    if staff.role in SEES_ALL:
        return qs
    return qs.filter(Exists(_worked_on_by(staff).filter(pk=OuterRef(f"{case_field}_id"))))


def sees_every_case(principal: Principal) -> bool:
    staff = _case_reader(principal)
    return staff is not None and staff.role in SEES_ALL


def access_case(principal: Principal, case_id: UUID | str) -> Case:
    """The case, or the same 404 whether it is missing or not for this principal. A database
    error is not caught: an outage is a 503, never "not found"."""
    try:
        return cases_visible_to(principal).select_related("assignee", "gender", "province").get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def caller_open_cases(caller: Caller | None) -> QuerySet[Case]:
    """The live cases one of this caller's contacts is linked to, newest first."""
    if caller is None:
        return Case.objects.none()
    linked = CaseContact.objects.filter(case=OuterRef("pk"), contact__caller=caller)
    return Case.objects.filter(Exists(linked), status__in=LIVE_STATUSES).order_by("-opened_at")


def open_case_numbers(viewer: Principal, caller: Caller) -> list[str]:
    """For the caller history (contacts.selectors.OPEN_CASE_PROVIDERS), which offers them only to
    someone handling a contact of this caller or seeing every contact; of those, only to someone
    who works on cases (never an administrator or a token)."""
    if _case_reader(viewer) is None:
        return []
    return list(caller_open_cases(caller).values_list("number", flat=True)[:10])


def access_case_for_link(principal: Principal, case_id: UUID | str, contact: Contact) -> Case:
    """A case `contact` may be linked to by `principal`: one they see, or one of the caller's open
    cases when the contact is theirs to write (the console offers those to whoever holds the
    child's new contact; once linked, the case is theirs to see). The same 404 otherwise."""
    try:
        return access_case(principal, case_id)
    except Http404:
        if _case_reader(principal) is None or not contact_writable_by(principal, contact):
            raise
    try:
        return caller_open_cases(contact.caller).get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


# --- Lists, search, export -----------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    risk: str = ""
    assignee: str = ""  # username
    overdue: bool = False  # with a follow-up past its due time
    province: str = ""  # a province code
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    number: str = ""  # the whole number or its end ("42" finds C-2026-00042, not C-2026-00142)
    nickname: str = ""


# Filters holding the child's own words: the trail names them, never what was typed.
PERSONAL_FILTERS = frozenset({"nickname"})


def filters_for_audit(values: dict[str, object]) -> dict[str, str]:
    return {k: "given" if k in PERSONAL_FILTERS else str(v) for k, v in values.items() if v}


class FilterError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def case_search(principal: Principal, filters: CaseFilters) -> QuerySet[Case]:
    qs = cases_visible_to(principal)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.risk:
        qs = qs.filter(risk=filters.risk)
    if filters.assignee:
        staff_id = Staff.objects.filter(username=filters.assignee).values_list("pk", flat=True).first()
        qs = qs.filter(assignee_id=staff_id) if staff_id else qs.none()
    if filters.province:
        term = Term.objects.filter(vocabulary="province", code=filters.province).values_list("pk", flat=True)
        qs = qs.filter(province_id=term.first()) if term.exists() else qs.none()
    if filters.overdue:
        late = FollowUp.objects.filter(
            case=OuterRef("pk"), status=FollowUpStatus.SCHEDULED, due_at__lt=timezone.now()
        )
        qs = qs.filter(Exists(late))
    local = timezone.get_current_timezone()
    for name in ("opened_from", "opened_to"):
        day = getattr(filters, name)
        if day and not date_ok(day):
            raise FilterError(name, "use a date from 2000-01-01 to 2100-12-31")
    if filters.opened_from:
        qs = qs.filter(opened_at__gte=dt.datetime.combine(filters.opened_from, dt.time.min, tzinfo=local))
    if filters.opened_to:
        end = dt.datetime.combine(filters.opened_to + dt.timedelta(days=1), dt.time.min, tzinfo=local)
        qs = qs.filter(opened_at__lt=end)
    if filters.number:
        qs = qs.filter(_number_match(filters.number))
    if filters.nickname:
        qs = qs.filter(nickname__icontains=filters.nickname.strip())
    return qs


def _number_match(typed: str) -> Q:
    """The whole number, or its end: "42", "00042" or "2026-00042" find C-2026-00042 (the 42nd
    case of a year). Digits are read as the case's serial, matched in each year numbers were given
    in (a handful of exact look-ups on the unique index; a suffix search would read every case)."""
    number = typed.strip().upper()
    if number.startswith("C-"):
        return Q(number=number)
    year, _, serial = number.rpartition("-")
    if serial.isdigit() and (not year or (year.isdigit() and len(year) == 4)):
        years = [int(year)] if year else list(CaseNumber.objects.values_list("year", flat=True))
        return Q(number__in=[f"C-{y}-{int(serial):05d}" for y in years])
    return Q(number__endswith=number)


def case_page(
    principal: Principal, filters: CaseFilters, *, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page[Case]:
    """Newest first, keyset-paginated (as contacts are)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = case_search(principal, filters).select_related("assignee", "province")
    try:
        return keyset_page(qs, "opened_at", cursor=cursor, limit=limit)
    except BadCursor as exc:
        raise FilterError("cursor", "not a cursor from this list") from exc


EXPORT_HEADER = ["number", "status", "risk", "opened", "assignee", "province", "age"]


def case_export_rows(principal: Principal, filters: CaseFilters) -> Iterator[list[str]]:
    """The rows of a CSV export: no names, no notes (those stay on the case page); no cell a
    spreadsheet would run as a formula."""
    yield EXPORT_HEADER
    qs = case_search(principal, filters).select_related("assignee", "province").order_by("-opened_at", "-id")
    for case in qs.iterator(chunk_size=500):
        yield [
            spreadsheet_cell(cell)
            for cell in (
                case.number,
                case.status,
                case.risk,
                timezone.localtime(case.opened_at).isoformat(timespec="minutes"),
                case.assignee.username if case.assignee else "",
                case.province.code if case.province else "",
                "" if case.age is None else str(case.age),
            )
        ]


# --- One case ------------------------------------------------------------------------------


def case_timeline(case: Case, *, limit: int = 500) -> list[CaseEvent]:
    """Newest first."""
    return list(case.events.select_related("actor").order_by("-at", "-id")[:limit])


def case_timeline_page(case: Case, *, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page[CaseEvent]:
    """Newest first, keyset-paginated on (at, id) as the case list is on (opened_at, id)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    try:
        events = case.events.select_related("actor").only(
            "id",
            "case",
            "kind",
            "at",
            "actor",
            "actor_label",
            "summary",
            "detail",
            *(f"actor__{f}" for f in _STAFF_SHOWN),
        )
        return keyset_page(events, "at", cursor=cursor, limit=limit)
    except BadCursor as exc:
        raise FilterError("cursor", "not a cursor from this timeline") from exc


def case_notes_page(
    case: Case, *, with_revisions: bool, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Page[CaseNote]:
    """Newest first, keyset-paginated on (written_at, id). `with_revisions`: each note's earlier
    texts loaded too (for supervisors only: nobody else's page reads them)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    notes = case.notes.select_related("author")
    if with_revisions:
        notes = notes.prefetch_related("revisions__written_by")
    try:
        return keyset_page(notes, "written_at", cursor=cursor, limit=limit)
    except BadCursor as exc:
        raise FilterError("cursor", "not a cursor from these notes") from exc


# What a listing of a case's contacts or its timeline shows of the staff member: a case page reads
# dozens of them, and a whole staff row is wide.
_STAFF_SHOWN = ("id", "username", "full_name")


def case_contacts(principal: Principal, case: Case, *, brief: bool = False) -> list[tuple[Contact, bool]]:
    """The case's contacts, each with whether this principal may open it (a counsellor sees a
    case through one contact, not every contact a colleague took). `brief`: only when, by which
    channel and who took it (the case page's list)."""
    rows = case.contacts.order_by("-arrived_at").select_related("counsellor")
    if brief:
        rows = rows.only(
            "id", "arrived_at", "channel", "counsellor", *(f"counsellor__{f}" for f in _STAFF_SHOWN)
        )
    contacts = list(rows)
    visible = set(
        contacts_visible_to(principal).filter(pk__in=[c.pk for c in contacts]).values_list("pk", flat=True)
    )
    return [(c, c.pk in visible) for c in contacts]


def open_follow_ups(case: Case) -> QuerySet[FollowUp]:
    return case.follow_ups.filter(status=FollowUpStatus.SCHEDULED).select_related("owner")


# --- Supervision ---------------------------------------------------------------------------


def case_settings() -> CaseSettings:
    """The one settings row (unsaved defaults until a supervisor saves it: GETs write nothing)."""
    return CaseSettings.objects.filter(pk=1).first() or CaseSettings(pk=1)


@dataclass
class Board:
    high_risk: list[Case]
    stale: list[Case]
    pending_closures: list[Case]
    pending_breaks: list[ConfidentialityBreak]
    questioned_breaks: list[ConfidentialityBreak]
    due_follow_ups: list[FollowUp]
    stale_days: int


def supervision_board(principal: Principal, *, limit: int = 100) -> Board:
    visible = cases_visible_to(principal)
    live = visible.filter(status__in=LIVE_ORDER).select_related("assignee")  # as the indexes say
    days = case_settings().stale_days
    now = timezone.now()
    waiting = FollowUp.objects.filter(case=OuterRef("pk"), status=FollowUpStatus.SCHEDULED, due_at__gte=now)
    breaks = of_visible_cases(principal, ConfidentialityBreak.objects.all()).select_related(
        "case", "recorded_by"
    )
    return Board(
        high_risk=list(live.filter(risk__in=HIGH_RISKS).order_by("-risk", "-opened_at")[:limit]),
        # Untouched for N days, with nothing planned ahead either.
        stale=list(
            live.filter(last_touch_at__lt=now - dt.timedelta(days=days))
            .exclude(Exists(waiting))
            .order_by("last_touch_at")[:limit]
        ),
        pending_closures=list(
            visible.filter(status=CaseStatus.PENDING_CLOSURE).select_related("closure_requested_by")[:limit]
        ),
        pending_breaks=list(breaks.filter(sign_off=SignOff.PENDING).order_by("disclosed_at")[:limit]),
        questioned_breaks=list(breaks.filter(sign_off=SignOff.QUESTIONED).order_by("disclosed_at")[:limit]),
        due_follow_ups=list(
            of_visible_cases(principal, FollowUp.objects.all())
            .filter(status=FollowUpStatus.SCHEDULED, due_at__lte=now)
            .select_related("case", "owner")
            .order_by("due_at")[:limit]
        ),
        stale_days=days,
    )


def my_follow_ups(staff: Staff, *, within: dt.timedelta = dt.timedelta(days=1)) -> list[FollowUp]:
    """The owner's follow-ups due by tomorrow (overdue first), on cases they may see."""
    until = timezone.now() + within
    return list(
        of_visible_cases(staff, FollowUp.objects.all())
        .filter(owner=staff, status=FollowUpStatus.SCHEDULED, due_at__lte=until)
        .select_related("case")
        .order_by("due_at")[:50]
    )


def caller_follow_ups_with_instructions(caller: Caller | None) -> list[FollowUp]:
    """The open follow-ups on this caller's cases that carry safe-contact instructions. For those
    about to contact the child (the holder of their contact, a call-back): safety before the rule
    of who sees the case."""
    if caller is None:
        return []
    return list(
        FollowUp.objects.filter(
            case__in=caller_open_cases(caller).values("pk"), status=FollowUpStatus.SCHEDULED
        )
        .exclude(instructions="")
        .select_related("case")
        .order_by("due_at")[:10]
    )


def safe_contact_lines(viewer: Principal, caller: Caller) -> list[str]:
    """For the caller history (contacts.selectors.SAFE_CONTACT_PROVIDERS): "C-2026-00042: …", to
    someone who works on cases (everyone who contacts a child does)."""
    if _case_reader(viewer) is None:
        return []
    return [f"{f.case.number}: {f.instructions}" for f in caller_follow_ups_with_instructions(caller)]
