"""Factories and personas: the small cast every test draws from."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from helpline.accounts.models import PoliceCheck, PolicySignature, PolicyVersion, Role, Staff

PASSWORD = "correct horse battery staple"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    full_name = factory.Faker("name")
    role = Role.COUNSELLOR
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj: Staff, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyVersion

    version = factory.Sequence(lambda n: f"2026.{n}")
    title = "Child Protection Policy"
    text = "Keep children safe."
    effective_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))


def current_policy_version() -> PolicyVersion:
    policy = PolicyVersion.objects.filter(effective_date__lte=timezone.localdate()).first()
    return policy or PolicyFactory()


def give_totp(staff: Staff, key_hex: str = "3132333435363738393031323334353637383930") -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff, name="test", key=key_hex, confirmed=True)


def totp_now(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + offset_steps * device.step
    return f"{totp.token():06d}"


def vet(staff: Staff, *, police_expires: dt.date | None = None, sign: bool = True) -> Staff:
    """Make staff pass the safeguarding gate: current policy signed and a valid police check."""
    today = timezone.localdate()
    verifier = Staff.objects.filter(role=Role.ADMINISTRATOR).first() or staff
    PoliceCheck.objects.create(
        staff=staff,
        issued_on=today - dt.timedelta(days=100),
        expires_on=police_expires or today + dt.timedelta(days=365),
        verified_by=verifier,
    )
    if sign:
        PolicySignature.objects.get_or_create(staff=staff, policy=current_policy_version())
    return staff


def persona(role: str, *, username: str | None = None, vetted: bool = True, language: str = "en") -> Staff:
    staff = StaffFactory(role=role, username=username or role, language=language)
    current_policy_version()
    if vetted:
        vet(staff)
    give_totp(staff)
    return staff
