"""The quality figures in the statistics dashboard and the reports: complaints by subject and by
where they stand, the time to acknowledge and to respond (median, 90th percentile), how many are
overdue; survey answers per question; review scores per rubric line (never per counsellor); shift
coverage. A known dataset over June and May 2025 (local days) is built here, and every figure is
checked against counts made independently in this file from the dataset itself."""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import re
import statistics
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from helpline.accounts.models import Role, Staff
from helpline.contacts.models import Channel, Contact, Kind, Status
from helpline.feedback.models import Feedback, FeedbackKind, Source, SurveyAnswer
from helpline.people import services as people_services
from helpline.people.models import Criterion, Review, ReviewHow, Score
from helpline.reports.board_rows import Section
from helpline.reports.figures_board import board
from helpline.reports.figures_quality import quality_figures
from helpline.reports.pdf import report_board, report_pdf, report_period
from helpline.reports.selectors import Period
from helpline.rota.models import Assignment, Shift
from tests.factories import persona

pytestmark = pytest.mark.django_db
UTC = dt.UTC
LOCAL = zoneinfo.ZoneInfo("Asia/Phnom_Penh")
JUNE = Period(dt.date(2025, 6, 1), dt.date(2025, 6, 30))
MAY = Period(dt.date(2025, 5, 1), dt.date(2025, 5, 31))
STATES = ["received", "acknowledged", "investigating", "responded", "closed"]
SUBJECTS = ["helpline", "staff", "partner"]
QUESTIONS = ["helpful", "heard", "again"]
ANSWERS = ["yes", "somewhat", "no"]


@dataclass
class Built:
    supervisor: Staff
    complaints: list[dict[str, object]] = field(default_factory=list)
    answers: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    scores: list[tuple[dt.datetime, dict[str, int]]] = field(default_factory=list)
    shifts: list[tuple[dt.datetime, float, int, int]] = field(default_factory=list)  # start, hours, min, on


def _local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(LOCAL).date()


def _in(period: Period, at: dt.datetime) -> bool:
    return period.start <= _local_day(at) <= period.end


def _contact(counsellor: Staff, at: dt.datetime) -> Contact:
    return Contact.objects.create(
        channel=Channel.SMS, status=Status.CLOSED, kind=Kind.COUNSELLING, arrived_at=at, counsellor=counsellor
    )


@pytest.fixture
def built(db: None) -> Built:
    people_services.rubric_defaults_ensure()  # emptied by a transactional test elsewhere
    rng = random.Random(18)
    supervisor = persona(Role.SUPERVISOR, username="supervisor")
    counsellors = [persona(Role.COUNSELLOR, username=f"c{n}") for n in range(3)]
    out = Built(supervisor)
    # Two edges of June in local time: 00:30 on 1 June (in) and 00:30 on 1 July (out).
    edges = [dt.datetime(2025, 5, 31, 17, 30, tzinfo=UTC), dt.datetime(2025, 6, 30, 17, 30, tzinfo=UTC)]
    moments = edges + [
        dt.datetime(2025, rng.choice([5, 6]), rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC)
        for _ in range(46)
    ]
    for n, received in enumerate(moments):
        state = STATES[n % 5] if n > 1 else "received"
        acknowledged = received + dt.timedelta(hours=rng.randint(1, 90)) if state != "received" else None
        responded = (
            acknowledged + dt.timedelta(hours=rng.randint(1, 500))
            if acknowledged is not None and state in ("responded", "closed")
            else None
        )
        spec = {
            "subject": SUBJECTS[rng.randrange(3)],
            "state": state,
            "received": received,
            "acknowledged": acknowledged,
            "responded": responded,
            "respond_by": received + dt.timedelta(days=14),
        }
        Feedback.objects.create(
            kind=FeedbackKind.COMPLAINT,
            source=Source.STAFF,
            subject=spec["subject"],
            state=state,
            text="…",
            received_at=received,
            acknowledge_by=received + dt.timedelta(days=2),
            respond_by=spec["respond_by"],
            acknowledged_at=acknowledged,
            responded_at=responded,
            response="We answered." if responded else "",
        )
        out.complaints.append(spec)
    # Feedback that is not a complaint is no complaint figure.
    Feedback.objects.create(
        kind=FeedbackKind.FEEDBACK,
        source=Source.STAFF,
        text="Thank you",
        received_at=dt.datetime(2025, 6, 10, tzinfo=UTC),
        acknowledge_by=dt.datetime(2025, 6, 12, tzinfo=UTC),
        respond_by=dt.datetime(2025, 6, 24, tzinfo=UTC),
    )
    # Survey answers: every question not always answered.
    for _ in range(30):
        at = dt.datetime(2025, rng.choice([5, 6]), rng.randint(1, 30), rng.randint(0, 23), tzinfo=UTC)
        contact = _contact(counsellors[0], at)
        for question in QUESTIONS:
            if rng.random() < 0.8:
                answer = rng.choice(ANSWERS)
                SurveyAnswer.objects.create(contact=contact, question=question, answer=answer, answered_at=at)
                out.answers.append((question, answer, at))
    # Reviews: each scored on every line; one left unscored (sampled, not yet anything).
    criteria = list(Criterion.objects.filter(is_active=True))
    for n in range(14):
        at = dt.datetime(2025, 6 if n < 9 else 5, 2 + n, 5, tzinfo=UTC)
        who = counsellors[n % 3]
        review = Review.objects.create(
            contact=_contact(who, at), counsellor=who, reviewer=supervisor, how=ReviewHow.RANDOM, scored_at=at
        )
        given = {c.code: rng.randint(1, 5) for c in criteria}
        Score.objects.bulk_create([Score(review=review, criterion=c, score=given[c.code]) for c in criteria])
        out.scores.append((at, given))
    Review.objects.create(
        contact=_contact(counsellors[1], dt.datetime(2025, 6, 20, tzinfo=UTC)),
        counsellor=counsellors[1],
        reviewer=supervisor,
        how=ReviewHow.CHOSEN,
    )
    # Shifts: three a day through June and May's last week, some short of their minimum.
    day = dt.date(2025, 5, 25)
    while day <= dt.date(2025, 6, 30):
        for start_hour, hours in ((7, 8.0), (15, 8.0), (23, 8.0)):
            starts = dt.datetime.combine(day, dt.time(start_hour), tzinfo=LOCAL)
            minimum = rng.randint(1, 3)
            on = rng.randint(0, 3)
            shift = Shift.objects.create(
                starts_at=starts, ends_at=starts + dt.timedelta(hours=hours), minimum=minimum
            )
            for person in counsellors[:on]:
                Assignment.objects.create(
                    shift=shift, staff=person, assigned_by=supervisor, assigned_at=starts
                )
            out.shifts.append((starts, hours, minimum, on))
        day += dt.timedelta(days=1)
    return out


# --- Counted here, independently ---------------------------------------------------------------


def _nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(share * len(ordered)) - 1]


def _hours_text(hours: float) -> str:
    return f"{hours:.1f} hours"


@dataclass
class Expected:
    by_subject: Counter[str]
    by_state: Counter[str]
    ack_hours: list[float]
    respond_hours: list[float]
    in_time: int
    late: int
    overdue: int
    survey: dict[str, Counter[str]]
    reviews: int
    averages: dict[str, float]
    overall: float | None
    shifts: int
    gaps: int
    hours_required: float
    hours_staffed: float
    hours_short: float


def expected(data: Built, period: Period) -> Expected:
    mine = [c for c in data.complaints if _in(period, c["received"])]  # type: ignore[arg-type]
    ack = [
        (c["acknowledged"] - c["received"]).total_seconds() / 3600  # type: ignore[operator]
        for c in mine
        if c["acknowledged"] is not None
    ]
    answered = [c for c in mine if c["responded"] is not None]
    respond = [(c["responded"] - c["received"]).total_seconds() / 3600 for c in answered]  # type: ignore[operator]
    in_time = sum(1 for c in answered if c["responded"] <= c["respond_by"])  # type: ignore[operator]
    overdue = sum(
        1 for c in mine if c["responded"] is None and c["state"] in STATES[:3]
    )  # June 2025 is long past: every open one is past its date
    survey = {q: Counter(a for qq, a, at in data.answers if qq == q and _in(period, at)) for q in QUESTIONS}
    scored = [given for at, given in data.scores if _in(period, at)]
    codes = list(scored[0]) if scored else []
    averages = {code: round(statistics.fmean(g[code] for g in scored), 2) for code in codes}
    every = [v for g in scored for v in g.values()]
    shifts = [s for s in data.shifts if _in(period, s[0])]
    return Expected(
        by_subject=Counter(str(c["subject"]) for c in mine),
        by_state=Counter(str(c["state"]) for c in mine),
        ack_hours=ack,
        respond_hours=respond,
        in_time=in_time,
        late=len(answered) - in_time,
        overdue=overdue,
        survey=survey,
        reviews=len(scored),
        averages=averages,
        overall=round(statistics.fmean(every), 2) if every else None,
        shifts=len(shifts),
        gaps=sum(1 for _s, _h, minimum, on in shifts if on < minimum),
        hours_required=sum(h * minimum for _s, h, minimum, _on in shifts),
        hours_staffed=sum(h * on for _s, h, _minimum, on in shifts),
        hours_short=sum(h * max(0, minimum - on) for _s, h, minimum, on in shifts),
    )


def _section(sections: list[Section], key: str) -> Section:
    return next(s for s in sections if s.key == key)


def _column(section: Section, column: int) -> dict[str, str]:
    return {r.code: r.texts()[column] for r in section.rows}


# --- The figures ----------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [JUNE, MAY], ids=["june", "may"])
def test_the_quality_figures_match_counts_made_independently(built: Built, period: Period) -> None:
    want = expected(built, period)
    got = quality_figures(built.supervisor, period)
    c = got.complaints
    assert c.by_subject == {s: want.by_subject[s] for s in SUBJECTS}
    assert c.by_state == {s: want.by_state[s] for s in STATES}
    assert c.total == sum(want.by_state.values()) > 0
    assert c.to_acknowledge.count == len(want.ack_hours)
    assert c.to_acknowledge.median is not None
    assert c.to_acknowledge.median.total_seconds() / 3600 == pytest.approx(statistics.median(want.ack_hours))
    assert c.to_acknowledge.p90 is not None
    assert c.to_acknowledge.p90.total_seconds() / 3600 == pytest.approx(_nearest_rank(want.ack_hours, 0.9))
    assert c.to_respond.median is not None and c.to_respond.p90 is not None
    assert c.to_respond.median.total_seconds() / 3600 == pytest.approx(statistics.median(want.respond_hours))
    assert c.to_respond.p90.total_seconds() / 3600 == pytest.approx(_nearest_rank(want.respond_hours, 0.9))
    assert (c.responded_in_time, c.responded_late, c.overdue) == (want.in_time, want.late, want.overdue)
    assert got.survey == {q: {a: want.survey[q][a] for a in ANSWERS} for q in QUESTIONS}
    assert got.reviews.reviews == want.reviews
    assert {line.code: line.average for line in got.reviews.by_criterion} == want.averages
    assert {line.code: line.scored for line in got.reviews.by_criterion} == dict.fromkeys(
        want.averages, want.reviews
    )
    assert got.reviews.overall == want.overall
    cov = got.coverage
    assert (cov.shifts, cov.gaps, cov.covered) == (want.shifts, want.gaps, want.shifts - want.gaps)
    assert (cov.hours_required, cov.hours_staffed, cov.hours_short) == pytest.approx(
        (want.hours_required, want.hours_staffed, want.hours_short)
    )


def test_the_dashboard_board_shows_each_quality_figure_beside_the_period_before(built: Built) -> None:
    june, may = expected(built, JUNE), expected(built, MAY)
    sections = board(built.supervisor, JUNE, previous=MAY).sections
    subjects = _section(sections, "complaint_subject")
    assert _column(subjects, 0) == {s: str(june.by_subject[s]) for s in SUBJECTS}
    assert _column(subjects, 1) == {s: str(may.by_subject[s]) for s in SUBJECTS}
    states = _section(sections, "complaint_state")
    assert _column(states, 0) == {s: str(june.by_state[s]) for s in STATES}
    footer = dict(states.footer)
    assert footer["Median time to acknowledge"] == _hours_text(statistics.median(june.ack_hours))
    assert footer["90% responded to within"] == _hours_text(_nearest_rank(june.respond_hours, 0.9))
    assert footer["Overdue now: not yet responded to, past the due date"] == str(june.overdue)
    assert footer["Responded to by the due date"] == str(june.in_time)
    for question in QUESTIONS:
        survey = _section(sections, f"survey_{question}")
        assert _column(survey, 0) == {a: str(june.survey[question][a]) for a in ANSWERS}
        assert _column(survey, 1) == {a: str(may.survey[question][a]) for a in ANSWERS}
    reviews = _section(sections, "review_scores")
    assert _column(reviews, 0) == {code: f"{v:.2f}" for code, v in june.averages.items()} | {
        "overall": f"{june.overall:.2f}"
    }
    assert _column(reviews, 1)["overall"] == f"{may.overall:.2f}"
    assert dict(reviews.footer)["Reviews scored"] == str(june.reviews)
    coverage = _section(sections, "shift_coverage")
    assert _column(coverage, 0) == {"covered": str(june.shifts - june.gaps), "gaps": str(june.gaps)}
    hours = _section(sections, "shift_hours")
    assert _column(hours, 0) == {
        "hours_required": f"{round(june.hours_required):,}",
        "hours_staffed": f"{round(june.hours_staffed):,}",
        "hours_short": f"{round(june.hours_short):,}",
    }


def test_review_scores_are_never_shown_per_counsellor(built: Built) -> None:
    sections = board(built.supervisor, JUNE).sections
    reviews = _section(sections, "review_scores")
    codes = {r.code for r in reviews.rows}
    assert codes == {c.code for c in Criterion.objects.filter(is_active=True)} | {"overall"}
    labels = " ".join(r.label for s in sections for r in s.rows)
    assert not any(name in labels for name in ("c0", "c1", "c2"))


def test_a_data_officer_sees_the_quality_figures_as_aggregates_on_the_dashboard(
    built: Built, client_for: Callable[[Staff], Client]
) -> None:
    june = expected(built, JUNE)
    officer = persona(Role.DATA_OFFICER, username="officer")
    query = {"date_from": "2025-06-01", "date_to": "2025-06-30", "grain": "day"}
    page = client_for(officer).get(reverse("reports:dashboard"), query).content.decode()
    body = page.split('class="board-sections"', 1)[1]
    for key in ("complaint_subject", "complaint_state", "survey_helpful", "review_scores", "shift_coverage"):
        assert f'id="figure-{key}"' in body, key
    part = body.split('id="figure-complaint_subject"', 1)[1].split("</section>", 1)[0]
    staff_row = re.search(r"<th>A staff member</th>\s*<td>(\d+)</td>", part)
    assert staff_row is not None and staff_row.group(1) == str(june.by_subject["staff"])
    assert "/feedback/" not in body and "/quality/" not in body  # no way to a complaint or a review
    assert "<svg" in part


def test_someone_who_may_not_see_statistics_counts_nothing(built: Built, counsellor: Staff) -> None:
    got = quality_figures(counsellor, JUNE)
    assert got.complaints.total == 0 and got.reviews.reviews == 0 and got.coverage.shifts == 0
    assert all(n == 0 for answers in got.survey.values() for n in answers.values())


# --- Reports: publication, Khmer and English ----------------------------------------------------------


def test_for_publication_small_quality_counts_are_hidden_and_scores_on_few_reviews_too(built: Built) -> None:
    june, may = expected(built, JUNE), expected(built, MAY)
    result = report_board(built.supervisor, "monthly", report_period("monthly", 2025, 6), publication=True)
    for key in ("complaint_subject", "complaint_state", *(f"survey_{q}" for q in QUESTIONS)):
        section = _section(result.sections, key)
        for column in range(3):
            texts = [r.texts()[column] for r in section.rows]
            assert not any(t.isdigit() and 0 < int(t) < 5 for t in texts), (key, texts)
            hidden = [t for t in texts if not t.isdigit()]
            assert len(hidden) != 1, (key, texts)  # one hidden alone comes back by subtraction
            shown = {r.code: r.texts()[column] for r in section.rows}
            assert all(t in {"<5", "x"} or t.isdigit() for t in shown.values())
    # June's nine reviews are published as averages; May's five too; a year earlier, none.
    assert june.reviews >= 5 and may.reviews >= 5
    reviews = _section(result.sections, "review_scores")
    overall = next(r for r in reviews.rows if r.code == "overall")
    assert overall.texts()[:2] == (f"{june.overall:.2f}", f"{may.overall:.2f}")
    # Coverage counts shifts and staff hours: published whole.
    coverage = _section(result.sections, "shift_coverage")
    assert _column(coverage, 0)["gaps"] == str(june.gaps)


def test_a_review_average_over_fewer_than_five_reviews_is_hidden_with_its_column(built: Built) -> None:
    Review.objects.filter(scored_at__month=5).order_by("scored_at")[:1].get().delete()  # May: four
    result = report_board(built.supervisor, "monthly", report_period("monthly", 2025, 6), publication=True)
    reviews = _section(result.sections, "review_scores")
    assert {r.texts()[1] for r in reviews.rows} == {"x"}
    assert all(r.texts()[0] != "x" for r in reviews.rows)


def test_the_khmer_and_english_reports_name_the_quality_sections(built: Built) -> None:
    period = report_period("monthly", 2025, 6)
    for language, titles in (
        ("en", ["Complaints by subject", "Shift coverage", "Quality review scores"]),
        ("km", ["ពាក្យបណ្ដឹងតាមប្រធានបទ", "ការគ្របដណ្ដប់វេន"]),
    ):
        with translation.override(language):
            result = report_board(built.supervisor, "monthly", period, publication=False)
            html = render_to_string(
                "reports/pdf.html",
                {"board": result, "kind": "monthly", "kind_label": "", "language": language, "made_at": ""},
            )
        for title in titles:
            assert title in html, (language, title)
    pdf = report_pdf(built.supervisor, kind="monthly", period=period, language="en", publication=False)
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Complaints by subject" in text and "Survey after a chat or SMS" in text
    assert "Counsellor-hours on shifts" in text
