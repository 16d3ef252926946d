"""Audit actions become an enum (helpline/audit/actions.py) with old and new values for changes.

The stored strings are the enum's values already, so no row changes (rows are append-only and
hash-chained: they must not). The check below fails the migration if a stored action is not a member,
so an installation never carries actions the code cannot read by type."""

from django.db import migrations, models


def every_stored_action_is_known(apps, schema_editor):  # type: ignore[no-untyped-def]
    from helpline.audit.actions import AuditAction  # deferred: loaded when it runs

    AuditEvent = apps.get_model("audit", "AuditEvent")
    stored = set(AuditEvent.objects.values_list("action", flat=True).distinct())
    unknown = sorted(stored - set(AuditAction.values))
    if unknown:
        raise RuntimeError(f"audit actions not in AuditAction: {unknown}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_head_and_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="changes",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.RunPython(every_stored_action_is_known, migrations.RunPython.noop),
    ]
