"""The formats of our own that the API schema names (helpline/contacts/api_types.py), generated as
the server reads them, for schemathesis: imported by tests/test_api_fuzz.py, and named by
SCHEMATHESIS_HOOKS in the live run of `make security` (.ci/api_fuzz.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import schemathesis
from hypothesis import strategies as st

from helpline.common.bounds import EARLIEST_DATE, LATEST_DATE
from helpline.contacts.taxonomy_data import iter_terms

# The formats of our own that the schema names (helpline/contacts/api_types.py), generated as the
# server reads them. Negative tests leave them alone: an unknown format is no constraint to break.
_WINDOW_START = dt.datetime(2000, 1, 2)  # a day in: 2000-01-01T00:00+07:00 is still 1999 in UTC
_NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=1)
_ZONES = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=7))])
_event_times = st.datetimes(min_value=_WINDOW_START, max_value=_NOW, timezones=_ZONES)


def _cursor(at: dt.datetime, pk: Any) -> str:
    raw = json.dumps([at.isoformat(), str(pk)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


schemathesis.openapi.format("event-time", _event_times.map(dt.datetime.isoformat))
schemathesis.openapi.format("window-date", st.dates(EARLIEST_DATE, LATEST_DATE).map(dt.date.isoformat))
schemathesis.openapi.format("cursor", st.builds(_cursor, _event_times, st.uuids()))
schemathesis.openapi.format(
    "address",
    st.one_of(
        st.sampled_from(["012 345 678", "+85512345678", "tel:+85517888999", "tel:+855977123456"]),
        st.from_regex(r"\Awebchat:[A-Za-z0-9_-]{1,40}\Z"),
        st.from_regex(r"\Aemail:[a-z]{1,12}@example\.org\Z"),
    ),
)
schemathesis.openapi.format(
    "phone", st.sampled_from(["012 345 678", "+85512345678", "023 555 123", "+85563555123", "097 7123 456"])
)


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """The one rule of a partner's body JSON Schema cannot state (its description says it): the
    oldest age served is not below the youngest. Generated and coverage cases alike."""
    body = getattr(case, "body", None)
    if not isinstance(body, dict):
        return True
    low, high = body.get("min_age"), body.get("max_age")
    return not (isinstance(low, int) and isinstance(high, int) and low > high)


_codes: dict[str, list[str]] = {}
for _vocabulary, _parent, _order, _term in iter_terms():
    # A contact's reasons are subcategories (a category alone is refused).
    if _vocabulary != "reason" or _parent is not None:
        _codes.setdefault(_vocabulary, []).append(_term["code"])
for _vocabulary, _list in _codes.items():
    schemathesis.openapi.format(f"code:{_vocabulary}", st.sampled_from(_list))
