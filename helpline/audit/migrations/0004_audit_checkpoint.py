"""Audit checkpoints: the oldest events may be removed once the audit trail's retention has run
out, at or below a recorded checkpoint, and nowhere else (PostgreSQL's trigger now allows exactly
that delete). Checkpoint rows are never changed."""

from django.db import migrations, models

PG_FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit_auditcheckpoint) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION audit_checkpoint_fixed() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit checkpoints are never changed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_fixed();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS audit_checkpoint_no_update ON audit_auditcheckpoint;
DROP FUNCTION IF EXISTS audit_checkpoint_fixed();
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
"""
# SQLite refuses UPDATE only (a test database is flushed with DELETE), as for the events.
SQLITE_FORWARD = """
CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_auditcheckpoint
BEGIN
  SELECT RAISE(ABORT, 'audit checkpoints are never changed');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS audit_checkpoint_no_update;"


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_action_enum_and_changes")]

    operations = [
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveBigIntegerField(unique=True)),
                ("hash", models.CharField(max_length=64)),
                ("at", models.DateTimeField()),
                ("removed", models.PositiveBigIntegerField()),
            ],
            options={"ordering": ["-seq"]},
        ),
        migrations.RunPython(forward, backward),
    ]
