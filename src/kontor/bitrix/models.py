"""Data only the Bitrix24 facade needs: inbound webhooks and stable numeric ids of directory entries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Webhook(models.Model):
    """An inbound webhook: ``/rest/<user_id>/<secret>/`` acts as ``user``.

    Only a SHA-256 hash of the secret is stored; the secret is shown once, when it is made.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bitrix_webhooks")
    name = models.CharField(max_length=100, blank=True, default="")
    #: First characters of the secret, to tell webhooks apart in lists.
    prefix = models.CharField(max_length=8)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class DirectoryEntry(models.Model):
    """The numeric ``ID`` Bitrix24 clients see for a crm.status entry (lead status, source, stage).

    Kontor keys lead statuses and sources by code and stages by pipeline + code; ``crm.status.update``
    and ``crm.status.delete`` address entries by a number, so the facade hands out one per
    ``(ENTITY_ID, STATUS_ID)`` the first time it lists the entry.
    """

    entity_id = models.CharField(max_length=64)
    status_id = models.CharField(max_length=80)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity_id", "status_id"], name="unique_directory_entry")]


class ExternalCall(models.Model):
    """A call a PBX reported through ``telephony.externalcall.register`` (Bitrix24's ``CALL_ID``).

    The call itself is a CRM activity of type ``call`` on the record the number belongs to; this
    row keeps what only the telephony methods need: the id the PBX quotes, the number, and how the
    call ended.
    """

    call_id = models.CharField(max_length=64, unique=True)
    activity = models.ForeignKey("crm.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    phone_number = models.CharField(max_length=64)
    #: Bitrix24 TYPE: 1 outgoing, 2 incoming, 3 incoming redirected, 4 callback.
    call_type = models.PositiveSmallIntegerField(default=2)
    #: The record the call is bound to (Bitrix24 CRM_ENTITY_TYPE/CRM_ENTITY_ID).
    entity_type = models.PositiveSmallIntegerField(null=True, blank=True)
    entity_id = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True)
    status_code = models.CharField(max_length=16, blank=True, default="")
    record_url = models.URLField(max_length=2000, blank=True, default="")

    def __str__(self) -> str:
        return self.call_id
