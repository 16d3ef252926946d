
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Who handled each linked contact so far (its counsellor and its handlers), in one statement
    per source so that a large database is filled by the server, not row by row in Python."""
    Contact = apps.get_model("contacts", "Contact")
    CaseContact = apps.get_model("cases", "CaseContact")
    CaseHandler = apps.get_model("cases", "CaseHandler")
    handlers = Contact._meta.get_field("handlers").remote_field.through._meta.db_table
    target = CaseHandler._meta.db_table
    links = CaseContact._meta.db_table
    contacts = Contact._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {target} (case_id, staff_id) "  # nosec B608 (table names from the models)
            f"SELECT l.case_id, c.counsellor_id FROM {links} l JOIN {contacts} c ON c.id = l.contact_id "
            "WHERE c.counsellor_id IS NOT NULL "
            f"UNION SELECT l.case_id, h.staff_id FROM {links} l JOIN {handlers} h ON h.contact_id = l.contact_id"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0002_referral_timeline_entries'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseHandler',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.case')),
                ('staff', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('staff', 'case'), name='case_handler_once')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
