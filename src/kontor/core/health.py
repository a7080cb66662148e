"""``GET /healthz`` (SPEC §7) and the background worker's heartbeat.

200 when the database answers and a worker wrote its heartbeat within
``KONTOR_HEALTH_MAX_HEARTBEAT_AGE`` seconds; 503 otherwise, naming what failed. An installation that
runs no worker (``kontor serve --no-worker`` and no separate ``kontor db_worker``) sets
``KONTOR_HEALTH_REQUIRE_WORKER=false``.

The heartbeat is a thread in every ``kontor db_worker`` process (started by ``CoreConfig.ready``),
not a task in the queue: a long task (a CRM-mode switch) must not make a busy worker look dead,
and a dead worker process stops beating at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger("kontor.health")


def beat(worker: str, started_at) -> None:
    """Write ``worker``'s heartbeat now (one UPDATE, or an INSERT the first time)."""
    from kontor.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(worker=worker, defaults={"beat_at": timezone.now()},
                                             create_defaults={"beat_at": timezone.now(), "started_at": started_at})


def start_heartbeat() -> threading.Thread:
    """Beat from a daemon thread for as long as this process lives."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    started_at = timezone.now()
    interval = float(getattr(settings, "KONTOR_WORKER_HEARTBEAT_SECONDS", 15))

    def run() -> None:
        while True:
            close_old_connections()
            try:
                beat(worker, started_at)
            except Exception:  # the database may be away for a moment; /healthz will say so
                log.warning("worker heartbeat could not be written", exc_info=True)
            time.sleep(interval)

    thread = threading.Thread(target=run, name="kontor-worker-heartbeat", daemon=True)
    thread.start()
    return thread


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The installation's health as JSON: ``status`` ``ok`` (200) or ``unavailable`` (503)."""
    body: dict = {"status": "ok", "database": "ok"}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        log.error("health check: the database does not answer: %s", exc)
        return JsonResponse({"status": "unavailable", "database": f"error: {exc.__class__.__name__}"}, status=503)

    if getattr(settings, "KONTOR_HEALTH_REQUIRE_WORKER", True):
        from kontor.core.models import WorkerHeartbeat

        max_age = float(getattr(settings, "KONTOR_HEALTH_MAX_HEARTBEAT_AGE", 90))
        last = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
        age = (timezone.now() - last).total_seconds() if last else None
        fresh = age is not None and age <= max_age
        body["worker"] = {"status": "ok" if fresh else "stale" if last else "never seen",
                          "last_heartbeat": last.isoformat() if last else None,
                          "age_seconds": round(age, 1) if age is not None else None, "max_age_seconds": max_age}
        healthy = fresh
    if not healthy:
        body["status"] = "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)
