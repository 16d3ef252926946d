"""The retention periods have a limit a person can read (a hundred years, in days), not the
database's 64-bit one, and say it in Khmer on a Khmer page."""

from __future__ import annotations

from django.utils import translation

from helpline.operations.forms import MAX_DAYS, RetentionPolicyForm
from helpline.operations.models import RetentionPolicy

GOOD = {
    "non_data_contact_days": "365",
    "contact_days": "2000",
    "closed_case_days": "2500",
    "message_text_days": "30",
    "feedback_days": "1000",
    "audit_days": "4000",
    "enabled": "on",
}


def test_a_period_past_a_hundred_years_is_refused_in_years(db: None) -> None:
    form = RetentionPolicyForm(
        {**GOOD, "closed_case_days": "99999999999999999999"}, instance=RetentionPolicy()
    )
    assert not form.is_valid()
    assert form.errors["closed_case_days"] == ["At most 100 years (36500 days)."]
    assert "9223372036854775807" not in str(form.errors)
    assert f'max="{MAX_DAYS}"' in str(form["closed_case_days"])


def test_a_hundred_years_exactly_is_accepted(db: None) -> None:
    periods = {name: str(MAX_DAYS) for name in GOOD if name != "enabled"}
    assert RetentionPolicyForm({**GOOD, **periods}, instance=RetentionPolicy()).is_valid()


def test_the_limit_is_said_in_khmer(db: None) -> None:
    with translation.override("km"):
        form = RetentionPolicyForm({**GOOD, "audit_days": str(MAX_DAYS + 1)}, instance=RetentionPolicy())
        assert not form.is_valid()
        assert form.errors["audit_days"] == ["យ៉ាងច្រើនបំផុត 100 ឆ្នាំ (36500 ថ្ងៃ)។"]
