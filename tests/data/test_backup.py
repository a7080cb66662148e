"""``kontor backup`` / ``kontor restore``: a snapshot taken while another process writes restores to the
same, consistent counts (SQLite through the online backup API, PostgreSQL through pg_dump)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

# Each contact is written with one phone and a "created" timeline entry in one transaction: a snapshot
# of a committed moment has as many of each as contacts.
WRITER = """
import django, os, sys, pathlib
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontor.settings")
django.setup()
from kontor.crm.services.contacts import contact_create
stop = pathlib.Path(sys.argv[1])
i = 0
while not stop.exists():
    i += 1
    contact_create(data={"name": "Writer", "last_name": f"No {i}", "phones": [f"+49 30 {5000000 + i}"]})
"""

COUNTS = {
    "contacts": "SELECT COUNT(*) FROM crm_contact",
    "phones": "SELECT COUNT(*) FROM crm_communication WHERE entity_type = 3",
    "created": "SELECT COUNT(*) FROM crm_timelineentry WHERE entity_type = 3 AND kind = 'created'",
}


def _counts(run) -> dict[str, int]:
    return {name: run(sql)[0] for name, sql in COUNTS.items()}


def _sqlite_query(path: Path):
    def run(sql):
        db = sqlite3.connect(path)
        try:
            return db.execute(sql).fetchone()
        finally:
            db.close()
    return run


def _pg_url(name: str) -> str:
    s = connection.settings_dict
    return f"postgresql://{s.get('USER') or ''}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{name}"


def _backup_under_load(run_kontor, env, query, tmp_path: Path, target: Path) -> dict[str, int]:
    """Start a writer, take ``kontor backup target`` while it writes, stop it; the counts after it stopped."""
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(stop)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while query(COUNTS["contacts"])[0] < 50:
            assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
            assert time.monotonic() < deadline, "the writer wrote nothing"
            time.sleep(0.05)
        done = run_kontor(env, "backup", str(target))
        assert f"backup: {target}" in done.stdout
        before_stop = query(COUNTS["contacts"])[0]
        time.sleep(0.3)  # it keeps writing after the snapshot
    finally:
        stop.touch()
        writer.wait(60)
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
    after = _counts(query)
    assert after["contacts"] > before_stop or after["contacts"] >= 50
    return after


@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_under_load_restores_identical_counts(external_db, kontor_cli, tmp_path):
    run_kontor = kontor_cli
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite round trip; PostgreSQL has its own test")
    env, query = external_db
    target = tmp_path / "snap.sqlite3"
    after = _backup_under_load(kontor_cli, env, query, tmp_path, target)

    snapshot = _counts(_sqlite_query(target))
    assert 50 <= snapshot["contacts"] < after["contacts"]  # a moment while the writer ran
    assert snapshot["phones"] == snapshot["created"] == snapshot["contacts"]  # no half-written contact

    fresh = tmp_path / "restored.sqlite3"
    restored_env = {**env, "DATABASE_URL": f"sqlite:///{fresh}"}
    run_kontor(restored_env, "migrate", "-v", "0")
    run_kontor(restored_env, "restore", "--noinput", str(target))
    assert _counts(_sqlite_query(fresh)) == snapshot
    # The restored database is a working Kontor: nothing left to migrate, and it takes writes.
    plan = run_kontor(restored_env, "migrate", "--check", check=False)
    assert plan.returncode == 0, plan.stdout + plan.stderr


@pytest.mark.django_db(transaction=True)
def test_postgres_backup_under_load_restores_identical_counts(external_db, kontor_cli, tmp_path):
    run_kontor = kontor_cli
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL round trip")
    env, query = external_db
    target = tmp_path / "snap.dump"
    after = _backup_under_load(kontor_cli, env, query, tmp_path, target)
    assert target.read_bytes()[:5] == b"PGDMP"

    name = f"{connection.settings_dict['NAME']}_restore"[:63]
    admin = psycopg.connect(_pg_url("postgres"), autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        restored_env = {**env, "DATABASE_URL": _pg_url(name)}
        run_kontor(restored_env, "restore", "--noinput", str(target))
        with psycopg.connect(_pg_url(name)) as db:
            snapshot = {k: db.execute(sql).fetchone()[0] for k, sql in COUNTS.items()}
        assert 50 <= snapshot["contacts"] < after["contacts"]
        assert snapshot["phones"] == snapshot["created"] == snapshot["contacts"]
        plan = run_kontor(restored_env, "migrate", "--check", check=False)
        assert plan.returncode == 0, plan.stdout + plan.stderr
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_file_that_is_no_backup(external_db, kontor_cli, tmp_path):
    run_kontor = kontor_cli
    env, _ = external_db
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    done = run_kontor(env, "restore", "--noinput", str(junk), check=False)
    assert done.returncode != 0
    assert "neither a SQLite database nor a pg_dump" in done.stderr
    missing = run_kontor(env, "restore", "--noinput", str(tmp_path / "nope.dump"), check=False)
    assert "no such file" in missing.stderr
