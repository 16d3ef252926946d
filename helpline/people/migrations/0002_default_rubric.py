"""The default review rubric: listening, safety assessment, information accuracy, recording quality.
Supervisors may add lines or retire these; a rerun leaves what is there."""

from django.db import migrations

DEFAULTS = [
    ("listening", "Listening", "ការស្ដាប់", 10),
    ("safety_assessment", "Safety assessment", "ការវាយតម្លៃសុវត្ថិភាព", 20),
    ("information_accuracy", "Information accuracy", "ភាពត្រឹមត្រូវនៃព័ត៌មាន", 30),
    ("recording_quality", "Recording quality", "គុណភាពនៃការកត់ត្រា", 40),
]


def add_defaults(apps, schema_editor):
    Criterion = apps.get_model("people", "Criterion")
    for code, en, km, order in DEFAULTS:
        Criterion.objects.get_or_create(
            code=code, defaults={"label_en": en, "label_km": km, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0001_reviews_rubric_debriefs")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
