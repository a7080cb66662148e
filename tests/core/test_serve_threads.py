"""``kontor serve``'s threads per web worker: one on SQLite, four on PostgreSQL, unless set."""

from __future__ import annotations

import pytest
from django.db import connection

from kontor.core.management.commands.serve import web_threads_default


def test_threads_per_worker_follow_the_database(monkeypatch, db):
    monkeypatch.delenv("KONTOR_WEB_THREADS", raising=False)
    # SQLite: one writer at a time, more threads only queue at its lock; PostgreSQL: a waiting thread lets another work
    assert web_threads_default() == (4 if connection.vendor == "postgresql" else 1)


@pytest.mark.parametrize("value", ["2", "8"])
def test_kontor_web_threads_sets_them(monkeypatch, value):
    monkeypatch.setenv("KONTOR_WEB_THREADS", value)
    assert web_threads_default() == int(value)
