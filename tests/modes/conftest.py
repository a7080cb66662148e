"""Helpers for the CRM-mode tests: set the mode, make leads with activities through the API. Running
``kontor`` in a subprocess (``external_db``, ``kontor_cli``) is in tests/conftest.py."""

from __future__ import annotations

import threading
import time

import pytest

from kontor.crm.enums import CrmMode
from kontor.crm.models import CrmSettings


def set_mode(mode: str, **settings) -> None:
    CrmSettings.objects.filter(pk=1).update(mode=mode, **settings)


@pytest.fixture
def classic(db):
    set_mode(CrmMode.CLASSIC)


@pytest.fixture
def simple(db):
    set_mode(CrmMode.SIMPLE)


def make_lead(api, *, activities: int = 0, open_activities: int = 1, **data) -> dict:
    """A lead through the API (classic mode), with ``activities`` activities of which ``open_activities`` open."""
    data.setdefault("title", "Anfrage")
    r = api.post("/api/v1/leads", data)
    assert r.status_code == 201, r.content
    lead = r.json()
    for i in range(activities):
        r = api.post("/api/v1/activities", {
            "type": "call", "subject": f"Call {lead['id']}.{i}", "completed": i >= open_activities,
            "bindings": [{"entity": "lead", "id": lead["id"]}]})
        assert r.status_code == 201, r.content
    return lead


def start_switch(api) -> int:
    """Start the switch to simple mode through the API (queued for the worker); its id."""
    r = api.post("/api/v1/crm-mode/switch", {"mode": "simple"})
    assert r.status_code == 202, r.content
    return r.json()["id"]


@pytest.fixture
def fake_sleep(monkeypatch):
    """``fake_sleep(fn)`` replaces ``time.sleep`` for this test's thread only.

    ``time.sleep`` is one function for every module and thread: a thread another test left behind (a
    daemon sweeper, a worker) would otherwise call the fake too and put its own pauses among the switch's.
    """
    real = time.sleep

    def install(fake):
        here = threading.current_thread()
        monkeypatch.setattr(time, "sleep", lambda seconds: fake(seconds) if threading.current_thread() is here
                            else real(seconds))

    return install
