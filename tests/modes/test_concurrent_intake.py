"""Two identical inquiries at the same moment never make two contacts (PostgreSQL, real concurrency)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from kontor.crm.enums import CrmMode
from kontor.crm.models import Company, Contact, Deal

from .conftest import set_mode

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _concurrently(api, payloads):
    barrier = threading.Barrier(len(payloads))
    results: list = [None] * len(payloads)

    def send(i, payload):
        try:
            barrier.wait()
            results[i] = api.post("/api/v1/inquiries", payload)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i, p)) for i, p in enumerate(payloads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_identical_inquiries_at_once_make_one_contact_and_company(admin_api):
    set_mode(CrmMode.SIMPLE, create_company=True)
    for round_ in range(5):
        payloads = [{"name": "Gleich", "phones": [f"030 777100{round_}"],
                     "emails": [f"gleich{round_}@example.org".upper() if i % 2 else f"gleich{round_}@example.org"],
                     "company_title": f"Gleich GmbH {round_}"} for i in range(4)]
        results = _concurrently(admin_api, payloads)
        assert [r.status_code for r in results] == [201] * 4, [r.content for r in results]
        bodies = [r.json() for r in results]
        assert len({b["contact_id"] for b in bodies}) == 1
        assert len({b["company_id"] for b in bodies}) == 1
        assert sum(not b["contact_matched"] for b in bodies) == 1
        assert len({b["deal_id"] for b in bodies}) == 4
    assert Contact.objects.count() == 5 and Company.objects.count() == 5 and Deal.objects.count() == 20
