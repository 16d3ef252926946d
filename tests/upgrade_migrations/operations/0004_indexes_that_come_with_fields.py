"""Indexes an upgrade builds without naming them: a foreign key's, a unique column's, a column
made indexed. check_upgrade must warn about each."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("operations", "0003_risky_changes")]

    operations = [
        migrations.AddField(
            "joblease",
            "policy",
            models.ForeignKey(
                "operations.retentionpolicy", null=True, on_delete=django.db.models.deletion.SET_NULL
            ),
        ),
        migrations.AddField("joblease", "code", models.CharField(max_length=20, null=True, unique=True)),
        migrations.AlterField(
            "joblease", "holder", models.CharField(max_length=200, blank=True, db_index=True)
        ),
    ]
