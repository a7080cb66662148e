"""Rate-limit counters shared by every gunicorn worker (they live in the database)."""

from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """Hits of one key (e.g. ``webform:3:ip:203.0.113.9``) in one fixed time window.

    Rows are short-lived: each carries the moment it stops mattering and expired rows are deleted
    as new ones are written (:func:`kontor.core.throttle.hit`).
    """

    key = models.CharField(max_length=200)
    window = models.BigIntegerField(help_text="start of the window, seconds since the epoch")
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="core_ratecounter_key_window")]


class WorkerHeartbeat(models.Model):
    """The last sign of life of one background worker process (``kontor db_worker``).

    Each worker writes its row every ``KONTOR_WORKER_HEARTBEAT_SECONDS`` from a thread of its own
    (kontor.core.health); ``/healthz`` reports the freshest row.
    """

    worker = models.CharField(max_length=200, unique=True, help_text="host:pid")
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)


class ConfigGeneration(models.Model):
    """One row whose ``token`` changes whenever configuration that services cache changes.

    Database triggers (migrations core 0003, 0004) give ``token`` a new random value in the same
    transaction as any insert, update or delete of the cached tables (CRM settings, pipelines,
    stages, sources, custom fields, outgoing webhooks, users, departments, access roles, API
    tokens) — whichever process, path or raw SQL made the change. A process keeps its caches
    (:mod:`kontor.core.generation`) as long as the token it
    reads equals the one they were built under; a rolled-back change leaves the old token.
    """

    token = models.BigIntegerField(default=0)
