"""A real ``kontor db_worker`` killed with SIGKILL in the middle of a switch; a new worker resumes it.

Everything runs in subprocesses against a database both this test and the workers can open: the
PostgreSQL test database, or a temporary SQLite file (the SQLite test database lives in memory).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

LEADS = 3000  # about 2,700 in progress (10% junk)


def _worker(env, tmp_path, name):
    log = open(Path(tmp_path) / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "kontor", "db_worker", "--interval", "0.2", "--no-startup-delay"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait(predicate, timeout=120.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out")


def _in_batch(env) -> bool:
    """Whether a write transaction (the worker's batch) is open on the database."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite"):
        db = sqlite3.connect(url.removeprefix("sqlite:///").replace("sqlite://", ""), timeout=0)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.rollback()
            return False
        except sqlite3.OperationalError:  # "database is locked": the batch holds the write lock
            return True
        finally:
            db.close()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state = 'idle in transaction' AND pid <> pg_backend_pid()")
        return cur.fetchone()[0] > 0


def test_killed_worker_is_resumed_with_exact_counts(external_db, kontor_cli, tmp_path):
    _kontor = kontor_cli
    env, query = external_db
    _kontor(env, "bench_convert", "--leads", str(LEADS), "--activities-per-lead", "2", "--fill-only")
    in_progress = query("SELECT COUNT(*) FROM crm_lead WHERE status_id <> 'JUNK'")[0]
    junk = query("SELECT COUNT(*) FROM crm_lead WHERE status_id = 'JUNK'")[0]
    assert in_progress + junk == LEADS and junk > 0
    out = _kontor(env, "crm_mode", "simple", "--new-pipeline", "Nach Absturz", "--no-wait").stdout
    assert "queued" in out
    switch = "SELECT status, converted, failed, total FROM modes_modeswitch ORDER BY id DESC LIMIT 1"

    # Each batch sleeps half a second between converting its leads and writing its counts (inside
    # its transaction), so the kill lands in the middle of a batch.
    first = _worker({**env, "KONTOR_SWITCH_BATCH_PAUSE": "0.5"}, tmp_path, "worker1")
    try:
        _wait(lambda: query(switch)[1] >= 300)
        _wait(lambda: _in_batch(env), timeout=30, step=0.01)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    status, converted, failed, total = query(switch)
    assert status == "running" and 0 < converted < total == in_progress
    # What the killed worker committed is exactly what the switch counted: no half batch.
    assert query("SELECT COUNT(*) FROM crm_lead WHERE status_id = 'CONVERTED'")[0] == converted
    assert query("SELECT COUNT(*) FROM crm_deal WHERE lead_id IS NOT NULL")[0] == converted

    second = _worker(env, tmp_path, "worker2")
    try:
        _wait(lambda: query(switch)[0] == "done", timeout=180)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=20)
    status, converted, failed, total = query(switch)
    assert (status, converted, failed, total) == ("done", in_progress, 0, in_progress)
    assert query("SELECT COUNT(*) FROM crm_lead WHERE status_id = 'CONVERTED'")[0] == in_progress
    assert query("SELECT COUNT(*) FROM crm_lead WHERE status_id = 'JUNK'")[0] == junk
    assert query("SELECT COUNT(*), COUNT(DISTINCT lead_id) FROM crm_deal") == (in_progress, in_progress)
    assert query("SELECT COUNT(*) FROM crm_contact")[0] == in_progress
    assert query("SELECT COUNT(*) FROM crm_timelineentry WHERE kind = 'converted'")[0] == in_progress
    assert query("SELECT COUNT(*) FROM crm_activity WHERE owner_type = 2")[0] == 2 * in_progress
    assert query("SELECT COUNT(*) FROM crm_activity WHERE owner_type = 2 AND completed = FALSE")[0] == in_progress
    assert query("SELECT COUNT(*) FROM crm_lead WHERE status_id <> 'JUNK' AND deal_id IS NULL")[0] == 0
