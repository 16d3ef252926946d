"""Referrals sent before codes were kept froze gender, province and risk as names, in the
partner's language or the sender's (and, earlier still, gender and province as 'Khmer / English').
Each name this helpline's code lists or risk levels still give is turned back into its code, so
every reader sees it in their own language; a name that matches none is left as it was and shown
as stored. Going back leaves the codes: the code before this one showed them as they are."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import translation

SHARED_TERMS = {"gender": "gender", "province": "province"}  # shared key: vocabulary
# helpline.cases.models.Risk as it was when this migration was written: code, English msgid.
RISKS = {"low": "Low risk", "medium": "Medium risk", "high": "High risk", "critical": "Critical risk"}


def _risk_codes() -> dict[str, str]:
    names: dict[str, str] = {}
    for code, english in RISKS.items():
        names[english] = code
        with translation.override("km"):  # the catalogue compilemessages built; else English only
            names[translation.gettext(english)] = code
    return names


def _term_codes(apps: Any) -> dict[str, dict[str, str]]:
    term = apps.get_model("contacts", "Term")
    names: dict[str, dict[str, str]] = {vocabulary: {} for vocabulary in SHARED_TERMS.values()}
    for vocabulary, code, en, km in term.objects.filter(vocabulary__in=names).values_list(
        "vocabulary", "code", "label_en", "label_km"
    ):
        for name in (en, km, f"{km} / {en}"):
            names[vocabulary].setdefault(name.strip(), code)
    return names


def names_to_codes(apps: Any, schema_editor: Any) -> None:
    referral = apps.get_model("referrals", "Referral")
    terms = _term_codes(apps)
    risks = _risk_codes()
    changed = []
    for row in referral.objects.only("pk", "shared").iterator(chunk_size=500):
        shared = dict(row.shared or {})
        for key, vocabulary in SHARED_TERMS.items():
            value = shared.get(key)
            if isinstance(value, str) and value.strip() in terms[vocabulary]:
                shared[key] = terms[vocabulary][value.strip()]
        risk = shared.get("risk")
        if isinstance(risk, str) and risk.strip() in risks:
            shared["risk"] = risks[risk.strip()]
        if shared != row.shared:
            row.shared = shared
            changed.append(row)
    referral.objects.bulk_update(changed, ["shared"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0004_partner_language"),
        ("contacts", "0007_contact_kinds_complaint_feedback"),
    ]

    operations = [migrations.RunPython(names_to_codes, migrations.RunPython.noop)]
