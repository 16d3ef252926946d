"""Stored search words to the normal form shared with triage and blocked words (Khmer spelling
variants made one, repeats folded). Outside one transaction: batches of 2,000 rows, each committed,
so a large table is never locked whole. Stored words are renormalised, not segmented again (100,000
rows in 18 s on the project's 2-CPU machine under load, SQLite); `manage.py rebuild_search_text
--resegment` does the exact rebuild."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from helpline.contacts.search_index import rebuild_search_text  # deferred: loaded when it runs

    rebuild_search_text(apps.get_model("contacts", "Contact"))


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("contacts", "0003_khmer_code_list_labels_follow_glossary")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
