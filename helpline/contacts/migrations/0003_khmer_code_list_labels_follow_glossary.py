"""Khmer code-list labels follow the Khmer glossary (violence types, emotional problems, sexuality,
discrimination, trafficking, sextortion, grooming, exposure to pornography).

The code lists are loaded by taxonomy_sync after migrate, which creates missing terms and never
overwrites one, so corrected labels reach an existing installation only through this migration.
A label is changed only while it still equals the old default: one an administrator edited is kept.
The labels are frozen here (not imported from taxonomy_data) so that later edits do not change history.
"""

from django.db import migrations

# (vocabulary, code, old Khmer label, new Khmer label)
LABELS = [
    ("reason", "violence.emotional", "អំពើហិង្សាលើផ្លូវចិត្ត ឬអារម្មណ៍", "អំពើហិង្សាផ្លូវចិត្ត"),
    ("reason", "violence.physical", "អំពើហិង្សាលើរាងកាយ", "អំពើហិង្សាផ្លូវកាយ"),
    ("reason", "mental_health.anger", "ភាពតានតឹងផ្លូវអារម្មណ៍៖ កំហឹង", "បញ្ហាផ្លូវអារម្មណ៍៖ កំហឹង"),
    (
        "reason",
        "mental_health.fear_anxiety",
        "ភាពតានតឹងផ្លូវអារម្មណ៍៖ ការភ័យខ្លាច និងការថប់បារម្ភ",
        "បញ្ហាផ្លូវអារម្មណ៍៖ ការភ័យខ្លាច និងការថប់បារម្ភ",
    ),
    (
        "reason",
        "mental_health.mood",
        "ភាពតានតឹងផ្លូវអារម្មណ៍៖ អារម្មណ៍ក្រៀមក្រំ ឬប្រែប្រួល",
        "បញ្ហាផ្លូវអារម្មណ៍៖ អារម្មណ៍ក្រៀមក្រំ ឬប្រែប្រួល",
    ),
    ("reason", "discrimination", "ការរើសអើង និងការមិនរាប់បញ្ចូល", "ការរើសអើង និងការផាត់ចេញពីសង្គម"),
    ("reason", "sexuality", "ភេទភាព", "ផ្លូវភេទ"),
    (
        "reason",
        "trafficking.sexual_exploitation",
        "ការជួញដូរដើម្បីកេងប្រវ័ញ្ចផ្លូវភេទ",
        "ការជួញដូរមនុស្សដើម្បីកេងប្រវ័ញ្ចផ្លូវភេទ",
    ),
    ("reason", "trafficking.forced_labour", "ការជួញដូរដើម្បីពលកម្មដោយបង្ខំ", "ការជួញដូរមនុស្សដើម្បីពលកម្មដោយបង្ខំ"),
    ("reason", "trafficking.forced_marriage", "ការជួញដូរដើម្បីបង្ខំឱ្យរៀបការ", "ការជួញដូរមនុស្សដើម្បីបង្ខំឱ្យរៀបការ"),
    (
        "reason",
        "trafficking.domestic_servitude",
        "ការជួញដូរដើម្បីបម្រើការងារតាមផ្ទះដោយបង្ខំ",
        "ការជួញដូរមនុស្សដើម្បីបម្រើការងារតាមផ្ទះដោយបង្ខំ",
    ),
    ("reason", "trafficking.organ_removal", "ការជួញដូរដើម្បីកាត់យកសរីរាង្គ", "ការជួញដូរមនុស្សដើម្បីកាត់យកសរីរាង្គ"),
    (
        "reason",
        "trafficking.drug_trade",
        "ការជួញដូរដើម្បីប្រើក្នុងការលក់ ឬដឹកជញ្ជូនគ្រឿងញៀន",
        "ការជួញដូរមនុស្សដើម្បីប្រើក្នុងការលក់ ឬដឹកជញ្ជូនគ្រឿងញៀន",
    ),
    ("reason", "online_harms.sextortion", "ការគំរាមកំហែងជំរិតផ្លូវភេទតាមអនឡាញ", "ការជំរិតដោយគំរាមផ្សព្វផ្សាយរូបភាពផ្លូវភេទ"),
    (
        "reason",
        "online_harms.grooming",
        "ការបញ្ឆោតទាក់ទាញកុមារតាមអនឡាញក្នុងគោលបំណងផ្លូវភេទ",
        "ការលួងលោមកុមារតាមអនឡាញក្នុងគោលបំណងផ្លូវភេទ",
    ),
    (
        "reason",
        "online_harms.pornography",
        "ការប៉ះពាល់នឹងរូបភាព ឬវីដេអូអាសអាភាស",
        "ការឃើញ ឬត្រូវគេបង្ហាញរូបភាព ឬវីដេអូអាសអាភាស",
    ),
    (
        "vulnerable_group",
        "on_the_move_involuntary",
        "កុមារធ្វើចំណាកស្រុក (ដោយបង្ខំ រួមទាំងកុមាររងគ្រោះពីការជួញដូរ)",
        "កុមារធ្វើចំណាកស្រុក (ដោយបង្ខំ រួមទាំងកុមាររងគ្រោះពីការជួញដូរមនុស្ស)",
    ),
]


def _relabel(apps, schema_editor, *, backwards: bool) -> None:
    term = apps.get_model("contacts", "Term")
    for vocabulary, code, old, new in LABELS:
        before, after = (new, old) if backwards else (old, new)
        term.objects.filter(vocabulary=vocabulary, code=code, label_km=before).update(label_km=after)


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, backwards=False)


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_contact_status_abandoned")]

    operations = [migrations.RunPython(forwards, backwards)]
