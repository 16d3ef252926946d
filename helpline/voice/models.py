"""Calls from the PBX: one VoiceCall per call (keyed by the PBX's call id), each with its Contact;
every event stored once under a unique key, so a replayed or reconnected stream changes nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpline.contacts.models import Contact


class CallState(models.TextChoices):
    QUEUED = "queued", _("Waiting in the queue")
    RINGING = "ringing", _("Ringing a counsellor")
    CONNECTED = "connected", _("Connected")
    COMPLETED = "completed", _("Completed")
    ABANDONED = "abandoned", _("Abandoned")


class VoiceCall(models.Model):
    call_id = models.CharField(max_length=64, unique=True)  # Asterisk's Uniqueid of the caller's channel
    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="voice_call")
    queue = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=16, choices=CallState.choices, default=CallState.QUEUED)
    agent_extension = models.CharField(max_length=32, blank=True)
    joined_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(null=True, blank=True)
    hold_seconds = models.PositiveIntegerField(null=True, blank=True)
    talk_seconds = models.PositiveIntegerField(null=True, blank=True)
    abandon_position = models.PositiveSmallIntegerField(null=True, blank=True)
    short_abandon = models.BooleanField(default=False)
    hung_up_by = models.CharField(max_length=16, blank=True)  # "caller" or "agent"
    source = models.CharField(max_length=16, default="ami")  # ami, http, queue_log

    class Meta:
        indexes = [models.Index(fields=["state", "joined_at"], name="voicecall_state_joined")]

    def __str__(self) -> str:
        return f"call {self.call_id}"


class VoiceEvent(models.Model):
    """One event of a call, kept once: the key is the call id, the event type and its time."""

    key = models.CharField(max_length=200, unique=True)
    call = models.ForeignKey(VoiceCall, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.key


class VoiceSettings(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    # Calling a child back may put them at risk (a parent answers, a shared phone): off by default.
    callbacks_allowed = models.BooleanField(_("counsellors may call back missed callers"), default=False)
    service_level_seconds = models.PositiveSmallIntegerField(_("answer within (seconds)"), default=20)
    short_abandon_seconds = models.PositiveSmallIntegerField(_("short abandon under (seconds)"), default=5)

    def __str__(self) -> str:
        return "voice settings"


class Callback(models.Model):
    """A counsellor called a missed caller back: an outbound contact linked to the missed one."""

    missed = models.ForeignKey(VoiceCall, on_delete=models.PROTECT, related_name="callbacks")
    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="callback_of")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("why"), max_length=200)
    made_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"callback for {self.missed_id}"
