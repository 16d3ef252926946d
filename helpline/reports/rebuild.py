"""Rebuilding the rollups and the ledger from raw contact rows, set-based: a handful of
INSERT ... SELECT statements per range of local months, whatever the number of contacts in it.

The same rules as facts.contribution(), written as SQL through the ORM (so one text serves SQLite
and PostgreSQL): the ledger rows first, from the contacts; the single-valued dimensions, the calls
and the waiting-time buckets from the ledger rows; the multi-valued ones (reason categories,
actions) from the contacts' links; the all-channel rows from the per-channel ones; the monthly rows
from the daily ones. tests/test_reports_rollups.py
checks the result against contribution() applied contact by contact.

The statements must all see the same contacts: on PostgreSQL the caller runs them in a
REPEATABLE READ transaction (`consistent_snapshot`); SQLite writes one transaction at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    ExtractHour,
    LPad,
    StrIndex,
    Substr,
    TruncDate,
    TruncMonth,
)

from helpline.contacts.models import Contact, Direction, Status
from helpline.reports.facts import (
    CALLS_CHANNEL,
    SHORT_ABANDON_SECONDS,
    SINGLE_DIMENSIONS,
    WAIT_BUCKETS,
    fact_fields,
    local_zone,
)
from helpline.reports.models import ContactFact, DailyAllRollup, DailyRollup, MonthlyAllRollup, MonthlyRollup

ROLLUP_COLUMNS = ("channel", "dimension", "value", "contacts", "wait_seconds")
ALL_COLUMNS = ("dimension", "value", "contacts", "wait_seconds")


class _Joined(Aggregate):
    """The values of a group joined by ";" (ordered on PostgreSQL; the ledger compares sets)."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, ';')"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, conn: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, conn, function="STRING_AGG", template="%(function)s(%(expressions)s, ';' ORDER BY 1)"
        )


def moment(day: dt.date) -> dt.datetime:
    """The local midnight starting `day`."""
    return dt.datetime.combine(day, dt.time(), tzinfo=local_zone())


def next_month(day: dt.date, months: int = 1) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def consistent_snapshot() -> None:
    """Called first in the rebuild's own transaction: every statement then sees the same contacts.
    Inside an outer transaction (tests) the isolation level is already fixed and nothing else
    writes meanwhile."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        raise RuntimeError("call consistent_snapshot() inside transaction.atomic()")
    if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


def _contacts(lo: dt.date | None, hi: dt.date | None) -> QuerySet[Contact]:
    qs = Contact.objects.all()
    if lo is not None:
        qs = qs.filter(arrived_at__gte=moment(lo))
    if hi is not None:
        qs = qs.filter(arrived_at__lt=moment(hi))
    return qs


def _in_days(qs: QuerySet[Any], field: str, lo: dt.date | None, hi: dt.date | None) -> QuerySet[Any]:
    if lo is not None:
        qs = qs.filter(**{f"{field}__gte": lo})
    if hi is not None:
        qs = qs.filter(**{f"{field}__lt": hi})
    return qs


def _insert(
    table: str,
    columns: list[str],
    qs: QuerySet[Any],
    select: list[str],
    params: list[Any],
    joined: tuple[tuple[str, QuerySet[Any], str], ...] = (),
) -> int:
    """INSERT INTO table (columns) SELECT <select> FROM (<qs>) AS s; `select` names the subquery's
    columns as s.<name> (a joined one as <alias>.<name>, "" where none), or is a literal
    placeholder "%s" taking the next of `params`. Each of `joined` (alias, grouped queryset, s's
    column) is LEFT JOINed on its contact_id: one pass over each table, not a subquery per row."""
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        alias, _, field = name.rpartition(".")
        # a joined column is NULL for a contact without links: the ledger stores ""
        return f"COALESCE({alias}.{quote(field)}, '')" if alias else f"s.{quote(field)}"

    sql, inner = qs.order_by().query.sql_with_params()
    joins: list[str] = []
    joined_params: list[Any] = []
    for alias, grouped, key in joined:
        part, part_params = grouped.order_by().query.sql_with_params()
        joins.append(f" LEFT JOIN ({part}) {alias} ON {alias}.{quote('contact_id')} = s.{quote(key)}")
        joined_params += part_params
    parts = [p if p == "%s" else column(p) for p in select]
    quoted = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(table)} ({quoted}) "  # noqa: S608  # nosec B608 (our names)
            f"SELECT {', '.join(parts)} FROM ({sql}) s{''.join(joins)}",
            [*params, *inner, *joined_params],
        )
        return int(cursor.rowcount)


def _age_band() -> Case:
    bands = [When(age__lte=top, then=Value(band)) for top, band in ((6, "0-6"), (12, "7-12"), (15, "13-15"))]
    return Case(
        When(age_over_25=True, then=Value("over_25")),
        When(age__isnull=True, then=Value("unknown")),
        *bands,
        When(age__lte=17, then=Value("16-17")),
        default=Value("18-25"),
        output_field=CharField(),
    )


def _chi_head(chi: str) -> Case:
    """chi.split(".")[0]"""
    return Case(
        When(**{f"{chi}__contains": "."}, then=Substr(chi, 1, StrIndex(chi, Value(".")) - 1)),
        default=F(chi),
        output_field=CharField(),
    )


def _joined(through: Any, part: Combinable, lo: dt.date | None, hi: dt.date | None) -> QuerySet[Any]:
    """Per contact of the range, its links' `part` joined (contact_id, s)."""
    links = through.objects.all()
    if lo is not None:
        links = links.filter(contact__arrived_at__gte=moment(lo))
    if hi is not None:
        links = links.filter(contact__arrived_at__lt=moment(hi))
    rows: QuerySet[Any] = links.values("contact_id").annotate(s=_Joined(part)).values("contact_id", "s")
    return rows


def _fact_rows(
    lo: dt.date | None, hi: dt.date | None
) -> tuple[QuerySet[Any], tuple[tuple[str, QuerySet[Any], str], ...]]:
    """The contacts' own columns, and the reason and action links grouped per contact (joined to
    them by _insert: a correlated subquery per contact read the terms table once per row)."""
    zone = local_zone()
    reason_part = Concat(
        F("term__code"),
        Value("|"),
        Coalesce(F("term__parent__code"), F("term__code")),
        Value("|"),
        F("term__chi_code"),
        Value("|"),
        _chi_head("term__chi_code"),
        output_field=TextField(),
    )
    answered = Q(answered_at__isnull=False)
    short = Q(
        status=Status.ABANDONED,
        ended_at__isnull=False,
        ended_at__lt=F("arrived_at") + dt.timedelta(seconds=SHORT_ABANDON_SECONDS),
    )
    blank = Value("")
    columns = {
        "contact_id": F("pk"),
        "day": TruncDate("arrived_at", tzinfo=zone),
        "hour": ExtractHour("arrived_at", tzinfo=zone),
        "channel": F("channel"),
        "direction": F("direction"),
        "status": F("status"),
        "kind": F("kind"),
        "urgency": F("urgency"),
        "gender": Coalesce(F("gender__code"), blank),
        "age_band": _age_band(),
        "province": Coalesce(F("province__code"), blank),
        "region": Coalesce(F("region__code"), blank),
        "caller_type": Coalesce(F("caller_type__code"), blank),
        "answered": Case(When(answered, then=Value(True)), default=Value(False), output_field=BooleanField()),
        "wait_seconds": Case(
            When(answered, then=F("wait_seconds")), default=None, output_field=IntegerField()
        ),
        "short_abandon": Case(
            When(short, then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    }
    aliased = {f"f_{name}": expression for name, expression in columns.items()}
    rows: QuerySet[Any] = _contacts(lo, hi).annotate(**aliased).values(*aliased)
    return rows, (
        ("r", _joined(Contact.reasons.through, reason_part, lo, hi), "f_contact_id"),
        ("a", _joined(Contact.actions.through, F("term__code"), lo, hi), "f_contact_id"),
    )


def _facts(lo: dt.date | None, hi: dt.date | None) -> QuerySet[ContactFact]:
    return _in_days(ContactFact.objects.all(), "day", lo, hi)


def _daily(table: str, dimension: str, qs: QuerySet[Any], *, wait: bool = False) -> None:
    """Rows of one dimension: `qs` yields day, channel, r_value, r_n (and r_w when `wait`)."""
    _insert(
        table,
        ["day", *ROLLUP_COLUMNS],
        qs,
        ["day", "channel", "%s", "r_value", "r_n", "r_w" if wait else "%s"],
        [dimension] if wait else [dimension, 0],
    )


def _hour() -> LPad:
    return LPad(Cast("hour", CharField()), 2, Value("0"))


def _wait_bucket() -> Case:
    """facts.wait_bucket() of the annotation w_wait."""
    whens, low = [], 0
    for top in WAIT_BUCKETS:
        whens.append(When(Q(w_wait__lt=top), then=Value(f"{low}-{top}")))
        low = top
    return Case(*whens, default=Value(f"{low}+"), output_field=CharField())


def _rollups_from_facts(lo: dt.date | None, hi: dt.date | None) -> None:
    table = DailyRollup._meta.db_table
    facts = _facts(lo, hi)

    def grouped(qs: QuerySet[Any], value: Any, **wait: Any) -> QuerySet[Any]:
        rows: QuerySet[Any] = (
            qs.annotate(r_value=value).values("day", "channel", "r_value").annotate(r_n=Count("pk"), **wait)
        )
        return rows

    _daily(table, "total", grouped(facts, Value("", output_field=CharField())))
    for name in SINGLE_DIMENSIONS:
        _daily(table, name, grouped(facts, _hour() if name == "hour" else F(name)))
    calls = facts.filter(direction=Direction.INBOUND, channel=CALLS_CHANNEL)
    measures = [
        ("offered", calls, False),
        ("answered", calls.filter(answered=True), True),
        ("abandoned", calls.filter(status=Status.ABANDONED), False),
        ("short_abandon", calls.filter(status=Status.ABANDONED, short_abandon=True), False),
    ]
    for measure, qs, wait in measures:
        extra = {"r_w": Sum(Coalesce(F("wait_seconds"), Value(0)))} if wait else {}
        _daily(table, "calls", grouped(qs, Value(measure, output_field=CharField()), **extra), wait=wait)
    answered = calls.filter(answered=True).annotate(w_wait=Coalesce(F("wait_seconds"), Value(0)))
    _daily(table, "wait_bucket", grouped(answered, _wait_bucket()))
    _multi_dimensions(table, lo, hi)


def _multi_dimensions(table: str, lo: dt.date | None, hi: dt.date | None) -> None:
    zone = local_zone()
    reasons = Contact.reasons.through.objects.filter(contact__in=_contacts(lo, hi).values("pk")).annotate(
        day=TruncDate("contact__arrived_at", tzinfo=zone), channel=F("contact__channel")
    )
    actions = Contact.actions.through.objects.filter(contact__in=_contacts(lo, hi).values("pk")).annotate(
        day=TruncDate("contact__arrived_at", tzinfo=zone), channel=F("contact__channel")
    )
    values: list[tuple[str, Any, Any, str]] = [
        ("subcategory", reasons, F("term__code"), "reasons"),
        ("category", reasons, Coalesce(F("term__parent__code"), F("term__code")), "reasons"),
        ("chi_subcategory", reasons, F("term__chi_code"), "reasons"),
        ("chi_category", reasons, _chi_head("term__chi_code"), "reasons"),
        ("action", actions, F("term__code"), "actions"),
    ]
    for dimension, links, value, field in values:
        qs = (
            links.annotate(r_value=value)
            .values("day", "channel", "r_value")
            .annotate(r_n=Count("contact_id", distinct=True))
        )
        _daily(table, dimension, qs)
        none = (
            _facts(lo, hi)
            .filter(**{field: ""})
            .annotate(r_value=Value("", output_field=CharField()))
            .values("day", "channel", "r_value")
            .annotate(r_n=Count("pk"))
        )
        _daily(table, dimension, none)


def _months_from_days(lo: dt.date | None, hi: dt.date | None) -> None:
    rows = (
        _in_days(DailyRollup.objects.all(), "day", lo, hi)
        .annotate(r_month=TruncMonth("day"))
        .values("r_month", "channel", "dimension", "value")
        .annotate(r_n=Sum("contacts"), r_w=Sum("wait_seconds"))
    )
    _insert(
        MonthlyRollup._meta.db_table,
        ["month", *ROLLUP_COLUMNS],
        rows,
        ["r_month", "channel", "dimension", "value", "r_n", "r_w"],
        [],
    )
    all_rows = (
        _in_days(DailyAllRollup.objects.all(), "day", lo, hi)
        .annotate(r_month=TruncMonth("day"))
        .values("r_month", "dimension", "value")
        .annotate(r_n=Sum("contacts"), r_w=Sum("wait_seconds"))
    )
    _insert(
        MonthlyAllRollup._meta.db_table,
        ["month", *ALL_COLUMNS],
        all_rows,
        ["r_month", "dimension", "value", "r_n", "r_w"],
        [],
    )


def _all_channels_from_channels(lo: dt.date | None, hi: dt.date | None) -> None:
    """facts.across_channels() over the range's per-channel daily rows: summed over channels, and
    each channel's total as the dimension "channel"."""
    table = DailyAllRollup._meta.db_table
    days = _in_days(DailyRollup.objects.all(), "day", lo, hi)
    summed = days.values("day", "dimension", "value").annotate(r_n=Sum("contacts"), r_w=Sum("wait_seconds"))
    _insert(table, ["day", *ALL_COLUMNS], summed, ["day", "dimension", "value", "r_n", "r_w"], [])
    channels = days.filter(dimension="total").values("day", "channel", "contacts", "wait_seconds")
    _insert(
        table,
        ["day", *ALL_COLUMNS],
        channels,
        ["day", "%s", "channel", "contacts", "wait_seconds"],
        ["channel"],
    )


def rebuild_range(lo: dt.date | None, hi: dt.date | None) -> int:
    """Recompute the ledger and both rollup levels for the local months lo..hi (hi excluded; None:
    no bound). `lo` and `hi` are first days of months. Returns how many contacts were counted.
    The caller holds the state lock in a consistent snapshot, and has taken away the ledger rows
    of this range's contacts that lie outside it (rollups.py)."""
    _in_days(DailyRollup.objects.all(), "day", lo, hi).delete()
    _in_days(MonthlyRollup.objects.all(), "month", lo, hi).delete()
    _in_days(DailyAllRollup.objects.all(), "day", lo, hi).delete()
    _in_days(MonthlyAllRollup.objects.all(), "month", lo, hi).delete()
    _facts(lo, hi).delete()
    facts, links = _fact_rows(lo, hi)
    columns = ["contact_id", *fact_fields()]
    select = [f"f_{n}" for n in columns]
    select[columns.index("reasons")] = "r.s"
    select[columns.index("actions")] = "a.s"
    count = _insert(ContactFact._meta.db_table, columns, facts, select, [], links)
    _rollups_from_facts(lo, hi)
    _all_channels_from_channels(lo, hi)
    _months_from_days(lo, hi)
    return count
