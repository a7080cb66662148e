"""Helpers for the CRM-mode tests: set the mode, make leads with activities through the API, run
``kontor`` in subprocesses against a database this test can see."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

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


def kontor(env, *args, check=True, **kwargs):
    return subprocess.run([sys.executable, "-m", "kontor", *args], env=env, check=check, capture_output=True,
                          text=True, timeout=300, **kwargs)


@pytest.fixture
def external_db(tmp_path, transactional_db):
    """``(env, query)``: an environment for subprocesses and a function running one SQL query.

    The PostgreSQL test database, or a temporary SQLite file (the SQLite test database lives in memory).
    """
    env = {**os.environ, "KONTOR_VAR_DIR": str(tmp_path), "KONTOR_SWITCH_BATCH_SIZE": "100",
           "KONTOR_SWITCH_LEASE_SECONDS": "2", "KONTOR_SWITCH_PAUSE_SECONDS": "0.05", "PYTHONUNBUFFERED": "1"}
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        env["DATABASE_URL"] = (f"postgresql://{s.get('USER') or ''}{':' + s['PASSWORD'] if s.get('PASSWORD') else ''}"
                               f"@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}")

        def query(sql):
            with connection.cursor() as cur:
                cur.execute(sql)
                return cur.fetchone()
    else:
        path = Path(tmp_path) / "external.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{path}"
        kontor(env, "migrate", "-v", "0")

        def query(sql):
            db = sqlite3.connect(path, timeout=30)
            try:
                return db.execute(sql).fetchone()
            finally:
                db.close()
    return env, query
