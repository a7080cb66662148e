"""An import job: the uploaded file, the choices made for it, and its progress and outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportJob(models.Model):
    """One upload of a CSV/XLSX file to import (web UI and API); the worker runs it (``kontor.data.tasks``)."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"  # uploaded, mapping not yet confirmed (web UI) or queued
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    kind = models.CharField(max_length=16)  # contacts, companies, leads, deals
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    file = models.CharField(max_length=500)  # path under VAR_DIR/imports/
    original_name = models.CharField(max_length=255)
    mapping = models.JSONField(null=True, blank=True)  # {header: field or null}; null: the defaults
    on_duplicate = models.CharField(max_length=8, default="skip")
    dry_run = models.BooleanField(default=False)
    total = models.IntegerField(default=0)
    processed = models.IntegerField(default=0)
    created = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    skipped = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    error = models.TextField(blank=True, default="")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    @property
    def rejected_file(self) -> str:
        return f"{self.file}.rejected.csv"

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.processed / self.total)) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class BitrixImportMap(models.Model):
    """Which Kontor row a record of a Bitrix24 portal became (``kontor import_bitrix24``): a second run
    finds it here and updates instead of duplicating, and links between records are resolved here."""

    portal = models.CharField(max_length=255)  # host and user of the webhook, never its secret
    kind = models.CharField(max_length=24)  # user, pipeline, stage, status, userfield, contact, deal, …
    source_id = models.CharField(max_length=64)
    target_id = models.BigIntegerField()
    #: A digest of what was last written from the source, so an unchanged record is not written again.
    digest = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["portal", "kind", "source_id"], name="unique_bitrix_import_map")]
