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
