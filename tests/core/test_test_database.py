"""The tests run on the database the way production does: on SQLite a WAL file, not memory."""

from __future__ import annotations

import pytest
from django.db import connection


def test_sqlite_tests_run_on_a_wal_file(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert not connection.is_in_memory_db()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
