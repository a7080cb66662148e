"""``kontor demo``: sample data that looks like a living CRM, and its refusal to mix with real data."""

from __future__ import annotations

import sys
import types
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kontor.core.normalize import normalize_email, normalize_phone
from kontor.crm.enums import CrmMode, EntityType, Semantic
from kontor.crm.models import Activity, Communication, Company, Contact, CrmSettings, Deal, Lead, Pipeline, Stage

pytestmark = pytest.mark.django_db


def _demo(*args) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_demo_fills_an_empty_crm():
    output = _demo()
    assert "Created" in output
    assert Company.objects.count() >= 10
    assert Contact.objects.count() >= 20
    assert Pipeline.objects.count() == 2
    # every stage of both pipelines has deals
    assert not Stage.objects.exclude(deals__isnull=False).exists()
    assert Deal.objects.filter(closed=True).exists()
    assert set(Lead.objects.values_list("status_id", flat=True)) == {"NEW", "IN_PROCESS", "PROCESSED", "JUNK",
                                                                     "CONVERTED"}
    converted = Lead.objects.filter(status_id="CONVERTED")
    assert all(lead.deal_id and lead.contact_id for lead in converted)
    assert CrmSettings.load().mode == CrmMode.CLASSIC


def test_demo_names_are_german_and_english():
    _demo()
    last_names = set(Contact.objects.values_list("last_name", flat=True))
    assert {"Müller", "Weiß"} <= last_names
    assert {"Bennett", "Carter"} <= last_names
    titles = set(Company.objects.values_list("title", flat=True))
    assert "Müller Bau GmbH" in titles
    assert "Northwind Traders Ltd" in titles


def test_demo_phones_and_emails_are_valid_and_normalised():
    _demo()
    phones = Communication.objects.filter(type="PHONE")
    emails = Communication.objects.filter(type="EMAIL")
    assert phones.count() > 30
    assert all(normalize_phone(p.value) == p.normalized for p in phones)
    assert {p.normalized[:3] for p in phones} >= {"+49", "+44"}
    assert all(normalize_email(e.value) == e.normalized for e in emails)


def test_demo_activities_have_past_and_future_deadlines_some_completed():
    from django.utils import timezone

    _demo()
    now = timezone.now()
    assert Activity.objects.filter(deadline__lt=now, completed=True).exists()
    assert Activity.objects.filter(deadline__lt=now, completed=False).exists()  # overdue
    assert Activity.objects.filter(deadline__gt=now, completed=False).exists()
    assert set(Activity.objects.values_list("type", flat=True)) == {"call", "meeting", "email", "task", "todo"}
    assert Activity.objects.filter(bindings__entity_type=EntityType.LEAD).exists()
    open_deals = Deal.objects.filter(stage__semantic=Semantic.PROCESS)
    assert open_deals.filter(pk__in=Activity.objects.filter(owner_type=EntityType.DEAL).values("owner_id")).exists()


def test_demo_refuses_when_records_exist_and_reset_replaces_them():
    _demo()
    deals = Deal.objects.count()
    with pytest.raises(CommandError, match="--reset"):
        _demo()
    assert Deal.objects.count() == deals
    _demo("--reset")
    assert Deal.objects.count() == deals
    assert Pipeline.objects.count() == 2


def test_same_seed_same_data():
    _demo()
    first = list(Deal.objects.order_by("id").values_list("title", "opportunity", "currency"))
    _demo("--reset")
    assert list(Deal.objects.order_by("id").values_list("title", "opportunity", "currency")) == first


def test_demo_data_is_served_by_the_api(admin_api):
    _demo()
    page = admin_api.get("/api/v1/deals", limit=500).json()
    assert page["total"] == Deal.objects.count()
    assert admin_api.get("/api/v1/leads", status_id="JUNK").json()["total"] >= 1


def test_bulk_options_delegate_to_the_modes_bulk_service(monkeypatch):
    calls = []
    fake = types.ModuleType("kontor.modes.bulk")
    fake.demo_leads_bulk_create = lambda **kwargs: calls.append(kwargs)
    monkeypatch.setitem(sys.modules, "kontor.modes.bulk", fake)
    output = _demo("--leads", "1000", "--activities-per-lead", "3")
    assert calls == [{"leads": 1000, "activities_per_lead": 3}]
    assert "1000 leads" in output


def test_bulk_options_without_the_bulk_service_fail_clearly(monkeypatch):
    monkeypatch.setitem(sys.modules, "kontor.modes.bulk", None)  # import raises ImportError
    with pytest.raises(CommandError, match="not available"):
        _demo("--leads", "10")


def test_negative_bulk_numbers_are_refused():
    with pytest.raises(CommandError):
        _demo("--leads", "-1")
