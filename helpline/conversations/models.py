"""Threads of text messages (SMS, and web chat later), the outbox, and the helpline's text settings.

One conversation per contact: messages from the same address on the same channel thread into the
open conversation until its contact is closed or it goes idle; the next message opens a new
conversation and a new contact for the same caller.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpline.common.models import TimeStampedModel, UUIDModel
from helpline.contacts.models import Caller, Contact


class Conversation(TimeStampedModel):
    channel = models.CharField(max_length=16)  # contacts.Channel: sms, webchat
    gateway = models.CharField(max_length=32)  # which adapter replies go out through
    local_address = models.CharField(max_length=64, blank=True)  # e.g. the short code 1280
    caller = models.ForeignKey(Caller, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="conversation")
    is_open = models.BooleanField(default=True)
    last_message_at = models.DateTimeField()
    last_seq = models.PositiveIntegerField(default=0)  # messages are numbered 1, 2, ... per thread

    class Meta:
        constraints = [
            # At most one open thread per caller and channel: the database keeps two concurrent
            # first messages from opening two contacts.
            models.UniqueConstraint(
                fields=["caller", "channel"], condition=Q(is_open=True), name="one_open_conversation"
            )
        ]
        indexes = [models.Index(fields=["is_open", "last_message_at"], name="conversation_open_idle")]

    def __str__(self) -> str:
        return f"conversation {str(self.pk)[:8]}"


class Direction(models.TextChoices):
    INBOUND = "in", _("From the caller")
    OUTBOUND = "out", _("From the helpline")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Not known: check before sending again")


class Message(UUIDModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    seq = models.PositiveIntegerField(default=0)  # order within the thread; chats resume after it
    direction = models.CharField(max_length=4, choices=Direction.choices)
    text = models.TextField()
    # The gateway's own id for the message. A retried webhook carries the same id and is refused by
    # the unique constraint, so it is stored once however often it arrives.
    provider = models.CharField(max_length=32)
    provider_message_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001 (NULL: no id)
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_automatic = models.BooleanField(default=False)
    parts = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(db_index=True)
    # Outbox bookkeeping (outbound only).
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="message_provider_id_once",
            ),
            models.UniqueConstraint(
                fields=["conversation", "seq"], condition=Q(seq__gt=0), name="message_seq_once"
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="message_thread"),
            models.Index(fields=["status", "next_attempt_at"], name="message_outbox"),
        ]

    def __str__(self) -> str:
        return f"message {str(self.pk)[:8]}"


class CannedReply(TimeStampedModel):
    """Ready replies counsellors insert into a message, maintained by supervisors."""

    title = models.CharField(_("title"), max_length=100)
    language = models.CharField(
        _("language"), max_length=8, choices=[("km", _("Khmer")), ("en", _("English"))]
    )
    text = models.TextField(_("text"), max_length=1000)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["language", "title"]

    def __str__(self) -> str:
        return self.title


class TextSettings(models.Model):
    """One row: automatic replies and opening hours for text channels (default: open 24/7)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    always_open = models.BooleanField(_("open 24 hours, every day"), default=True)
    first_reply_km = models.TextField(_("first reply (Khmer)"), blank=True)
    first_reply_en = models.TextField(_("first reply (English)"), blank=True)
    closed_reply_km = models.TextField(_("reply when closed (Khmer)"), blank=True)
    closed_reply_en = models.TextField(_("reply when closed (English)"), blank=True)
    idle_close_hours = models.PositiveSmallIntegerField(
        _("close a quiet conversation after (hours)"), default=24
    )
    flood_per_minute = models.PositiveSmallIntegerField(
        _("most messages a minute from one number"), default=12
    )

    def __str__(self) -> str:
        return "text settings"


class OpeningPeriod(models.Model):
    """When always_open is off, the helpline answers texts inside these weekly periods."""

    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (i, name)
            for i, name in enumerate(
                [
                    _("Monday"),
                    _("Tuesday"),
                    _("Wednesday"),
                    _("Thursday"),
                    _("Friday"),
                    _("Saturday"),
                    _("Sunday"),
                ]
            )
        ],
    )
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens}-{self.closes}"


class Holiday(models.Model):
    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    reply_km = models.TextField(_("reply (Khmer)"), blank=True)
    reply_en = models.TextField(_("reply (English)"), blank=True)

    class Meta:
        ordering = ["date"]
        # Named in the reader's language: the form's "already exists" message starts with it.
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class BlockedAddress(TimeStampedModel):
    """A number or chat id that may not reach counsellors (abuse, floods). Matched by keyed hash."""

    address_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=200)
    blocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField(_("blocked until"), null=True, blank=True)

    def __str__(self) -> str:
        return f"blocked {self.address_hash[:8]}"


class ChatSession(models.Model):
    """A web chat seen from the child's side. The child's browser keeps the token in memory only
    (nothing in storage), so a dropped connection can resume but nothing outlives the page."""

    id = models.UUIDField(primary_key=True)
    conversation = models.OneToOneField(Conversation, on_delete=models.PROTECT, related_name="chat")
    token_hash = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=8, default="km")
    nickname = models.CharField(max_length=40, blank=True)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    origin_hash = models.CharField(max_length=64, blank=True)  # keyed hash of the client address
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    connected = models.BooleanField(default=True)
    left_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"chat {str(self.id)[:8]}"


class BlockedKeyword(TimeStampedModel):
    """Words that stop a chat message from reaching counsellors (abuse), maintained by supervisors."""

    keyword = models.CharField(_("word or phrase"), max_length=100, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return self.keyword
