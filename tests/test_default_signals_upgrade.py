"""Default risk signals are improved on existing installations only where no supervisor edited them."""

from __future__ import annotations

import importlib

from django.apps import apps

from helpline.routing.default_signals import SIGNALS, ensure_default_signals
from helpline.routing.models import RiskSignal

upgrade = importlib.import_module("helpline.routing.migrations.0003_default_signals_shipped_digest")
OLD = {row[0]: row for row in upgrade.SHIPPED_BEFORE}


def as_shipped_before(code: str) -> RiskSignal:
    _code, label_km, label_en, weight, phrases_km, phrases_en = OLD[code]
    RiskSignal.objects.filter(code=code).update(
        label_km=label_km,
        label_en=label_en,
        weight=weight,
        phrases_km=phrases_km,
        phrases_en=phrases_en,
        exclusions="",
        shipped_digest="",
    )
    return RiskSignal.objects.get(code=code)


def test_unedited_old_defaults_are_improved_and_edited_ones_kept(db: None) -> None:
    as_shipped_before("immediate_danger")  # still has ជាប់គុក and បិទទ្វារ
    edited = as_shipped_before("trafficking")
    edited.phrases_km += "\nរោងចក្រ"  # a supervisor's own line
    edited.save()
    RiskSignal.objects.filter(code="running_away").delete()  # absent before this release
    upgrade.forwards(apps, None)
    created, updated = ensure_default_signals()
    assert (created, updated) == (1, 1)
    danger = RiskSignal.objects.get(code="immediate_danger")
    assert "ជាប់គុក" not in danger.phrases_km and "ចាក់សោខ្ញុំ" in danger.phrases_km
    assert danger.exclusions == next(s for s in SIGNALS if s.code == "immediate_danger").exclusions
    kept = RiskSignal.objects.get(code="trafficking")
    assert kept.phrases_km.endswith("រោងចក្រ") and kept.shipped_digest == ""
    assert RiskSignal.objects.filter(code="running_away").exists()
    assert ensure_default_signals() == (0, 0)  # a second run changes nothing


def test_a_default_edited_after_shipping_is_never_overwritten(db: None) -> None:
    signal = RiskSignal.objects.get(code="suicide")
    assert signal.shipped_digest  # shipped by this release, unedited
    signal.weight = 25
    signal.save()
    RiskSignal.objects.filter(pk=signal.pk).update(phrases_en="kill myself")
    assert ensure_default_signals() == (0, 0)
    assert RiskSignal.objects.get(code="suicide").phrases_en == "kill myself"


def test_retiring_a_default_is_not_an_edit_of_its_words(db: None) -> None:
    as_shipped_before("self_harm")
    RiskSignal.objects.filter(code="self_harm").update(is_active=False)
    upgrade.forwards(apps, None)
    ensure_default_signals()
    signal = RiskSignal.objects.get(code="self_harm")
    assert not signal.is_active and "ឆូតដៃ" in signal.phrases_km
