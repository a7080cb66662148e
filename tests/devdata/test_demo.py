"""``kontor demo``: sample data that looks like a living CRM, and its refusal to mix with real data."""

from __future__ import annotations

import sys
import types
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kontor.core.normalize import normalize_email, normalize_phone
from kontor.crm.enums import CrmMode, EntityType, Semantic
from kontor.crm.models import Activity, Communication, Company, Contact, CrmSettings, Deal, Lead, Pipeline, Stage

pytestmark = pytest.mark.django_db


def _demo(*args) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_demo_fills_an_empty_crm_with_a_living_crm(admin_api):
    output = _demo()
    assert "Created" in output
    assert Company.objects.count() >= 10
    assert Contact.objects.count() >= 20
    assert Pipeline.objects.count() == 2
    assert CrmSettings.load().mode == CrmMode.CLASSIC

    # deals in every stage of both pipelines; leads in every status, the converted ones linked
    assert not Stage.objects.exclude(deals__isnull=False).exists()
    assert Deal.objects.filter(closed=True).exists()
    assert set(Lead.objects.values_list("status_id", flat=True)) == {"NEW", "IN_PROCESS", "PROCESSED", "JUNK",
                                                                     "CONVERTED"}
    assert all(lead.deal_id and lead.contact_id for lead in Lead.objects.filter(status_id="CONVERTED"))

    # German and English names
    last_names = set(Contact.objects.values_list("last_name", flat=True))
    assert {"Müller", "Weiß", "Bennett", "Carter"} <= last_names
    assert {"Müller Bau GmbH", "Northwind Traders Ltd"} <= set(Company.objects.values_list("title", flat=True))

    # valid, normalised German and international phones and e-mails
    phones, emails = Communication.objects.filter(type="PHONE"), Communication.objects.filter(type="EMAIL")
    assert phones.count() > 30
    assert all(normalize_phone(p.value) == p.normalized for p in phones)
    assert {p.normalized[:3] for p in phones} >= {"+49", "+44"}
    assert all(normalize_email(e.value) == e.normalized for e in emails)

    # activities of every type, overdue, done and upcoming, on deals and leads
    now = timezone.now()
    assert Activity.objects.filter(deadline__lt=now, completed=True).exists()
    assert Activity.objects.filter(deadline__lt=now, completed=False).exists()
    assert Activity.objects.filter(deadline__gt=now, completed=False).exists()
    assert set(Activity.objects.values_list("type", flat=True)) == {"call", "meeting", "email", "task", "todo"}
    assert Activity.objects.filter(bindings__entity_type=EntityType.LEAD).exists()
    open_deals = Deal.objects.filter(stage__semantic=Semantic.PROCESS)
    assert open_deals.filter(pk__in=Activity.objects.filter(owner_type=EntityType.DEAL).values("owner_id")).exists()

    # and the API serves it
    assert admin_api.get("/api/v1/deals", limit=500).json()["total"] == Deal.objects.count()
    assert admin_api.get("/api/v1/leads", status_id="JUNK").json()["total"] >= 1


def test_demo_refuses_when_records_exist_and_reset_replaces_them_with_the_same_data():
    _demo()
    first = list(Deal.objects.order_by("id").values_list("title", "opportunity", "currency", "stage__code"))
    with pytest.raises(CommandError, match="--reset"):
        _demo()
    assert Deal.objects.count() == len(first)
    _demo("--reset")
    assert list(Deal.objects.order_by("id").values_list("title", "opportunity", "currency", "stage__code")) == first
    assert Pipeline.objects.count() == 2


def test_bulk_options_delegate_to_the_bulk_fillers(monkeypatch):
    calls = []
    fake = types.ModuleType("kontor.devdata.bulk")
    fake.demo_leads_bulk_create = lambda **kwargs: calls.append(kwargs)
    monkeypatch.setitem(sys.modules, "kontor.devdata.bulk", fake)
    output = _demo("--leads", "1000", "--activities-per-lead", "3")
    assert calls == [{"leads": 1000, "activities_per_lead": 3}]
    assert "1000 leads" in output


def test_bulk_options_without_the_bulk_service_fail_clearly(monkeypatch):
    monkeypatch.setitem(sys.modules, "kontor.devdata.bulk", None)  # import raises ImportError
    with pytest.raises(CommandError, match="not available"):
        _demo("--leads", "10")


def test_negative_bulk_numbers_are_refused():
    with pytest.raises(CommandError):
        _demo("--leads", "-1")
