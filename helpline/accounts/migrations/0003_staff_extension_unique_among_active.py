from typing import Any

from django.db import migrations, models


def clear_shared_extensions(apps: Any, schema_editor: Any) -> None:
    """Before the constraint: where active staff share an extension, the PBX connector credited
    calls to the first of them by username; keep that one and clear the others' (they never
    received a call on it), saying so on the console of whoever migrates."""
    staff_model = apps.get_model("accounts", "Staff")
    seen: set[str] = set()
    for staff in staff_model.objects.filter(is_active=True).exclude(extension="").order_by("username"):
        if staff.extension in seen:
            print(f"\n  extension {staff.extension} cleared from {staff.username}: another active staff member holds it")
            staff_model.objects.filter(pk=staff.pk).update(extension="")
        seen.add(staff.extension)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_staff_extension"),
    ]

    operations = [
        migrations.RunPython(clear_shared_extensions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="staff",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_active", True), models.Q(("extension", ""), _negated=True)),
                fields=("extension",),
                name="staff_extension_unique_among_active",
            ),
        ),
    ]
