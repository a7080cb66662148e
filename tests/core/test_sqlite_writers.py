"""SQLite writers queue for the write lock (kontor.core.sqlite): every transaction begins IMMEDIATE
behind a file lock, so two writers that both read before they write never fail with
"database is locked", and a waiter that waits too long gets SQLite's own error."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.utils import load_backend

pytestmark = pytest.mark.skipif("sqlite" not in settings.DATABASES["default"]["ENGINE"],
                                reason="SQLite's write lock")


def _wrapper(path, alias, **options):
    """A connection to a file database with the project's SQLite settings (engine and options)."""
    config = settings.DATABASES["default"]
    backend = load_backend(config["ENGINE"])
    settings_dict = {**config, "NAME": str(path), "OPTIONS": {**config["OPTIONS"], **options}, "TEST": {}}
    return backend.DatabaseWrapper(settings_dict, alias=alias)


def _transaction(conn, body) -> None:
    """What ``transaction.atomic`` does on this backend: BEGIN …, the body, COMMIT (ROLLBACK on error)."""
    conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    try:
        body(conn.cursor())
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.set_autocommit(True)


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker):
    with django_db_blocker.unblock():  # these connections go to files of their own, not the test database
        yield


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "writers.sqlite3"
    conn = _wrapper(path, "setup")
    conn.cursor().execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
    conn.cursor().execute("INSERT INTO counter VALUES (1, 0)")
    conn.close()
    return path


def test_two_writers_that_read_first_both_succeed(database):
    """Read, pause, write — from two connections at once. With a deferred BEGIN the second one to
    write fails at once ("database is locked": its snapshot is stale); here both succeed, one after
    the other, and neither update is lost."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        conn = _wrapper(database, name)

        def body(cursor) -> None:
            barrier.wait(timeout=10) if name == "w1" else None
            cursor.execute("SELECT n FROM counter WHERE id = 1")
            n = cursor.fetchone()[0]
            time.sleep(0.2)
            cursor.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])

        try:
            if name == "w2":
                barrier.wait(timeout=10)
            _transaction(conn, body)
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    check = _wrapper(database, "check")
    cursor = check.cursor()
    cursor.execute("SELECT n FROM counter WHERE id = 1")
    assert cursor.fetchone()[0] == 2
    check.close()


def test_a_writer_waiting_longer_than_its_timeout_gets_database_is_locked(database):
    holder = _wrapper(database, "holder")
    waiter = _wrapper(database, "waiter", timeout=0.2)
    holder.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    holder.cursor().execute("UPDATE counter SET n = n + 1 WHERE id = 1")
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            _transaction(waiter, lambda c: c.execute("UPDATE counter SET n = n + 1 WHERE id = 1"))
    finally:
        holder.commit()
        holder.set_autocommit(True)
    # the lock went with the holder's COMMIT: the waiter gets in now
    _transaction(waiter, lambda c: c.execute("UPDATE counter SET n = n + 1 WHERE id = 1"))
    holder.close()
    waiter.close()


def test_a_long_job_sees_that_writers_wait(database):
    """``writers_waiting()`` (what the switch asks between batches) is true while another connection
    waits for the write lock, false once nobody does."""
    holder = _wrapper(database, "holder")
    holder.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    holder.cursor().execute("UPDATE counter SET n = n + 1 WHERE id = 1")
    assert holder.writers_waiting() is False
    done = threading.Event()

    def waiter() -> None:
        conn = _wrapper(database, "waiter")
        try:
            _transaction(conn, lambda c: c.execute("UPDATE counter SET n = n + 1 WHERE id = 1"))
        finally:
            conn.close()
            done.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    seen = False
    for _ in range(500):
        if holder.writers_waiting():
            seen = True
            break
        time.sleep(0.01)
    holder.commit()
    holder.set_autocommit(True)
    thread.join(30)
    assert seen and done.is_set()
    assert holder.writers_waiting() is False
    holder.close()


def test_a_long_job_sees_a_writer_holding_the_lock(database):
    """``writers_active()``: true while another connection holds the write lock (a request that
    found it free never waits), false once it committed; the asking connection's own lock does not count."""
    job = _wrapper(database, "job")
    request = _wrapper(database, "request")
    seen: list[bool] = []

    def write_and_ask(cursor) -> None:  # while this transaction holds the write lock
        cursor.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
        seen.append(job.writers_active())

    assert job.writers_active() is False
    _transaction(request, write_and_ask)
    assert job.writers_active() is False
    _transaction(job, write_and_ask)
    assert seen == [True, False]
    # after asking, the lock is free for others: a writer gets in at once
    _transaction(request, lambda c: c.execute("UPDATE counter SET n = n + 1 WHERE id = 1"))
    job.close()
    request.close()


CHECKPOINTER = r"""
import os, sys, time
import django
django.setup()
from django.db import connection, transaction
from kontor.core.sqlite.base import checkpointer_start

assert checkpointer_start() is not None
with connection.cursor() as cursor:
    assert cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # left to the thread
    cursor.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB)")
path = connection.settings_dict["NAME"]
before = os.path.getsize(path)
with transaction.atomic(), connection.cursor() as cursor:
    for n in range(2000):
        cursor.execute("INSERT INTO filler (data) VALUES (randomblob(4000))")
assert os.path.getsize(path) == before  # the COMMIT did not checkpoint: its pages are in the WAL only
deadline = time.monotonic() + 20
while os.path.getsize(path) < before + 4000 * 2000 and time.monotonic() < deadline:
    time.sleep(0.1)
print("database file", before, "->", os.path.getsize(path))
sys.exit(0 if os.path.getsize(path) >= before + 4000 * 2000 else 1)
"""


def test_web_processes_checkpoint_in_a_thread_not_in_a_commit(tmp_path):
    """A COMMIT in a web or worker process does not copy the write-ahead log into the database file
    (holding the write lock meanwhile); the process's checkpointer thread does, soon after."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kontor.settings",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'ckpt.sqlite3'}", "KONTOR_VAR_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", CHECKPOINTER], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
