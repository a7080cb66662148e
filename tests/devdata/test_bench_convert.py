"""``kontor bench_convert``: its last line, and the plain-SQL yardstick writing what the switch writes."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from kontor.crm.models import (
    Activity,
    ActivityBinding,
    Company,
    Contact,
    ContactCompany,
    CustomField,
    Deal,
    Lead,
    TimelineEntry,
)

pytestmark = pytest.mark.django_db


def _bench(**options) -> str:
    out = StringIO()
    call_command("bench_convert", leads=200, activities_per_lead=2, stdout=out, **options)
    return out.getvalue().strip().splitlines()[-1]


def _written(n: int) -> dict:
    converted = Lead.objects.filter(status_id="CONVERTED")
    return {
        "custom_carried": sum(1 for lead in converted.select_related("deal") if lead.uf and lead.deal.uf == lead.uf),
        "deals": Deal.objects.count(), "contacts": Contact.objects.count(),
        "converted": Lead.objects.filter(status_id="CONVERTED", deal__isnull=False).count(),
        "left": Lead.objects.filter(status_id__in=["NEW", "IN_PROCESS"]).count(),
        "lead_bindings": ActivityBinding.objects.filter(entity_type=1).count(),
        "deal_bindings": ActivityBinding.objects.filter(entity_type=2).count(),
        "contact_bindings": ActivityBinding.objects.filter(entity_type=3).count(),
        "company_bindings": ActivityBinding.objects.filter(entity_type=4).count(),
        "contact_companies": ContactCompany.objects.count(),
        "timeline": TimelineEntry.objects.filter(kind__in=["converted", "created", "created_from_lead"]).count(),
        "companies": Company.objects.count(),
    }


def expected(n: int, titles: int) -> dict:
    # Junk leads (the rest of the 200) keep their activities. Every converted lead has its own
    # company title here, so each company is new, as each contact is; the timeline has the lead's
    # "converted" and "created" plus "created_from_lead" for each deal, contact and company.
    return {"custom_carried": n, "deals": n, "contacts": n, "converted": n, "left": 0,
            "lead_bindings": 2 * (200 - n), "deal_bindings": 2 * n, "contact_bindings": 2 * n,
            "company_bindings": 2 * titles, "contact_companies": titles, "timeline": n + 4 * n + 2 * titles,
            "companies": titles}


def test_switch_run_prints_the_convert_line():
    last = _bench()
    match = re.fullmatch(r"convert: (\d+) leads in [\d.]+ s \(\d+ leads/s\), peak RSS \d+ MB", last)
    assert match, last
    n = int(match[1])
    assert 150 <= n < 200 and Lead.objects.filter(status_id="JUNK").count() == 200 - n
    # Three custom fields by default, on leads and deals, filled in every lead.
    assert sorted(CustomField.objects.values_list("entity_type", "code")) == [
        (e, f"UF_CRM_BENCH_{i}") for e in (1, 2) for i in (1, 2, 3)]
    lead = Lead.objects.filter(status_id="CONVERTED").select_related("deal").first()
    assert set(lead.uf) == {"uf_crm_bench_1", "uf_crm_bench_2", "uf_crm_bench_3"} and lead.deal.uf == lead.uf
    titles = Lead.objects.filter(status_id="CONVERTED").exclude(company_title="").values("company_title").distinct()
    assert _written(n) == expected(n, titles.count())


def test_reference_writes_what_the_switch_writes():
    last = _bench(reference="full")
    match = re.fullmatch(r"reference: (\d+) leads in [\d.]+ s \(\d+ leads/s\), peak RSS \d+ MB", last)
    assert match, last
    n = int(match[1])
    titles = Lead.objects.filter(status_id="CONVERTED").exclude(company_title="").values("company_title").distinct()
    assert _written(n) == expected(n, titles.count())


def test_minimal_reference_writes_only_the_floor():
    last = _bench(reference="minimal")
    match = re.fullmatch(r"reference \(minimal\): (\d+) leads in [\d.]+ s \(\d+ leads/s\), peak RSS \d+ MB", last)
    assert match, last
    n = int(match[1])
    assert 150 <= n < 200
    # A contact and a deal per lead, the lead converted and its activities owned by the deal; nothing else.
    assert (Deal.objects.count(), Contact.objects.count()) == (n, n)
    assert Lead.objects.filter(status_id="CONVERTED", deal__isnull=False, contact__isnull=False).count() == n
    assert Activity.objects.filter(owner_type=2).count() == 2 * n
    assert not Company.objects.exists() and not TimelineEntry.objects.exists()
    assert not ActivityBinding.objects.filter(entity_type__in=[2, 3]).exists()
