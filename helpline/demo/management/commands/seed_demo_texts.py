"""Demo canned replies and the default automatic replies. Refused unless HELPLINE_DEMO=1."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from helpline.conversations.models import CannedReply
from helpline.conversations.services import text_settings

# Sent to children: the counsellor says បង of themself and addresses the child as ប្អូន. A Khmer
# reply has a Khmer title: the console lists them by title.
CANNED = [
    ("ស្វាគមន៍", "km", "សួស្ដី ប្អូន! បងជាអ្នកប្រឹក្សា។ ប្អូនអាចប្រាប់បងពីអ្វីដែលកំពុងកើតឡើងបាន។"),
    ("ប្អូននៅទីនោះទេ?", "km", "បងនៅទីនេះនៅឡើយ។ ប្អូនអាចសរសេរមកពេលណាក៏បាន។"),
    ("សុវត្ថិភាពជាមុនសិន", "km", "តើប្អូនមានសុវត្ថិភាពនៅពេលនេះទេ?"),
    ("បញ្ចប់ការសន្ទនា", "km", "អរគុណដែលបានសរសេរមក 1280។ ប្អូនអាចទាក់ទងមកយើងម្ដងទៀតបានគ្រប់ពេល ទាំងយប់ទាំងថ្ងៃ។"),
    ("Welcome", "en", "Hello, I am a counsellor. You can tell me what is happening."),
    ("Closing", "en", "Thank you for writing to 1280. You can contact us again at any time, day or night."),
]


class Command(BaseCommand):
    help = "Demo canned replies (requires HELPLINE_DEMO=1)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("Demo data is refused unless HELPLINE_DEMO=1 is set.")
        text_settings()
        created = 0
        for title, language, text in CANNED:
            # keyed by its words, so a demo seeded before the Khmer titles gets them, not a copy
            _obj, made = CannedReply.objects.update_or_create(
                language=language, text=text, defaults={"title": title}
            )
            created += made
        self.stdout.write(
            f"Demo canned replies created: {created}" if created else "Demo canned replies present."
        )
