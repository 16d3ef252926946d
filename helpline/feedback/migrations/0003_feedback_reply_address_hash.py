from typing import Any

from cryptography.fernet import InvalidToken
from django.db import migrations, models

from helpline.common.crypto import decrypt_text
from helpline.feedback.addresses import reply_address_hash


def hash_reply_addresses(apps: Any, schema_editor: Any) -> None:
    """Give the items already kept the hash of their reply address, so that a data request finds
    them by it. An address that cannot be decrypted (encrypted under a key no longer configured,
    or damaged) is skipped: its item keeps no hash and is found only through its contact, as
    before; the count is said on the console of whoever migrates, never the address."""
    feedback_model = apps.get_model("feedback", "Feedback")
    rows = feedback_model.objects.exclude(reply_address_encrypted="").filter(reply_address_hash="")
    skipped = 0
    for pk, token in list(rows.values_list("pk", "reply_address_encrypted")):
        try:
            address = decrypt_text(token)
        except (InvalidToken, UnicodeDecodeError):
            skipped += 1
            continue
        feedback_model.objects.filter(pk=pk).update(reply_address_hash=reply_address_hash(address))
    if skipped:
        print(f"\n  {skipped} feedback reply address(es) could not be decrypted: left without a hash")


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0002_feedback_erased_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedback",
            name="reply_address_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddIndex(
            model_name="feedback",
            index=models.Index(fields=["reply_address_hash"], name="feedback_reply_hash"),
        ),
        migrations.RunPython(hash_reply_addresses, migrations.RunPython.noop),
    ]
