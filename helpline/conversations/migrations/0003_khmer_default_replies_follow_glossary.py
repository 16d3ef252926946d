"""The default Khmer automatic replies follow the Khmer glossary: the child is addressed as ប្អូន,
the numbers to dial are in Latin digits (1280, 117), and "closed now" replaces "not yet open".

Only a reply still equal to the old default is changed: a reply the helpline wrote itself is kept.
The texts are frozen here (not imported) so that later edits to the defaults do not change history.
"""

from django.db import migrations

OLD_FIRST_REPLY_KM = "សួស្តី! អ្នកបានទាក់ទងមកខ្សែទូរស័ព្ទជំនួយកុមារ ១២៨០។ អ្នកប្រឹក្សារបស់យើងនឹងឆ្លើយតបឆាប់ៗនេះ។"
NEW_FIRST_REPLY_KM = "សួស្ដី! នេះជាខ្សែទូរស័ព្ទជំនួយកុមារ 1280។ អ្នកប្រឹក្សានឹងឆ្លើយប្អូនឆាប់ៗ។"
OLD_CLOSED_REPLY_KM = (
    "ខ្សែទូរស័ព្ទជំនួយកុមារ ១២៨០ មិនទាន់បើកនៅពេលនេះទេ។ សូមផ្ញើសារម្តងទៀតពេលក្រោយ។ ប្រសិនបើបន្ទាន់ សូមទូរស័ព្ទទៅប៉ូលិសលេខ ១១៧។"
)
NEW_CLOSED_REPLY_KM = (
    "ខ្សែទូរស័ព្ទជំនួយកុមារ 1280 បិទនៅពេលនេះ។ សូមប្អូនផ្ញើសារមកម្ដងទៀតពេលក្រោយ។ បើមានរឿងបន្ទាន់ សូមទូរស័ព្ទទៅប៉ូលិសលេខ 117។"
)
REPLIES = [
    ("first_reply_km", OLD_FIRST_REPLY_KM, NEW_FIRST_REPLY_KM),
    ("closed_reply_km", OLD_CLOSED_REPLY_KM, NEW_CLOSED_REPLY_KM),
]


def _replace(apps, schema_editor, *, backwards: bool) -> None:
    settings = apps.get_model("conversations", "TextSettings")
    for field, old, new in REPLIES:
        before, after = (new, old) if backwards else (old, new)
        settings.objects.filter(**{field: before}).update(**{field: after})


def forwards(apps, schema_editor):
    _replace(apps, schema_editor, backwards=False)


def backwards(apps, schema_editor):
    _replace(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):
    dependencies = [("conversations", "0002_web_chat_sessions_message_sequence")]

    operations = [migrations.RunPython(forwards, backwards)]
