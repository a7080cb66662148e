"""Batches of one switch running side by side (PostgreSQL): one customer still makes one contact and company."""

from __future__ import annotations

import threading
import time

import pytest

from kontor.crm.enums import CrmMode
from kontor.crm.models import ActivityBinding, Company, Contact, Deal, Lead
from kontor.modes import jobs
from kontor.modes.jobs import switch_run

from .conftest import make_lead, set_mode

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_batches_at_once_share_customers_without_duplicates(admin_api, monkeypatch):
    set_mode(CrmMode.CLASSIC)
    # Six customers with two leads each: the same e-mail (in another case) or phone (in another
    # format), and the same company title. Batches of two leads, handed out in pairs to two workers:
    # customers 0 and 1 first in batch one, then again in batch two, which runs at the same time.
    leads = []
    for pair in range(3):
        for copy, i in ((0, 2 * pair), (0, 2 * pair + 1), (1, 2 * pair), (1, 2 * pair + 1)):
            contact = {"emails": [f"Kunde{i}@Example.org" if copy else f"kunde{i}@example.org"]} if i % 2 else {
                "phones": ["+49 30 1234567" + str(i) if copy else "030 1234567" + str(i)]}
            leads.append(make_lead(admin_api, title=f"L{copy}-{i}", name=f"K{i}", company_title=f"Firma {i}",
                                   activities=1, **contact))
    # Hold every batch for a moment after it has taken its customer keys, so batches really overlap.
    seen: list[tuple[int, float]] = []
    original = jobs.LeadBulkConverter._companies

    def slow_companies(self, run):
        seen.append((threading.get_ident(), time.monotonic()))
        time.sleep(0.3)
        return original(self, run)

    monkeypatch.setattr(jobs.LeadBulkConverter, "_companies", slow_companies)
    sw = admin_api.post("/api/v1/crm-mode/switch", {"mode": "simple", "new_pipeline_name": "Parallel",
                                                     "create_contacts": True, "create_companies": True}).json()
    done = switch_run(sw["id"], batch_size=2, workers=2)

    assert len({thread for thread, _ in seen}) == 2  # two connections converted batches
    assert done.status == "done" and done.converted == 12 and done.failed == 0 and done.cursor == done.max_lead_id
    assert Contact.objects.count() == 6 and Company.objects.count() == 6
    assert Deal.objects.count() == 12
    for i in range(6):
        deals = Deal.objects.filter(title__endswith=f"-{i}")
        assert len({d.contact_id for d in deals}) == 1 and len({d.company_id for d in deals}) == 1
        assert sorted(d.is_return_customer for d in deals) == [False, True]
    assert not Lead.objects.exclude(status_id="CONVERTED").exists()
    assert ActivityBinding.objects.filter(entity_type=1).count() == 0
    assert ActivityBinding.objects.filter(entity_type=3).count() == 12
