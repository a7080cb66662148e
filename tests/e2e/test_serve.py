"""Kontor as it runs: ``kontor serve`` (gunicorn plus the background worker) in a subprocess on a free
port, with a SQLite file (WAL) or the PostgreSQL test database. A token from ``kontor create_token``,
leads through the API over HTTP, the CRM-mode switch through the API, and the worker finishing it;
``kontor tokens`` lists and revokes the token."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

LEADS = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Http:
    def __init__(self, base: str, token: str | None = None) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body=None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_runs_web_and_worker_and_finishes_a_switch(external_db, kontor_cli, tmp_path):
    env, query = external_db
    env = {**env, "KONTOR_SWITCH_BATCH_SIZE": "20", "KONTOR_SWITCH_LEASE_SECONDS": "60"}
    # The token command: creates the user, prints the token as the last line.
    token = kontor_cli(env, "create_token", "ops", "--admin", "--name", "e2e").stdout.strip().splitlines()[-1]
    listed = kontor_cli(env, "tokens", "list").stdout
    assert "\tops\te2e\tactive\t" in listed

    port = _free_port()
    log = open(Path(tmp_path) / "serve.log", "w")  # noqa: SIM115 - closed with the process
    serve = subprocess.Popen([sys.executable, "-m", "kontor", "serve", "--bind", f"127.0.0.1:{port}",
                              "--workers", "1", "--threads", "2"], env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        api = Http(f"http://127.0.0.1:{port}", token)

        def up():
            try:
                return api.call("GET", "/api/v1/users/me")[0] == 200
            except OSError:
                return serve.poll() is not None and pytest.fail(Path(tmp_path, "serve.log").read_text()[-3000:])

        _wait(up, 60, "kontor serve to answer")
        assert api.call("GET", "/api/v1/users/me")[1]["username"] == "ops"
        assert Http(api.base).call("GET", "/api/v1/users/me")[0] == 401

        # Classic mode, leads in progress (the switch goes simple -> classic at once).
        status, body = api.call("POST", "/api/v1/crm-mode/switch", {"mode": "classic"})
        assert status == 200 and body["status"] == "done", body
        for i in range(LEADS):
            status, lead = api.call("POST", "/api/v1/leads", {"title": f"Anfrage {i}", "name": f"Kunde {i}",
                                                              "emails": [f"kunde{i % 50}@example.org"]})
            assert status == 201, lead
        status, switch = api.call("POST", "/api/v1/crm-mode/switch", {"mode": "simple"})
        assert status == 202 and switch["status"] == "queued" and switch["total"] == LEADS, switch

        # The worker started by `kontor serve` picks the task up and converts every lead.
        def finished():
            body = api.call("GET", f"/api/v1/crm-mode/switches/{switch['id']}")[1]
            return body if body["status"] in ("done", "failed") else None

        done = _wait(finished, 240, "the worker to finish the switch")
        assert (done["status"], done["converted"], done["failed"], done["total"]) == ("done", LEADS, 0, LEADS)
        assert query("SELECT COUNT(*) FROM crm_lead WHERE status_id = 'CONVERTED'")[0] == LEADS
        assert query("SELECT COUNT(*), COUNT(DISTINCT lead_id) FROM crm_deal") == (LEADS, LEADS)
        assert query("SELECT COUNT(*) FROM crm_contact")[0] == 50  # leads sharing an e-mail share a contact
        status, mode = api.call("GET", "/api/v1/crm-mode")
        assert mode["mode"] == "simple" and mode["active_switch"] is None
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
        log.close()
    assert serve.returncode == 0, Path(tmp_path, "serve.log").read_text()[-3000:]

    # Revoking the token through the command locks the API out for it.
    prefix = next(line.split("\t")[1].rstrip("…") for line in kontor_cli(env, "tokens", "list").stdout.splitlines()
                  if "\te2e\t" in line)
    assert kontor_cli(env, "tokens", "revoke", prefix).stdout.startswith("revoked")
    assert "\te2e\trevoked\t" in kontor_cli(env, "tokens", "list", "--user", "ops").stdout
    if os.environ.get("DATABASE_URL", "").startswith("sqlite") or "sqlite" in env["DATABASE_URL"]:
        assert query("PRAGMA journal_mode")[0] == "wal"
