"""Writes to staff, vetting and token records. Each writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from helpline.accounts.models import (
    ApiToken,
    PoliceCheck,
    PolicySignature,
    PolicyVersion,
    Role,
    Staff,
    TrainingRecord,
)
from helpline.accounts.permissions import Scope
from helpline.accounts.signals import announce_access_changed
from helpline.accounts.vetting import forget_answers
from helpline.audit.actions import AuditAction
from helpline.audit.services import audit_record

TOKEN_PREFIX = "hl_"  # noqa: S105 (a public marker, not a secret)  # nosec B105


class ServiceError(ValueError):
    """A request that cannot be carried out as asked; the message is safe to show."""


class ExtensionTaken(ServiceError):
    """Another active staff member answers calls on this extension."""

    def __init__(self, extension: str, holder: Staff | None) -> None:
        super().__init__(f"extension {extension} belongs to {holder.username if holder else 'someone else'}")
        self.extension = extension
        self.holder = holder


# What a PBX names an agent by (Asterisk's extension_of gives "1001" from "PJSIP/1001").
EXTENSION_PATTERN = re.compile(r"[0-9A-Za-z_.-]{1,32}")
# Typed on a Khmer keyboard, ១០០១ is 1001 to the phone system.
KHMER_DIGITS = str.maketrans("០១២៣៤៥៦៧៨៩", "0123456789")


def extension_clean(value: str) -> str:
    return value.strip().translate(KHMER_DIGITS)


# --- Staff ---------------------------------------------------------------------------------


def staff_create(
    actor: Staff | None,
    *,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    language: str = "km",
    email: str = "",
    request: HttpRequest | None = None,
) -> Staff:
    if role not in Role.values:
        raise ServiceError(f"unknown role: {role}")
    candidate = Staff(username=username, full_name=full_name, email=email)
    validate_password(password, user=candidate)
    with transaction.atomic():
        staff = Staff.objects.create_user(
            username, password, role=role, full_name=full_name, language=language, email=email
        )
        audit_record(
            actor,
            action=AuditAction.STAFF_CREATE,
            record_type="staff",
            record_id=staff.pk,
            request=request,
            detail={"role": role},
        )
    return staff


def staff_update(
    actor: Staff,
    *,
    staff: Staff,
    role: str,
    is_active: bool,
    full_name: str,
    request: HttpRequest | None = None,
) -> Staff:
    if role not in Role.values:
        raise ServiceError(f"unknown role: {role}")
    with transaction.atomic():
        if is_active and not staff.is_active and staff.extension:
            holder = _extension_holder(staff.extension, besides=staff)
            if holder is not None:  # back from leave, but their phone went to someone else
                raise ExtensionTaken(staff.extension, holder)
        changes: dict[str, list[object]] = {}
        if staff.role != role:
            changes["role"] = [staff.role, role]
        if staff.is_active != is_active:
            changes["is_active"] = [staff.is_active, is_active]
        staff.role, staff.is_active, staff.full_name = role, is_active, full_name
        if not is_active:
            staff.session_generation += 1  # a deactivated account loses its open sessions at once
        staff.save()
        if changes:  # a live connection may no longer be theirs, or hear what the old role heard
            announce_access_changed([str(staff.pk)])
        audit_record(
            actor,
            action=AuditAction.STAFF_UPDATE,
            record_type="staff",
            record_id=staff.pk,
            request=request,
            changes={name: (old, new) for name, (old, new) in changes.items()},
        )
    return staff


def _extension_holder(extension: str, *, besides: Staff) -> Staff | None:
    return Staff.objects.filter(is_active=True, extension=extension).exclude(pk=besides.pk).first()


def staff_set_extension(
    actor: Staff | ApiToken | str | None,
    *,
    staff: Staff,
    extension: str,
    request: HttpRequest | None = None,
) -> bool:
    """Set (or, with "", clear) the extension this person answers calls on: calls answered there
    are credited to them and pop up on their console. False when nothing changed."""
    extension = extension_clean(extension)
    if extension and not EXTENSION_PATTERN.fullmatch(extension):
        raise ServiceError("an extension is 1 to 32 letters, digits, '.', '_' or '-'")
    if extension == staff.extension:
        return False
    with transaction.atomic():
        holder = _extension_holder(extension, besides=staff) if extension and staff.is_active else None
        if holder is not None:
            raise ExtensionTaken(extension, holder)
        try:
            with transaction.atomic():  # another writer may take it between the check and here
                Staff.objects.filter(pk=staff.pk).update(extension=extension)
        except IntegrityError as exc:
            raise ExtensionTaken(extension, _extension_holder(extension, besides=staff)) from exc
        audit_record(
            actor,
            action=AuditAction.STAFF_EXTENSION,
            record_type="staff",
            record_id=staff.pk,
            request=request,
            changes={"extension": (staff.extension, extension)},
        )
    staff.extension = extension
    return True


def staff_set_language(actor: Staff, *, language: str, request: HttpRequest | None = None) -> None:
    if language not in {code for code, _ in settings.LANGUAGES}:
        raise ServiceError(f"unknown language: {language}")
    with transaction.atomic():
        Staff.objects.filter(pk=actor.pk).update(language=language)
        actor.language = language
        audit_record(
            actor,
            action=AuditAction.STAFF_LANGUAGE,
            record_type="staff",
            record_id=actor.pk,
            request=request,
            detail={"language": language},
        )


def staff_sign_out_everywhere(actor: Staff, *, request: HttpRequest | None = None) -> None:
    """Invalidate every session of this person: their session hash includes the generation."""
    with transaction.atomic():
        Staff.objects.filter(pk=actor.pk).update(session_generation=actor.session_generation + 1)
        actor.session_generation += 1
        announce_access_changed([str(actor.pk)])
        audit_record(
            actor,
            action=AuditAction.AUTH_SIGN_OUT_EVERYWHERE,
            record_type="staff",
            record_id=actor.pk,
            request=request,
        )


# --- Second factor -------------------------------------------------------------------------


def otp_device_for(staff: Staff) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=staff, confirmed=True).first()


def otp_enrolment_start(staff: Staff) -> TOTPDevice:
    """An unconfirmed device to show as a QR code; reused until confirmed so a reload keeps it."""
    device = TOTPDevice.objects.filter(user=staff, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=False)
    return device


def otp_enrolment_confirm(
    staff: Staff, *, device: TOTPDevice, code: str, request: HttpRequest | None = None
) -> bool:
    if not device.verify_token(code):
        audit_record(staff, action=AuditAction.AUTH_2FA_ENROL_FAILED, request=request)
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=staff).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save()
        audit_record(
            staff,
            action=AuditAction.AUTH_2FA_ENROLLED,
            record_type="staff",
            record_id=staff.pk,
            request=request,
        )
    return True


def otp_reset(actor: Staff, *, staff: Staff, request: HttpRequest | None = None) -> None:
    """An administrator clears a lost authenticator; the person enrols again at next sign-in."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=staff).delete()
        Staff.objects.filter(pk=staff.pk).update(session_generation=staff.session_generation + 1)
        announce_access_changed([str(staff.pk)])
        audit_record(
            actor, action=AuditAction.AUTH_2FA_RESET, record_type="staff", record_id=staff.pk, request=request
        )


# --- Vetting -------------------------------------------------------------------------------


def policy_publish(
    actor: Staff | None,
    *,
    version: str,
    title: str,
    text: str,
    effective_date: dt.date,
    request: HttpRequest | None = None,
) -> PolicyVersion:
    with transaction.atomic():
        policy = PolicyVersion.objects.create(
            version=version,
            title=title,
            text=text,
            effective_date=effective_date,
            published_by=actor,
        )
        forget_answers()
        announce_access_changed(None)  # unsigned, it blocks everyone once in effect
        audit_record(
            actor,
            action=AuditAction.POLICY_PUBLISH,
            record_type="policy",
            record_id=policy.pk,
            request=request,
            detail={"version": version},
        )
    return policy


def policy_sign(actor: Staff, *, policy: PolicyVersion, request: HttpRequest | None = None) -> bool:
    """Record the signature; False if it was already signed (signing twice changes nothing)."""
    with transaction.atomic():
        _sig, created = PolicySignature.objects.get_or_create(staff=actor, policy=policy)
        if created:
            forget_answers()
            audit_record(
                actor,
                action=AuditAction.POLICY_SIGN,
                record_type="policy",
                record_id=policy.pk,
                request=request,
                detail={"version": policy.version},
            )
    return created


def police_check_record(
    actor: Staff | None,
    *,
    staff: Staff,
    issued_on: dt.date,
    expires_on: dt.date,
    reference: str = "",
    notes: str = "",
    verified_by: Staff | None = None,
    request: HttpRequest | None = None,
) -> PoliceCheck:
    if expires_on <= issued_on:
        raise ServiceError("a police check must expire after it was issued")
    verifier = verified_by or actor
    if verifier is None:
        raise ServiceError("a police check needs the person who verified it")
    with transaction.atomic():
        check = PoliceCheck.objects.create(
            staff=staff,
            issued_on=issued_on,
            expires_on=expires_on,
            reference=reference,
            notes=notes,
            verified_by=verifier,
        )
        forget_answers()
        audit_record(
            actor or verifier,
            action=AuditAction.POLICE_CHECK_RECORD,
            record_type="staff",
            record_id=staff.pk,
            request=request,
            detail={"expires_on": expires_on.isoformat()},
        )
    return check


def training_record(
    actor: Staff,
    *,
    staff: Staff,
    course: str,
    completed_on: dt.date,
    expires_on: dt.date | None = None,
    request: HttpRequest | None = None,
) -> TrainingRecord:
    with transaction.atomic():
        record = TrainingRecord.objects.create(
            staff=staff,
            course=course,
            completed_on=completed_on,
            expires_on=expires_on,
            recorded_by=actor,
        )
        audit_record(
            actor,
            action=AuditAction.TRAINING_RECORD,
            record_type="staff",
            record_id=staff.pk,
            request=request,
        )
    return record


# --- API tokens ----------------------------------------------------------------------------


def _token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    actor: Staff | None,
    *,
    name: str,
    scopes: list[str],
    request: HttpRequest | None = None,
    raw: str | None = None,
    once_key: str | None = None,
) -> tuple[ApiToken, str]:
    """Returns the token and its plain text, which is shown once and never stored. A `once_key`
    already used (the create form posted twice: a double click, a resend) makes no second token:
    TokenAlreadyCreated names the first, whose secret only the first answer carried."""
    unknown = sorted(set(scopes) - set(Scope))
    if unknown:
        raise ServiceError(f"unknown scopes: {', '.join(unknown)}")
    _once_unused(once_key)
    prefix = secrets.token_hex(4)
    raw = raw or f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    prefix = raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8]
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                name=name,
                prefix=prefix,
                token_hash=_token_digest(raw),
                scopes=sorted(set(scopes)),
                created_by=actor,
                once_key=once_key or None,
            )
            audit_record(
                actor,
                action=AuditAction.API_TOKEN_CREATE,
                record_type="api_token",
                record_id=token.pk,
                request=request,
                detail={"scopes": token.scopes},
            )
    except IntegrityError:
        _once_unused(once_key)  # the other post won the race: name its token
        raise
    return token, raw


class TokenAlreadyCreated(ServiceError):
    """The create form was posted again: its token exists (`token`) and its secret was shown once."""

    def __init__(self, token: ApiToken) -> None:
        super().__init__(f"token {token.prefix} already created by this form")
        self.token = token


def _once_unused(once_key: str | None) -> None:
    first = ApiToken.objects.filter(once_key=once_key).first() if once_key else None
    if first is not None:
        raise TokenAlreadyCreated(first)


def api_token_revoke(actor: Staff, *, token: ApiToken, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.revoked_by = actor
            token.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
            audit_record(
                actor,
                action=AuditAction.API_TOKEN_REVOKE,
                record_type="api_token",
                record_id=token.pk,
                request=request,
            )


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token matching raw, or None. Constant-time comparison of the digest."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    prefix = raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8]
    token = ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.token_hash, _token_digest(raw)):
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > getattr(
        settings, "API_TOKEN_TOUCH_SECONDS", 60
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
