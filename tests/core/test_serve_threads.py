"""``kontor serve``'s threads per web worker: one on SQLite, four on PostgreSQL, unless set."""

from __future__ import annotations

import subprocess

import pytest
from django.core.management import CommandError, call_command
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


@pytest.mark.parametrize("name", ["KONTOR_WEB_THREADS", "KONTOR_WEB_WORKERS"])
@pytest.mark.parametrize("value", ["abc", "0", "-2", "1.5"])
def test_a_count_that_is_no_whole_number_stops_serve_with_a_message(monkeypatch, db, name, value):
    monkeypatch.setenv(name, value)
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a))
    with pytest.raises(CommandError) as error:
        call_command("serve")
    assert str(error.value) == f"{name} must be a whole number of at least 1, not {value!r}"
    assert started == []  # neither gunicorn nor the worker was started


@pytest.mark.parametrize("option", ["--workers", "--threads"])
def test_zero_workers_or_threads_on_the_command_line_are_refused(monkeypatch, db, option):
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a))
    with pytest.raises(CommandError, match=f"^{option} must be at least 1, not 0$"):
        call_command("serve", f"{option}=0")
    assert started == []
