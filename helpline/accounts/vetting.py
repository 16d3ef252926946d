"""Selectors for the safeguarding gate: has this person signed the current policy, is their police
check valid? Computed on every gated request so a lapse takes effect at once, open sessions included."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from uuid import UUID

from django.conf import settings
from django.db import connections
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from helpline.accounts.models import PoliceCheck, PolicySignature, PolicyVersion, Staff

NO_POLICY = _("No Child Protection Policy has been published yet.")
POLICY_NOT_SIGNED = _("The current Child Protection Policy has not been signed.")
NO_POLICE_CHECK = _("No police check is on record.")
POLICE_CHECK_EXPIRED = _("The police check has expired.")
# Every reason the gate gives, so that a refusal in the audit trail reads in its reader's language.
VETTING_REASONS = (NO_POLICY, POLICY_NOT_SIGNED, NO_POLICE_CHECK, POLICE_CHECK_EXPIRED)


@dataclass(frozen=True)
class VettingStatus:
    reasons: list[str | Promise] = field(default_factory=list)
    police_check_expires: dt.date | None = None
    current_policy_id: UUID | str | None = None  # the policy itself is read when a page shows it
    signed_current_policy: bool = False

    @property
    def blocked(self) -> bool:
        return bool(self.reasons)

    @cached_property
    def current_policy(self) -> PolicyVersion | None:
        """Read only when a page shows it (the gate needs the id alone)."""
        if self.current_policy_id is None:
            return None
        return PolicyVersion.objects.defer("text").filter(pk=self.current_policy_id).first()


def today() -> dt.date:
    return timezone.localdate()


def current_policy(on: dt.date | None = None) -> PolicyVersion | None:
    return (
        PolicyVersion.objects.filter(effective_date__lte=on or today())
        .order_by("-effective_date", "-created_at")
        .first()
    )


# The current policy is the one in effect longest, the latest written first (current_policy()).
_VETTING_SQL = """
SELECT p.id,
       EXISTS (SELECT 1 FROM accounts_policysignature s WHERE s.staff_id = %s AND s.policy_id = p.id),
       (SELECT c.expires_on FROM accounts_policecheck c WHERE c.staff_id = %s AND c.issued_on <= %s
         ORDER BY c.expires_on DESC LIMIT 1)
FROM (SELECT 1 AS one) AS here
LEFT JOIN (SELECT id FROM accounts_policyversion WHERE effective_date <= %s
           ORDER BY effective_date DESC, created_at DESC LIMIT 1) AS p ON 1 = 1
"""


def _vetting_row(staff_pk: object, on: dt.date) -> tuple[UUID | str | None, bool, dt.date | None]:
    """(current policy's id, signed by this person, their latest police check's expiry), in one
    statement. Run on every gated request and every reply on a console socket: the same query
    through the ORM (an annotated, deferred PolicyVersion) took 25 times as long to build as to run.
    tests/test_vetting_live.py holds it to the ORM's statement of the rule (vetted())."""
    conn = connections[PolicyVersion.objects.db]
    staff_id = Staff._meta.pk.get_db_prep_value(staff_pk, conn)  # type: ignore[union-attr]
    day = conn.ops.adapt_datefield_value(on)
    with conn.cursor() as cursor:
        cursor.execute(_VETTING_SQL, [staff_id, staff_id, day, day])
        policy_id, signed, expires = cursor.fetchone()
    if isinstance(expires, str):  # SQLite returns dates as text
        expires = dt.date.fromisoformat(expires)
    return policy_id, bool(signed), expires


# Within one request the gate, the selectors behind the page and its menu all ask; the answer is
# kept for that request only (never on a socket, whose staff object lives for hours), and dropped
# when the request itself signs a policy or records a police check.
_request_answers: ContextVar[
    dict[tuple[object, dt.date], tuple[UUID | str | None, bool, dt.date | None]] | None
]
_request_answers = ContextVar("vetting_request_answers", default=None)


@contextmanager
def answers_kept_for_request() -> Iterator[None]:
    token = _request_answers.set({})
    try:
        yield
    finally:
        _request_answers.reset(token)


def forget_answers() -> None:
    """After a write that changes someone's vetting: the rest of this request asks again."""
    kept = _request_answers.get()
    if kept is not None:
        kept.clear()


def vetting_status(staff: Staff, on: dt.date | None = None) -> VettingStatus:
    on = on or today()
    kept = _request_answers.get()
    row = None if kept is None else kept.get((staff.pk, on))
    if row is None:
        row = _vetting_row(staff.pk, on)
        if kept is not None:
            kept[(staff.pk, on)] = row
    policy_id, signed, expires = row
    reasons: list[str | Promise] = []
    if policy_id is None:
        reasons.append(NO_POLICY)
    elif not signed:
        reasons.append(POLICY_NOT_SIGNED)
    if expires is None:
        reasons.append(NO_POLICE_CHECK)
    elif expires < on:
        reasons.append(POLICE_CHECK_EXPIRED)
    return VettingStatus(
        reasons=reasons,
        police_check_expires=expires,
        current_policy_id=policy_id,
        signed_current_policy=signed,
    )


def vetted(staff: QuerySet[Staff], on: dt.date | None = None) -> QuerySet[Staff]:
    """Those of `staff` who pass the safeguarding gate on that day, in one query: the rule of
    vetting_status (the current policy signed, a police check issued and not yet expired)."""
    on = on or today()
    policy = current_policy(on)
    if policy is None:
        return staff.none()
    return staff.filter(
        Exists(PolicySignature.objects.filter(staff=OuterRef("pk"), policy=policy)),
        Exists(PoliceCheck.objects.filter(staff=OuterRef("pk"), issued_on__lte=on, expires_on__gte=on)),
    )


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def vetting_holds_until(staff: Staff, status: VettingStatus | None = None) -> dt.datetime | None:
    """The moment this person's current vetting lapses by the calendar alone: the local midnight
    after their police check's last day, or when a policy version already published takes effect
    (unsigned, it blocks). None when nothing is due. Every other change to vetting is a write that
    announces itself (accounts.signals.access_changed)."""
    on = today()
    status = status or vetting_status(staff, on)
    moments = []
    if status.police_check_expires is not None and status.police_check_expires >= on:
        moments.append(_start_of(status.police_check_expires + dt.timedelta(days=1)))
    upcoming = (
        PolicyVersion.objects.filter(effective_date__gt=on)
        .order_by("effective_date")
        .values_list("effective_date", flat=True)
        .first()
    )
    if upcoming is not None:
        moments.append(_start_of(upcoming))
    return min(moments) if moments else None


@dataclass(frozen=True)
class StaffVettingRow:
    staff: Staff
    status: VettingStatus

    @property
    def expires_soon(self) -> bool:
        expires = self.status.police_check_expires
        if expires is None or expires < today():
            return False
        return (expires - today()).days <= settings.POLICE_CHECK_WARNING_DAYS


def vetting_overview(staff: QuerySet[Staff] | None = None) -> list[StaffVettingRow]:
    qs = staff if staff is not None else Staff.objects.filter(is_active=True)
    return [StaffVettingRow(staff=s, status=vetting_status(s)) for s in qs.order_by("username")]
