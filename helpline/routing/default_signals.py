"""Starting risk signals in Khmer and English, added to a new installation after migrate (and
never changed afterwards: supervisors edit or retire them on the Risk signals page)."""

from __future__ import annotations

from django.utils import timezone

SIGNALS = [
    (
        "suicide",
        "គំនិតធ្វើអត្តឃាត",
        "Suicide",
        20,
        "ចង់ស្លាប់\nសម្លាប់ខ្លួន\nធ្វើអត្តឃាត\nមិនចង់រស់\nលោតពីលើ",
        "suicide\nkill myself\nwant to die\nend my life\nno reason to live",
    ),
    (
        "self_harm",
        "ធ្វើបាបខ្លួនឯង",
        "Self-harm",
        15,
        "ធ្វើបាបខ្លួនឯង\nកាត់ដៃ\nវះដៃ",
        "self harm\ncut myself\ncutting\nhurt myself",
    ),
    (
        "immediate_danger",
        "គ្រោះថ្នាក់ភ្លាមៗ",
        "Immediate danger",
        20,
        "ជួយខ្ញុំផង\nគាត់នឹងសម្លាប់ខ្ញុំ\nកំពុងវាយខ្ញុំ\nជាប់គុក\nបិទទ្វារ",
        "help me now\nhe will kill me\nhitting me now\nlocked in\nin danger",
    ),
    (
        "sexual_abuse",
        "ការរំលោភបំពានផ្លូវភេទ",
        "Sexual abuse",
        15,
        "រំលោភ\nរំលោភបំពានផ្លូវភេទ\nប៉ះពាល់ខ្ញុំ\nបង្ខំខ្ញុំ",
        "rape\nraped\nsexual abuse\ntouched me\nforced me",
    ),
    (
        "trafficking",
        "ការជួញដូរមនុស្ស",
        "Trafficking",
        15,
        "ជួញដូរ\nលក់ខ្ញុំ\nយកលិខិតឆ្លងដែន\nមិនឲ្យចេញ",
        "trafficked\nsold me\ntook my passport\nnot allowed to leave",
    ),
    (
        "violence_at_home",
        "អំពើហិង្សាក្នុងផ្ទះ",
        "Violence at home",
        10,
        "ឪពុកវាយ\nម្តាយវាយ\nវាយខ្ញុំ\nធ្វើបាបខ្ញុំ",
        "beats me\nhits me\nfather hits\nmother hits",
    ),
]


def ensure_default_signals() -> int:
    from helpline.routing.models import RiskSignal

    now = timezone.now()
    created = 0
    for code, label_km, label_en, weight, phrases_km, phrases_en in SIGNALS:
        _signal, made = RiskSignal.objects.get_or_create(
            code=code,
            defaults={
                "label_km": label_km,
                "label_en": label_en,
                "weight": weight,
                "phrases_km": phrases_km,
                "phrases_en": phrases_en,
                "created_at": now,
                "updated_at": now,
            },
        )
        created += made
    return created
