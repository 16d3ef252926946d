"""Demo staff, policy, vetting and API token. Refused unless HELPLINE_DEMO=1. Idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from helpline.accounts import services
from helpline.accounts.models import ApiToken, PolicyVersion, Role, Staff
from helpline.accounts.permissions import Scope
from helpline.demo.credentials import load_or_create_demo_secrets, totp_base32

DEMO_STAFF = [
    # username, full name, role, language
    ("admin", "Sokha Admin", Role.ADMINISTRATOR, "km"),
    ("counsellor", "Dara Counsellor", Role.COUNSELLOR, "en"),
    ("volunteer", "Chenda Volunteer", Role.VOLUNTEER, "km"),
    ("supervisor", "Vuthy Supervisor", Role.SUPERVISOR, "km"),
    ("casemanager", "Sreymom Case Manager", Role.CASE_MANAGER, "km"),
    ("dataofficer", "Rithy Data Officer", Role.DATA_OFFICER, "en"),
    ("lapsed", "Bopha Lapsed", Role.COUNSELLOR, "en"),
]

# Course names are data in the language the helpline keeps its records in (Khmer first).
DEMO_COURSE = "វគ្គបណ្ដុះបណ្ដាលចូលបម្រើការងារ និងការការពារកុមារ"

POLICY_TEXT = """\
គោលនយោបាយការពារកុមារ (ឯកសារសាកល្បង)

បុគ្គលិក និងអ្នកស្ម័គ្រចិត្តទាំងអស់ត្រូវអាន និងចុះហត្ថលេខាលើគោលនយោបាយនេះ មុនពេលមើលព័ត៌មានអតិថិជន។
យើងរក្សាការសម្ងាត់ ហើយបំបែកការសម្ងាត់តែនៅពេលអតិថិជនស្នើសុំ ក្នុងគ្រាអាសន្ន ពេលជីវិតមានហានិភ័យ
ឬពេលច្បាប់ត្រូវបានបំពាន ហើយយើងនិយាយជាមួយអតិថិជនជាមុនសិន។

Child Protection Policy (demo text)

All staff and volunteers must read and sign this policy before they see any client information.
We keep what children tell us confidential, and break confidentiality only when the client asks us
to, in an emergency, when a life is at risk, or when a law has been broken, and we talk to the
client about it first. We never publish anything that could identify a child.
"""


class Command(BaseCommand):
    help = "Create demo staff, policy and token (requires HELPLINE_DEMO=1); prints sign-in details."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("Demo data is refused unless HELPLINE_DEMO=1 is set.")
        secrets_ = load_or_create_demo_secrets(
            extra={"kannel_secret": 24, "twilio_auth_token": 24, "voice_secret": 24}  # nosec B105  # lengths, not secrets
        )
        with transaction.atomic():
            created = self._seed(secrets_)
        self.stdout.write(f"Demo staff created: {created}" if created else "Demo staff already present.")
        # Other apps add their demo data as commands named seed_demo_<app>, run here in name order.
        for name in sorted(n for n in get_commands() if n.startswith("seed_demo_")):
            call_command(name, stdout=self.stdout, stderr=self.stderr)
        self.stdout.write("Demo users: " + ", ".join(u for u, *_ in DEMO_STAFF))
        self.stdout.write(f"Demo password: {secrets_['password']}")
        self.stdout.write(f"Demo TOTP secret: {totp_base32(secrets_['totp_key_hex'])}")
        self.stdout.write(f"Demo API token: {secrets_['api_token']}")
        self.stdout.write(f"Demo Kannel secret: {secrets_['kannel_secret']}")
        self.stdout.write(f"Demo Twilio auth token: {secrets_['twilio_auth_token']}")
        self.stdout.write(f"Demo voice secret: {secrets_['voice_secret']}")

    def _seed(self, secrets_: dict[str, str]) -> int:
        today = timezone.localdate()
        admin = Staff.objects.filter(username="admin").first()
        policy = PolicyVersion.objects.filter(version="2026.1").first()
        created = 0
        for username, full_name, role, language in DEMO_STAFF:
            staff = Staff.objects.filter(username=username).first()
            if staff is not None:
                continue
            staff = services.staff_create(
                admin,
                username=username,
                password=secrets_["password"],
                role=role,
                full_name=full_name,
                language=language,
            )
            created += 1
            admin = admin or staff
            if policy is None:
                policy = services.policy_publish(
                    admin,
                    version="2026.1",
                    title="Child Protection Policy",
                    text=POLICY_TEXT,
                    effective_date=today - dt.timedelta(days=365),
                )
            TOTPDevice.objects.create(
                user=staff, name="demo authenticator", key=secrets_["totp_key_hex"], confirmed=True
            )
            if username == "lapsed":
                # Police check expired a month ago: the safeguarding gate must block this account.
                services.police_check_record(
                    admin,
                    staff=staff,
                    issued_on=today - dt.timedelta(days=2 * 365 + 30),
                    expires_on=today - dt.timedelta(days=30),
                    reference="DEMO-EXPIRED",
                )
            else:
                services.police_check_record(
                    admin,
                    staff=staff,
                    issued_on=today - dt.timedelta(days=100),
                    expires_on=today + dt.timedelta(days=630),
                    reference=f"DEMO-{username.upper()}",
                )
            services.policy_sign(staff, policy=policy)
            services.training_record(
                admin,
                staff=staff,
                course=DEMO_COURSE,
                completed_on=today - dt.timedelta(days=90),
            )
        raw = secrets_["api_token"]
        if not ApiToken.objects.filter(prefix=raw[3:11]).exists():
            services.api_token_create(
                admin, name="demo integration", scopes=[s.value for s in Scope], raw=raw
            )
        return created
