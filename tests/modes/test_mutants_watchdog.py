"""The switch watchdog every ``db_worker`` runs (``kontor.modes.apps._watchdog``): it re-queues
switches whose runner died, survives a failing pass, gives its connection back after each pass, and
looks again at half the lease (between 1 and 15 seconds). Run here for a few passes in this thread,
with the clock and the database connection replaced."""

from __future__ import annotations

import logging

import django.db
import pytest

from kontor.modes import apps, jobs


class _Stop(BaseException):
    """Ends the watchdog's endless loop (it catches ``Exception`` only)."""


@pytest.mark.parametrize("lease,interval", [(60.0, 15.0), (10.0, 5.0), (1.0, 1.0)])
def test_watchdog_requeues_again_and_again(monkeypatch, caplog, lease, interval):
    passes: list[str] = []
    sleeps: list[float] = []
    closed: list[int] = []

    def requeue():
        passes.append("pass")
        if len(passes) == 1:
            raise RuntimeError("database is locked")
        return [7, 9] if len(passes) == 2 else []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 4:
            raise _Stop

    class Connection:
        def close(self):
            closed.append(len(passes))

    monkeypatch.setattr(jobs, "requeue_stale_switches", requeue)
    monkeypatch.setattr(jobs, "LEASE_SECONDS", lease)
    monkeypatch.setattr("time.sleep", sleep)
    monkeypatch.setattr(django.db, "connection", Connection())
    caplog.set_level(logging.DEBUG, logger="kontor.modes.watchdog")
    with pytest.raises(_Stop):
        apps._watchdog()
    assert sleeps == [0.5, interval, interval, interval]  # a short start-up pause, then every half lease
    assert passes == ["pass"] * 3  # the failing first pass did not stop it
    assert closed == [1, 2, 3]  # the connection is given back after every pass, the failing one too
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert infos == ["re-queued CRM-mode switch(es) [7, 9] after their runner stopped"]
    failed = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert [r.getMessage() for r in failed] == ["watchdog pass failed"]
    assert failed[0].exc_info and "database is locked" in str(failed[0].exc_info[1])
