"""On PostgreSQL a finished switch refreshes the planner statistics of the tables it filled, so the
first lists after it are planned for the rows that are there (not for the empty tables of before)."""

from __future__ import annotations

import pytest
from django.db import connection

from kontor.crm.models import Company, Contact, Deal
from kontor.modes.jobs import switch_run

from .conftest import make_lead

pytestmark = pytest.mark.postgres


def _estimated(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_a_finished_switch_leaves_current_statistics(admin_api, classic):
    for i in range(6):
        make_lead(admin_api, title=f"L{i}", name=f"Kunde {i}", company_title=f"Firma {i}")
    r = admin_api.post("/api/v1/crm-mode/switch", {"mode": "simple", "create_companies": True})
    assert r.status_code == 202, r.content
    switch_run(r.json()["id"])
    assert Company.objects.count() == 6
    assert (_estimated("crm_company"), _estimated("crm_contact"), _estimated("crm_deal")) == (
        Company.objects.count(), Contact.objects.count(), Deal.objects.count())
