"""``kontor bench_list``: deals filled set-based, then filtered pages through the API and the facade."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from kontor.crm.models import Deal, DealContact

pytestmark = pytest.mark.django_db


def test_bench_list_fills_deals_and_prints_percentiles():
    out = StringIO()
    call_command("bench_list", deals=400, requests=5, fresh=True, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert re.fullmatch(r"web: 2 pages each, deal list p50 [\d.]+ ms p95 [\d.]+ ms, kanban p50 [\d.]+ ms"
                        r" p95 [\d.]+ ms", lines[-1]), lines
    assert re.fullmatch(r"list: 5 requests per API, api p50 [\d.]+ ms p95 [\d.]+ ms, facade p50 [\d.]+ ms"
                        r" p95 [\d.]+ ms", lines[-2]), lines
    rows = int(re.fullmatch(r"rows: (\d+) deals listed in 20 pages", lines[-3])[1])
    assert rows > 0
    assert re.fullmatch(r"custom field: 5 requests per API filtered by uf_crm_bench_region, api p50 [\d.]+ ms"
                        r" p95 [\d.]+ ms, facade p50 [\d.]+ ms p95 [\d.]+ ms", lines[-4]), lines
    # Every deal has one of the 20 regions the custom-field lists filter by.
    regions = {deal.uf["uf_crm_bench_region"] for deal in Deal.objects.all()}
    assert regions == {f"R{i}" for i in range(20)}
    assert Deal.objects.count() == 400 and DealContact.objects.count() == 400
    # Open deals sit in open stages, closed ones in the won and lost stages; seven in ten are closed.
    assert not Deal.objects.filter(closed=True, stage__semantic="process").exists()
    assert not Deal.objects.filter(closed=False).exclude(stage__semantic="process").exists()
    assert Deal.objects.filter(closed=False).count() == 120
    # Spread over the sales team of ten.
    assert Deal.objects.filter(assigned__username__startswith="sales-").values("assigned").distinct().count() == 10
    assert Deal.objects.values("stage").distinct().count() > 3

    # Topping up: only the missing deals are added.
    call_command("bench_list", deals=450, requests=1, stdout=StringIO())
    assert Deal.objects.count() == 450
