"""A migration that is not applied: one operation of each kind check_upgrade must warn about, and
two it must not (a nullable column, an index built concurrently)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


def touch_every_lease(apps, schema_editor):  # type: ignore[no-untyped-def]
    pass


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("operations", "0002_retention_policy_and_runs")]

    operations = [
        migrations.AlterField("joblease", "runs", models.CharField(max_length=20, default="0")),
        migrations.AddIndex("joblease", models.Index(fields=["holder"], name="lease_holder_plain")),
        migrations.AddField("joblease", "owner", models.CharField(max_length=20), preserve_default=False),
        migrations.RunPython(touch_every_lease, migrations.RunPython.noop),
        migrations.AddField("joblease", "note", models.TextField(null=True)),
        AddIndexConcurrently("joblease", models.Index(fields=["ran_at"], name="lease_ran_at_conc")),
        migrations.AddField("retentionrun", "extra", models.IntegerField(null=True)),
    ]
