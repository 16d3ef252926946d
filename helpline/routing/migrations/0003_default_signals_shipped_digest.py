"""Default risk signals shipped before phrases had weights and exclusions: a row whose words are
still exactly as shipped then was never edited by a supervisor, so it gets the digest of those words
and post_migrate (default_signals.ensure_default_signals) brings it to this release's words. A row a
supervisor edited keeps no digest and is left as it is."""

from django.db import migrations

# default_signals.SIGNALS as shipped before this migration (code, label_km, label_en, weight,
# phrases_km, phrases_en), frozen here.
SHIPPED_BEFORE = [
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


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from helpline.routing.default_signals import CONTENT_FIELDS, digest  # deferred: loaded when it runs

    RiskSignal = apps.get_model("routing", "RiskSignal")
    for code, label_km, label_en, weight, phrases_km, phrases_en in SHIPPED_BEFORE:
        shipped = {
            "label_km": label_km,
            "label_en": label_en,
            "weight": weight,
            "phrases_km": phrases_km,
            "phrases_en": phrases_en,
            "exclusions": "",
        }
        row = RiskSignal.objects.filter(code=code, shipped_digest="").first()
        if row is not None and digest({n: getattr(row, n) for n in CONTENT_FIELDS}) == digest(shipped):
            RiskSignal.objects.filter(pk=row.pk).update(shipped_digest=digest(shipped))


class Migration(migrations.Migration):
    dependencies = [("routing", "0002_signal_exclusions_triage_explanation_marks")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
