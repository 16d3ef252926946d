from typing import Any

import django.db.models.functions.text
from django.db import migrations, models


def refuse_look_alike_usernames(apps: Any, schema_editor: Any) -> None:
    """Accounts that differ by capital letters alone are not merged or renamed here: each may be a
    real person with their own sign-in, vetting and audit trail, and which one to rename is an
    administrator's decision. The migration stops, naming them, until one of each set is renamed."""
    staff_model = apps.get_model("accounts", "Staff")
    groups: dict[str, list[str]] = {}
    for username in staff_model.objects.order_by("username").values_list("username", flat=True):
        groups.setdefault(username.lower(), []).append(username)
    clashes = [names for names in groups.values() if len(names) > 1]
    if clashes:
        listed = "; ".join(", ".join(names) for names in clashes)
        raise RuntimeError(
            "Staff usernames that differ only by capital letters: "
            f"{listed}. Rename all but one of each (manage.py shell: "
            "Staff.objects.filter(username='OLD').update(username='NEW')), then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_staff_extension_unique_among_active"),
    ]

    operations = [
        migrations.RunPython(refuse_look_alike_usernames, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="staff",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("username"),
                name="staff_username_unique_ignoring_case",
                violation_error_message="This username is taken (capital letters do not make a new one).",
            ),
        ),
    ]
