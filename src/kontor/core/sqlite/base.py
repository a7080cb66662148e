"""Django's SQLite backend, with writers that queue instead of sleeping.

SQLite has one write lock per database file. Every transaction here starts with ``BEGIN IMMEDIATE``
(settings), so it takes that lock at once; a second writer then waits in SQLite's busy handler,
which *sleeps* between tries (1, 2, 5, 10, … up to 100 ms): under load a writer often sleeps far
longer than the transaction it waits for lasted, and the unlucky ones time out.

So each transaction first takes an advisory file lock (``flock`` on ``<database>.lock``, one open
file per connection, so threads of one process queue as well as processes), and only then BEGINs.
A waiter tries the lock again every 0.2 ms at first, backing off to 2 ms: it gets in within a
couple of milliseconds of the holder's COMMIT, never a 100 ms nap later. The lock goes with the
transaction (COMMIT, ROLLBACK, or the connection closing; the kernel drops it when a process dies).
A waiter gives up after the connection's ``timeout`` option (seconds) with SQLite's own
"database is locked" error. Writes outside a transaction (autocommit) still use the busy handler.
In-memory databases have no file to lock and skip all this.

While it waits, a writer holds a shared lock on ``<database>.lock-wait``: ``writers_waiting()``
tells a long job (the CRM-mode switch) between its batches that web requests are queued, and
``writers_active()`` that one holds the lock or waits for it; the job lets them go first.

Checkpoints: by default the connection whose COMMIT brings the write-ahead log over 1,000 pages
copies it into the database file right then, inside that COMMIT — while still holding the write
lock, so every queued writer waits too (10–20 ms for a web request's commit, far more after a
switch batch). The long-running processes (web workers, the background worker) call
``checkpointer_start()`` instead: a daemon thread checkpoints (``PASSIVE``: it never blocks readers
or writers) twice a second on its own connection, and their connections leave it to that thread
(``wal_autocheckpoint=0``). Other processes (management commands) keep SQLite's default.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.backends.sqlite3 import base

#: polling interval of a waiting writer: from FIRST_WAIT, doubling up to MAX_WAIT (seconds)
FIRST_WAIT = 0.0002
MAX_WAIT = 0.002
#: seconds between two checkpoints of the background checkpointer
CHECKPOINT_INTERVAL = 0.5

log = logging.getLogger(__name__)
_checkpointer: threading.Thread | None = None


def checkpointer_start(alias: str = DEFAULT_DB_ALIAS) -> threading.Thread | None:
    """When the database ``alias`` is a SQLite file through this backend:
    checkpoint its write-ahead log from a daemon thread of this process, and make this process's
    connections leave checkpoints to it (see the module's docstring). Once per process."""
    global _checkpointer
    connection = connections[alias]
    if _checkpointer is not None or not isinstance(connection, DatabaseWrapper) or connection.is_in_memory_db():
        return _checkpointer
    database = str(connection.settings_dict["NAME"])

    def run() -> None:
        conn = sqlite3.connect(database, timeout=5, check_same_thread=False)
        while True:
            time.sleep(CHECKPOINT_INTERVAL)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:  # the file may be locked or away for a moment: next time
                log.warning("WAL checkpoint failed", exc_info=True)

    _checkpointer = threading.Thread(target=run, name="kontor-sqlite-checkpoint", daemon=True)
    _checkpointer.start()
    return _checkpointer


def _taken(fd: int) -> bool:
    """Whether another open file holds a lock on ``fd``'s file (tried, and let go at once if not)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_fd: int | None = None
    _lock_path: str | None = None
    _lock_held = False
    _wait_fd: int | None = None

    def _lock_file(self) -> int | None:
        name = str(self.settings_dict.get("NAME") or "")
        if not name or self.is_in_memory_db():
            return None
        path = f"{name.removeprefix('file:').split('?', 1)[0]}.lock"
        if self._lock_fd is not None and self._lock_path != path:
            os.close(self._lock_fd)
            self._lock_fd = None
            if self._wait_fd is not None:
                os.close(self._wait_fd)
                self._wait_fd = None
        if self._lock_fd is None:
            self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._wait_fd = os.open(f"{path}-wait", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_path = path
        return self._lock_fd

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        if _checkpointer is not None and not self.is_in_memory_db():
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer thread does it
        return conn

    def writers_waiting(self) -> bool:
        """Whether another connection is waiting for the write lock (waiters hold a shared lock on
        ``<database>.lock-wait`` while they wait). The CRM-mode switch asks this between batches and
        lets them go first."""
        if self._lock_file() is None or self._wait_fd is None:
            return False
        return _taken(self._wait_fd)

    def writers_active(self) -> bool:
        """Whether another connection holds the write lock or waits for it. Between two batches the
        switch gives the lock back until this has been false for a while: a request that finds the
        lock free never waits, so ``writers_waiting()`` alone misses a steady stream of them."""
        if self.writers_waiting():
            return True
        fd = self._lock_file()
        if fd is None or self._lock_held:
            return False
        return _taken(fd)

    def write_lock_acquire(self) -> None:
        """Wait for the database's write lock (see the module's docstring)."""
        fd = self._lock_file()
        if fd is None or self._lock_held:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._lock_held = True
            return
        except BlockingIOError:
            pass
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + timeout
        wait = FIRST_WAIT
        waiting = False
        if self._wait_fd is not None:
            try:  # tell the switch job someone waits (it checks between batches)
                fcntl.flock(self._wait_fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                waiting = True
            except BlockingIOError:
                pass  # the job is looking right now; it will see the next waiter
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    self._lock_held = True
                    return
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise OperationalError(
                            f"database is locked (waited {timeout:g} s for the write lock)") from None
                    time.sleep(wait)
                    wait = min(wait * 2, MAX_WAIT)
        finally:
            if waiting and self._wait_fd is not None:
                fcntl.flock(self._wait_fd, fcntl.LOCK_UN)

    def write_lock_release(self) -> None:
        if self._lock_held and self._lock_fd is not None:
            self._lock_held = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self):
        self.write_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self.write_lock_release()
            raise

    def _commit(self):
        result = super()._commit()  # a failed COMMIT keeps the lock until the ROLLBACK that follows
        self.write_lock_release()
        return result

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self.write_lock_release()

    def _close(self):
        try:
            return super()._close()
        finally:
            self.write_lock_release()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
            if self._wait_fd is not None:
                os.close(self._wait_fd)
                self._wait_fd = None
