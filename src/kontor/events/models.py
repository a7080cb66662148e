"""Outbound webhooks and their delivery log (the transactional outbox)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WebhookFormat(models.TextChoices):
    NATIVE = "native", "Kontor (JSON, Standard Webhooks signature)"
    BITRIX24 = "bitrix24", "Bitrix24 (form-encoded, event.bind)"


class OutgoingWebhook(models.Model):
    """A receiver: where to POST which events, in which format.

    A native webhook lists native event names; a Bitrix24 binding (``event.bind``) lists exactly one
    Bitrix24 event name, as Bitrix24 stores one handler per event.
    """

    url = models.URLField(max_length=2000)
    format = models.CharField(max_length=16, choices=WebhookFormat.choices, default=WebhookFormat.NATIVE)
    events = models.JSONField(default=list)
    #: Native: the HMAC key (``whsec_…``). Bitrix24: the ``auth[application_token]`` sent along.
    secret = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    #: Why Kontor disabled it (empty when an admin did, or when active).
    disabled_reason = models.TextField(blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    #: A worker delivering for this webhook holds it until then (one runner per webhook keeps order).
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.format} → {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"
    DELIVERED = "delivered", "delivered"
    FAILED = "failed", "failed"


class WebhookDelivery(models.Model):
    """One event for one webhook: written in the changing transaction, sent by the worker.

    The body is fixed when written, so every attempt sends the same bytes; ``msg_id`` is unique per
    delivery and stays the same across its retries (the receiver's de-duplication key).
    """

    webhook = models.ForeignKey(OutgoingWebhook, on_delete=models.CASCADE, related_name="deliveries")
    msg_id = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=64)
    entity = models.CharField(max_length=16, blank=True, default="")
    record_id = models.BigIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=64)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["webhook", "status", "id"])]
