"""Referral steps on case timelines written before the partner's Khmer name was kept beside its
name: each gets the partner's Khmer name (looked up by the referral's number), so a reader in
Khmer sees the name the referral page shows. Lines already holding one, lines whose referral is
gone and partners without a Khmer name are left as they are. Going back leaves the names: the code
before this one does not read them."""

from __future__ import annotations

from typing import Any

from django.db import migrations

BATCH = 500


def add_khmer_names(apps: Any, schema_editor: Any) -> None:
    case_event = apps.get_model("cases", "CaseEvent")
    referral = apps.get_model("referrals", "Referral")
    khmer_by_number = {
        number: name_km
        for number, name_km in referral.objects.exclude(partner__name_km="").values_list(
            "number", "partner__name_km"
        )
    }
    if not khmer_by_number:
        return
    changed = []
    for event in case_event.objects.filter(detail__has_key="partner").iterator(chunk_size=BATCH):
        detail = event.detail
        khmer = khmer_by_number.get(detail.get("referral", ""))
        if not khmer or detail.get("partner_km"):
            continue
        event.detail = detail | {"partner_km": khmer}
        changed.append(event)
        if len(changed) >= BATCH:
            case_event.objects.bulk_update(changed, ["detail"])
            changed = []
    if changed:
        case_event.objects.bulk_update(changed, ["detail"])


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0005_referral_shared_codes"),
        ("cases", "0006_timeline_lines_from_stored_text"),
    ]

    operations = [migrations.RunPython(add_khmer_names, migrations.RunPython.noop)]
