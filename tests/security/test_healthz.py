"""``GET /healthz``: 200 when the database answers and a worker's heartbeat is fresh, 503 otherwise."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
import requests
from django.test import Client
from django.utils import timezone

from kontor.core.health import beat
from kontor.core.models import WorkerHeartbeat

from .test_https import free_port, kontor, production_env, stop, wait_until_up

pytestmark = pytest.mark.django_db


def test_no_worker_ever_seen_is_503():
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable" and response.json()["worker"]["status"] == "never seen"
    assert response.json()["database"] == "ok"


def test_fresh_heartbeat_is_200_and_a_stale_one_503():
    beat("host:1", timezone.now())
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - timedelta(minutes=5))
    stale = Client().get("/healthz")
    assert stale.status_code == 503 and stale.json()["worker"]["status"] == "stale"


def test_without_a_required_worker_only_the_database_counts(settings):
    settings.KONTOR_HEALTH_REQUIRE_WORKER = False
    assert Client().get("/healthz").status_code == 200


def test_database_that_does_not_answer_is_503(monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def refuse(self, sql, params=None):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    response = Client().get("/healthz")
    assert response.status_code == 503 and response.json()["database"].startswith("error")


def test_kontor_serve_worker_makes_healthz_healthy_and_stopping_it_does_not(tmp_path):
    env = production_env(tmp_path, KONTOR_ALLOWED_HOSTS="127.0.0.1", KONTOR_WORKER_HEARTBEAT_SECONDS="0.5",
                         KONTOR_HEALTH_MAX_HEARTBEAT_AGE="3")
    assert kontor(env, "migrate", "--noinput", "-v", "0").returncode == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "kontor", "serve", "--bind", f"127.0.0.1:{port}",
                               "--workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(base + "/healthz", verify=False)
        assert poll(base + "/healthz", 200).json()["worker"]["status"] == "ok"
    finally:
        stop(server)
    # Without the worker (web server only) the heartbeat goes stale.
    server = subprocess.Popen([sys.executable, "-m", "kontor", "serve", "--bind", f"127.0.0.1:{port}",
                               "--workers", "1", "--no-worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_until_up(base + "/healthz", verify=False)
        assert poll(base + "/healthz", 503).json()["worker"]["status"] == "stale"
    finally:
        stop(server)


def poll(url: str, status: int) -> requests.Response:
    """The first answer with ``status`` (waiting up to 30 s for the worker to start or go stale)."""
    response = requests.get(url, timeout=5)
    for _ in range(300):
        if response.status_code == status:
            return response
        time.sleep(0.1)
        response = requests.get(url, timeout=5)
    raise AssertionError(f"{url} kept answering {response.status_code}: {response.text}")
