"""Reads of contacts. Every list, search, export and report starts from contacts_visible_to(),
so a list can never show what a detail page refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpline.accounts.models import ApiToken, Role, Staff
from helpline.accounts.permissions import Permission, role_has
from helpline.accounts.principals import Principal
from helpline.common.bounds import date_ok
from helpline.common.paging import BadCursor, Page, keyset_page
from helpline.common.panels import Panel
from helpline.contacts.forms import MULTI_TERMS, SINGLE_TERMS
from helpline.contacts.identity import AddressError, caller_lookup, parse_address
from helpline.contacts.models import (
    PHONE_CHANNELS,
    AddressScheme,
    Caller,
    Channel,
    Contact,
    Kind,
    Status,
    Term,
)
from helpline.contacts.search_text import query_words

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def sees_every_contact(viewer: Principal) -> bool:
    """Supervisors, case managers and administrators (vetting is checked at the door), and an
    integration token with the read scope."""
    if isinstance(viewer, Staff):
        return (
            viewer.is_active
            and role_has(viewer.role, Permission.CLIENT_DATA)
            and role_has(viewer.role, Permission.CONTACT_SEARCH)
        )

    return isinstance(viewer, ApiToken) and viewer.is_active and "contacts:read" in viewer.scopes


def contacts_visible_to(viewer: Principal) -> QuerySet[Contact]:
    """Supervisors, case managers and administrators see every contact; counsellors and volunteers
    the contacts they handled; an integration token with the read scope sees all; nobody else any."""
    qs = Contact.objects.all()
    if sees_every_contact(viewer):
        return qs
    if (
        isinstance(viewer, Staff)
        and viewer.is_active
        and role_has(viewer.role, Permission.CLIENT_DATA)
        and viewer.role in {Role.COUNSELLOR, Role.VOLUNTEER}
    ):
        # EXISTS, not a join: a join needs DISTINCT over every column of the contact.
        return qs.filter(Q(counsellor=viewer) | Q(_handled_by(viewer)))
    return qs.none()


def _handled_by(viewer: Staff) -> Exists:
    through = Contact.handlers.through
    return Exists(through.objects.filter(contact=OuterRef("pk"), staff=viewer))


def contact_writable_by(viewer: Principal, contact: Contact) -> bool:
    if isinstance(viewer, Staff):
        if role_has(viewer.role, Permission.CONTACT_CORRECT_ANY):
            return True
        if contact.status in (Status.WAITING, Status.ACTIVE):
            # An open contact is written (and its child answered) by whoever holds it now: one
            # handed to a colleague or back to the queue is no longer the giver's.
            return contact.counsellor_id is not None and contact.counsellor_id == viewer.pk
        return contact.counsellor_id == viewer.pk or contact.handlers.filter(pk=viewer.pk).exists()

    return isinstance(viewer, ApiToken) and viewer.is_active and "contacts:write" in viewer.scopes


def access_contact(
    viewer: Principal, contact_id: UUID | str, *, for_write: bool = False, with_caller: bool = True
) -> Contact:
    """The contact, or the same 404 whether it is missing or not for this viewer. `with_caller`
    False: its caller is not read with it (a reply on a busy chat needs the contact alone)."""
    visible = contacts_visible_to(viewer)
    try:
        contact = (visible.select_related("caller") if with_caller else visible).get(pk=contact_id)
    except (Contact.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        # Not found, or an id that is no UUID (ValidationError). A database error is not caught:
        # an outage is a 503, never "not found".
        raise Http404 from exc
    if for_write and not contact_writable_by(viewer, contact):
        raise Http404
    return contact


@dataclass(frozen=True)
class ContactFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    channel: str = ""
    kind: str = ""
    category: str = ""  # a reason category or subcategory code
    counsellor: str = ""  # username
    province: str = ""
    urgency: str = ""
    status: str = ""
    address: str = ""  # matched through the keyed hash, never by scanning clear text
    text: str = ""


class FilterError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def contact_search(viewer: Principal, filters: ContactFilters) -> QuerySet[Contact]:
    qs = contacts_visible_to(viewer)
    local = timezone.get_current_timezone()
    for name in ("date_from", "date_to"):
        day = getattr(filters, name)
        if day and not date_ok(day):  # also keeps the day's start and end in range
            raise FilterError(name, "use a date from 2000-01-01 to 2100-12-31")
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=local)
        qs = qs.filter(arrived_at__gte=start)
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=local)
        qs = qs.filter(arrived_at__lt=end)
    for name in ("channel", "kind", "urgency", "status"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    # Look ids up first: filtering through a join makes the planners walk the arrival-time
    # index and discard rows, slow for a rare province or counsellor (bench/contacts.py).
    if filters.counsellor:
        staff_id = Staff.objects.filter(username=filters.counsellor).values_list("pk", flat=True).first()
        qs = qs.filter(counsellor_id=staff_id) if staff_id else qs.none()
    if filters.province:
        province_id = Term.objects.filter(vocabulary="province", code=filters.province).values_list(
            "pk", flat=True
        )
        qs = qs.filter(province_id=province_id.first()) if province_id.exists() else qs.none()
    if filters.category:
        qs = _with_category(qs, filters.category)
    if filters.address:
        try:
            caller = caller_lookup(parse_address(filters.address))
        except AddressError as exc:
            raise FilterError("address", str(exc)) from exc
        qs = qs.filter(caller=caller) if caller else qs.none()
    if filters.text:
        for word in query_words(filters.text):
            qs = qs.filter(search_text__contains=f" {word} ")
    return qs


RARE_CATEGORY_ROWS = 5_000


def _with_category(qs: QuerySet[Contact], category: str) -> QuerySet[Contact]:
    """A rare category is read from the reasons table (few rows, sorted quickly); a common one by
    walking the newest contacts and checking each, which finds a page almost at once."""
    ids = list(
        Term.objects.filter(vocabulary="reason")
        .filter(Q(code=category) | Q(parent__code=category))
        .values_list("pk", flat=True)
    )
    if not ids:
        return qs.none()
    through = Contact.reasons.through
    linked = through.objects.filter(term_id__in=ids)
    if linked[: RARE_CATEGORY_ROWS + 1].count() <= RARE_CATEGORY_ROWS:  # stops counting early
        return qs.filter(pk__in=linked.values("contact_id"))
    return qs.filter(Exists(through.objects.filter(contact_id=OuterRef("pk"), term_id__in=ids)))


def contact_page(
    viewer: Principal,
    filters: ContactFilters,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    coded: bool = False,
) -> Page[Contact]:
    """Newest first, keyset-paginated: the first page costs the same at a million contacts.
    `coded`: each contact's codes (contact_form_data) are read with the page, in a few queries,
    for a reader that shows them all (the API); else each contact's would be read one by one."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = contact_search(viewer, filters).select_related("counsellor", "province")
    if coded:
        qs = qs.prefetch_related(*MULTI_TERMS, "reasons")
    try:
        page = keyset_page(qs, "arrived_at", cursor=cursor, limit=limit)
    except BadCursor as exc:
        raise FilterError("cursor", "not a cursor from this list") from exc
    if coded:
        _attach_single_terms(page.items)
    return page


def _attach_single_terms(contacts: list[Contact]) -> None:
    """Each contact's single-valued terms from one query for the page. Joined into the page's own
    query instead, nine tables made PostgreSQL spend about 25 ms planning it (the join order search
    grows with each table) against half a millisecond running it."""
    names = [name for name in SINGLE_TERMS if name != "province"]  # province: joined already
    ids = {getattr(c, f"{name}_id") for c in contacts for name in names} - {None}
    terms = {t.pk: t for t in Term.objects.filter(pk__in=ids)} if ids else {}
    for contact in contacts:
        for name in names:
            term_id = getattr(contact, f"{name}_id")
            if term_id is not None:
                setattr(contact, name, terms.get(term_id))


# --- Caller history ---------------------------------------------------------------------------

# Open cases come from the cases app when it exists; contacts must not import it. Each provider is
# given the viewer too: case numbers and instructions come from case files, which someone who sees
# every contact but reads no case (an administrator, an integration token) is not given.
OPEN_CASE_PROVIDERS: list[Callable[[Principal, Caller], list[str]]] = []
# So do the safe-contact instructions of follow-ups planned with the caller ("call only after 5 pm"):
# shown wherever someone is about to contact the child.
SAFE_CONTACT_PROVIDERS: list[Callable[[Principal, Caller], list[str]]] = []


# Panels an app above offers a contact's record page (routing: its triage explained, and the marks
# saying it was wrong): each is given the viewer and the contact and returns None when it has nothing
# for them. The page renders them in the order the apps registered.
RECORD_PANELS: list[Callable[[Staff, Contact], Panel | None]] = []


def record_panels(viewer: Staff, contact: Contact) -> list[Panel]:
    return [found for provider in RECORD_PANELS if (found := provider(viewer, contact)) is not None]


def follow_up_instructions(viewer: Principal, caller: Caller | None) -> list[str]:
    """For someone about to contact this caller (a call-back, the contact they hold)."""
    if caller is None:
        return []
    return [line for provider in SAFE_CONTACT_PROVIDERS for line in provider(viewer, caller)]


@dataclass(frozen=True)
class PastContact:
    id: UUID
    arrived_at: dt.datetime
    channel: str
    kind: str
    status: str

    @property
    def channel_label(self) -> str:
        return str(dict(Channel.choices).get(self.channel, self.channel))

    @property
    def kind_label(self) -> str:
        return str(dict(Kind.choices).get(self.kind, "…"))


@dataclass
class CallerHistory:
    caller: Caller | None
    withheld: bool
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    counts_this_week: dict[str, int] = field(default_factory=dict)
    first_at: dt.datetime | None = None
    last: list[PastContact] = field(default_factory=list)
    open_case_ids: list[str] = field(default_factory=list)
    follow_up_instructions: list[str] = field(default_factory=list)

    @property
    def safety_note(self) -> str:
        return self.caller.safety_note if self.caller else ""

    def gentle_lines(self) -> list[str]:
        """Plain, kind sentences: "3 silent calls from this number this week"."""
        if self.withheld:
            return [_("The number is withheld, so earlier contacts cannot be linked.")]
        if self.caller is None:
            return [_("No number or address was recorded, so earlier contacts cannot be linked.")]
        if not self.total:
            scheme = self.caller.scheme if self.caller else ""
            if scheme == AddressScheme.WEBCHAT:
                # Each chat is a caller of its own: "first contact" would claim more than is known.
                return [_("A web chat: the child's earlier chats, if any, cannot be linked to it.")]
            if scheme == AddressScheme.TEL:
                return [_("First contact from this number.")]
            return [_("First contact from this address.")]
        labels = dict(Kind.choices)
        lines = []
        for kind, n in sorted(self.counts_this_week.items(), key=lambda kv: -kv[1]):
            lines.append(
                ngettext(
                    "%(n)d contact from this number in the last 7 days (%(kind)s)",
                    "%(n)d contacts from this number in the last 7 days (%(kind)s)",
                    n,
                )
                % {"n": n, "kind": str(labels.get(kind, _("not yet recorded"))).lower()}
            )
        lines.append(
            ngettext("%(n)d earlier contact in all", "%(n)d earlier contacts in all", self.total)
            % {"n": self.total}
        )
        return lines


def caller_history(
    viewer: Principal, caller: Caller | None, *, beside: Contact | None = None, last: int = 5
) -> CallerHistory:
    """What `viewer` may learn of a caller's contacts (before `beside`, the one on screen): counts
    by kind (all time and the last 7 days), the last few contacts, open cases.

    The rule: a contact the viewer may not open is never listed (no id, link or date of it in
    `last`), whoever asks. Counts (and the first contact's date) cover every contact of the caller
    only for someone handling a contact from them (`beside` is theirs to write) or who sees every
    contact anyway: a counsellor answering a child needs "3 silent calls from this number this
    week" though colleagues took those calls. Anyone else (the API's look-up by address, a record
    read but not handled) gets counts of the contacts they may open, so that a number cannot be
    probed for a history its contacts would refuse."""
    if caller is None:
        # Beside a walk-in or an email there is simply no number: "withheld" would say one was hidden.
        return CallerHistory(caller=None, withheld=beside is None or beside.channel in PHONE_CHANNELS)
    qs = Contact.objects.filter(caller=caller)
    if beside is not None:
        # Beside a contact, its history is what came before it: a later contact is not "earlier".
        qs = qs.exclude(pk=beside.pk).filter(arrived_at__lt=beside.arrived_at)
    everything = sees_every_contact(viewer)
    # A subquery rather than contacts_visible_to's join: one row per contact, so counts stay true.
    visible = qs if everything else qs.filter(pk__in=contacts_visible_to(viewer).values("pk"))
    handling = beside is not None and contact_writable_by(viewer, beside)
    counted = qs if everything or handling else visible
    week_ago = timezone.now() - dt.timedelta(days=7)
    rows = counted.values("kind").annotate(
        n=Count("id"), week=Count("id", filter=Q(arrived_at__gte=week_ago))
    )
    counts = {r["kind"] or Status.ACTIVE: r["n"] for r in rows}
    week = {r["kind"] or Status.ACTIVE: r["week"] for r in rows if r["week"]}
    recent = [
        PastContact(**row)
        for row in visible.order_by("-arrived_at", "-id").values(
            "id", "arrived_at", "channel", "kind", "status"
        )[:last]
    ]
    cases: list[str] = []
    instructions: list[str] = []
    if everything or handling:
        for provider in OPEN_CASE_PROVIDERS:
            cases.extend(provider(viewer, caller))
        instructions = follow_up_instructions(viewer, caller)
    first = counted.order_by("arrived_at").values_list("arrived_at", flat=True).first()
    return CallerHistory(
        caller=caller,
        withheld=False,
        total=sum(counts.values()),
        counts=counts,
        counts_this_week=week,
        first_at=first,
        last=recent,
        open_case_ids=cases,
        follow_up_instructions=instructions,
    )


def my_open_contacts(staff: Staff) -> QuerySet[Contact]:
    return Contact.objects.filter(counsellor=staff, status__in=[Status.WAITING, Status.ACTIVE]).order_by(
        "arrived_at"
    )


def waiting_contacts() -> QuerySet[Contact]:
    """Contacts nobody has answered yet, in no order: the order they are answered in is routing's
    (helpline.routing.selectors.waiting_queue), the one every list of the queue shows."""
    return Contact.objects.filter(status=Status.WAITING, counsellor__isnull=True)
