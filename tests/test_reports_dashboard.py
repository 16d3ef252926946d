"""The statistics dashboard: who may open it, what it shows (every breakdown, the period before
beside it, charts as SVG with real text and the numbers under them), the range changed through
htmx, and the drill-down to contacts only for those who may search every contact."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from helpline.accounts.models import Role, Staff
from helpline.audit.models import AuditEvent
from helpline.contacts.models import Contact, Term, Vocabulary
from helpline.reports import charts
from helpline.reports.rollups import rollups_refresh
from tests import report_factories as rf
from tests.factories import persona

UTC = dt.UTC
JUNE = {"date_from": "2025-06-01", "date_to": "2025-06-30", "grain": "day"}
SECTIONS = [
    "time", "channel", "kind", "category", "subcategory", "gender", "age_band", "province", "region",
    "caller_type", "urgency", "action", "hour", "calls", "waits", "work", "referral_service",
    "referral_outcome",
]  # fmt: skip


@pytest.fixture
def june_and_may(db: None) -> dict[str, int]:
    """June 2025 (the period asked for) and the 30 days before it, with counts kept here to
    compare against."""
    counsellor = persona(Role.COUNSELLOR, username="c")
    june = dt.datetime(2025, 6, 10, 3, tzinfo=UTC)
    may = dt.datetime(2025, 5, 20, 3, tzinfo=UTC)
    for _ in range(7):
        rf.enter(
            counsellor,
            channel="voice",
            arrived_at=june,
            kind="counselling",
            gender="female",
            age=14,
            province="battambang",
            reasons=["violence.physical"],
        )
    for _ in range(2):
        rf.enter(counsellor, channel="sms", arrived_at=june, kind="counselling", gender="male", age=16)
    for kind in ["silent", "hang_up", "hang_up"]:
        rf.enter(counsellor, channel="voice", arrived_at=june, kind=kind)
    # Just before midnight in Phnom Penh on 30 June: still June there (17:30 UTC is 00:30 on 1 July).
    rf.enter(
        counsellor,
        channel="webchat",
        arrived_at=dt.datetime(2025, 6, 30, 16, 30, tzinfo=UTC),
        kind="information",
    )
    rf.enter(
        counsellor,
        channel="webchat",
        arrived_at=dt.datetime(2025, 6, 30, 17, 30, tzinfo=UTC),
        kind="information",
    )
    for _ in range(4):
        rf.enter(counsellor, channel="voice", arrived_at=may, kind="counselling", province="battambang")
    rollups_refresh()
    return {"june": 13, "may": 4, "june_voice": 10, "june_battambang": 7, "june_hang_up": 2}


def _table_of(body: str, section: str) -> dict[str, tuple[str, str]]:
    """A section's numbers table: label -> (this period, period before)."""
    part = body.split(f'id="figure-{section}"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><th>((?:(?!<tr>).)*?)</th>\s*<td>(.*?)</td><td>(.*?)</td>", part, re.S)
    return {unescape(re.sub(r"<[^>]+>", "", label)).strip(): (now, before) for label, now, before in rows}


def test_a_supervisor_sees_every_breakdown_with_the_period_before(
    june_and_may: dict[str, int], supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    response = client_for(supervisor).get(reverse("reports:dashboard"), JUNE)
    assert response.status_code == 200
    body = response.content.decode()
    for key in SECTIONS:
        assert f'id="figure-{key}"' in body, key
    channels = _table_of(body, "channel")
    assert channels["Phone call"] == (str(june_and_may["june_voice"]), str(june_and_may["may"]))
    assert channels["Web chat"] == ("1", "0")  # the 00:30 contact of 1 July (local) is not June
    kinds = _table_of(body, "kind")
    assert kinds["Hang-up"] == (str(june_and_may["june_hang_up"]), "0")
    assert kinds["Silent"] == ("1", "0")
    provinces = _table_of(body, "province")
    battambang = Term.objects.get(vocabulary=Vocabulary.PROVINCE, code="battambang").label_en
    assert provinces[battambang] == (str(june_and_may["june_battambang"]), str(june_and_may["may"]))
    counted = Contact.objects.filter(arrived_at__gte=dt.datetime(2025, 5, 31, 17, tzinfo=UTC)).filter(
        arrived_at__lt=dt.datetime(2025, 6, 30, 17, tzinfo=UTC)
    )
    assert f"<th>Contacts</th><td>{counted.count()}</td><td>{june_and_may['may']}</td>" in body


def test_charts_are_svg_with_real_text_and_no_inline_style(
    june_and_may: dict[str, int], supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    supervisor.language = "km"
    supervisor.save(update_fields=["language"])
    client = client_for(supervisor)
    client.cookies["django_language"] = "km"
    body = client.get(reverse("reports:dashboard"), JUNE, HTTP_ACCEPT_LANGUAGE="km").content.decode()
    charts = re.findall(r"<svg .*?</svg>", body, re.S)
    assert len(charts) >= len(SECTIONS) - 1
    assert all("<text" in chart and "style=" not in chart and "<script" not in chart for chart in charts)
    female = Term.objects.get(vocabulary=Vocabulary.GENDER, code="female").label_km
    gender_chart = body.split('id="figure-gender"', 1)[1].split("</svg>", 1)[0]
    assert f">{female}</text>" in gender_chart


def test_changing_the_range_through_htmx_answers_the_board_alone(
    june_and_may: dict[str, int], supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    may = {"date_from": "2025-05-01", "date_to": "2025-05-31", "grain": "week"}
    response = client_for(supervisor).get(reverse("reports:dashboard"), may, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="figure-channel"' in body
    assert _table_of(body, "channel")["Phone call"] == (str(june_and_may["may"]), "0")
    assert "Contacts by week" in body


def test_a_range_ending_before_it_starts_is_refused(
    supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    response = client_for(supervisor).get(
        reverse("reports:dashboard"), {"date_from": "2025-06-30", "date_to": "2025-06-01", "grain": "day"}
    )
    assert response.status_code == 400
    assert "figure-channel" not in response.content.decode()


def test_a_link_with_other_query_words_opens_the_default_figures(
    supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    """A link from a mail (?utm_source=mail) or a bookmark with a stray word: figures, not a 400."""
    client = client_for(supervisor)
    for query in ({"utm_source": "mail"}, {"page": "2"}, {"year": "2026"}):
        response = client.get(reverse("reports:dashboard"), query)
        assert response.status_code == 200, query
        assert "figure-channel" in response.content.decode(), query
    # The form's own fields still bind it, alone too: a grain with the default range.
    assert client.get(reverse("reports:dashboard"), {"grain": "week"}).status_code == 200
    assert client.get(reverse("reports:dashboard"), {"grain": "fortnight"}).status_code == 400


def test_a_long_range_is_drawn_by_week_or_month(
    june_and_may: dict[str, int], supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    year = {"date_from": "2025-01-01", "date_to": "2025-12-31", "grain": "day"}
    body = client_for(supervisor).get(reverse("reports:dashboard"), year).content.decode()
    assert "Contacts by week" in body
    assert "Contacts by day" not in body


def test_a_data_officer_sees_the_figures_but_no_link_to_a_contact(
    june_and_may: dict[str, int], data_officer: Staff, client_for: Callable[[Staff], Client]
) -> None:
    response = client_for(data_officer).get(reverse("reports:dashboard"), JUNE)
    body = response.content.decode()
    assert response.status_code == 200
    assert _table_of(body, "channel")["Phone call"][0] == str(june_and_may["june_voice"])
    assert reverse("reports:drill") not in body
    assert "/contacts/" not in body.split("<main", 1)[1]


def test_a_supervisor_gets_drill_down_links(
    june_and_may: dict[str, int], supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    body = client_for(supervisor).get(reverse("reports:dashboard"), JUNE).content.decode()
    assert f'href="{reverse("reports:drill")}?dimension=channel&amp;value=voice' in body


def test_a_counsellor_is_refused_the_dashboard(
    counsellor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    response = client_for(counsellor).get(reverse("reports:dashboard"), JUNE)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.refused", actor=counsellor).exists()


def test_the_drill_down_opens_the_contact_list_filtered(
    june_and_may: dict[str, int], supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    client = client_for(supervisor)
    query = {
        "dimension": "province",
        "value": "battambang",
        "date_from": "2025-06-01",
        "date_to": "2025-06-30",
    }
    response = client.get(reverse("reports:drill"), query)
    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert target.path == reverse("contacts:list")
    assert parse_qs(target.query) == {
        "province": ["battambang"],
        "date_from": ["2025-06-01"],
        "date_to": ["2025-06-30"],
    }
    listed = client.get(response["Location"])
    assert listed.status_code == 200
    assert listed.content.decode().count('href="/contacts/') >= june_and_may["june_battambang"]


def test_the_drill_down_refuses_an_unknown_dimension(
    supervisor: Staff, client_for: Callable[[Staff], Client]
) -> None:
    query = {"dimension": "summary", "value": "x", "date_from": "2025-06-01", "date_to": "2025-06-30"}
    assert client_for(supervisor).get(reverse("reports:drill"), query).status_code == 404


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.DATA_OFFICER, Role.VOLUNTEER])
def test_the_drill_down_is_refused_to_those_who_may_not_search_contacts(
    role: Role, client_for: Callable[[Staff], Client], db: None
) -> None:
    staff = persona(role, username=f"r-{role}")
    query = {"dimension": "channel", "value": "voice", "date_from": "2025-06-01", "date_to": "2025-06-30"}
    response = client_for(staff).get(reverse("reports:drill"), query)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.refused", actor=staff).exists()


def test_the_dashboard_links_the_chi_export(supervisor: Staff, client_for: Callable[[Staff], Client]) -> None:
    body = client_for(supervisor).get(reverse("reports:dashboard"), JUNE).content.decode()
    this_year = timezone.localdate().year
    assert f'href="/api/v1/reports/chi?year={this_year}"' in body


def test_a_chart_for_print_carries_its_labels_as_html_over_the_drawing() -> None:
    """WeasyPrint lays SVG text out letter by letter, which takes Khmer clusters apart: the printed
    chart keeps its shapes in the SVG and puts each label in an HTML box Pango shapes."""
    label = "អំពើហិង្សាផ្លូវកាយ"
    chart = charts.bar_chart("ចំណងជើង", [label], [charts.Series("a", [3]), charts.Series("b", [1])])
    on_screen, printed = chart.svg(), chart.overlay()
    assert f">{label}</text>" in on_screen
    assert "<text" not in printed and f">{label}</span>" in printed
    assert printed.count("<rect") == on_screen.count("<rect")


def test_chart_text_is_escaped() -> None:
    chart = charts.bar_chart("<b>", ["<script>alert(1)</script>"], [charts.Series("a", [1])])
    assert "<script>" not in chart.svg() and "<script>" not in chart.overlay()
