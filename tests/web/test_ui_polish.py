"""Leftovers of issues 12 and 17 in the web UI: counts with thousands separators on every page that
shows one, the mode-switch preview's new contacts counted per person, product forms with the ISO
4217 select and amounts in the user's language, activity times and communications, and "New …"
buttons only for users who may add."""

from __future__ import annotations

import pytest

from kontor.crm import services
from kontor.crm.enums import Semantic
from kontor.crm.models import Lead, LeadStatus
from kontor.modes.selectors import switch_preview

pytestmark = pytest.mark.django_db

MODE_FORM = {"mode": "simple", "pipeline": "new", "new_pipeline_name": "Anfragen", "create_contacts": "on",
             "create_companies": "on", "keep_open_activities": "on"}


# --- counts --------------------------------------------------------------------------------------


@pytest.fixture
def many_leads(classic):
    """1,234 leads in progress, written in one statement (counts, not leads, are under test)."""
    status = LeadStatus.objects.filter(semantic=Semantic.PROCESS).order_by("sort").first()
    Lead.objects.bulk_create([Lead(title=f"Anfrage {i}", status=status) for i in range(1234)])
    return status


def test_counts_have_thousands_separators_in_german(admin_client, many_leads):
    preview = admin_client.post("/settings/crm-mode/preview/", MODE_FORM).content.decode()
    assert "<strong>1.234</strong> Leads werden zu Aufträgen" in preview
    assert "etwa <strong>1.234</strong> neue" in preview
    wizard = admin_client.get("/settings/crm-mode/").content.decode()
    assert "<strong>1.234</strong> Leads in Arbeit" in wizard
    statuses = admin_client.get("/settings/lead-statuses/").content.decode()
    assert "1.234 Leads" in statuses
    assert "1234" not in preview + wizard + statuses


def test_counts_have_thousands_separators_in_english(admin_client, many_leads):
    admin_client.cookies["django_language"] = "en"
    statuses = admin_client.get("/settings/lead-statuses/").content.decode()
    assert "1,234 leads" in statuses


# --- mode-switch preview: new contacts per person ------------------------------------------------


def test_two_leads_of_one_new_person_make_one_new_contact(admin_user, classic):
    services.lead_create(actor=admin_user, data={"title": "A", "name": "Nina", "emails": ["nina@example.com"]})
    services.lead_create(actor=admin_user, data={"title": "B", "name": "Nina", "emails": ["NINA@example.com"]})
    services.lead_create(actor=admin_user, data={"title": "C", "name": "Olaf", "emails": ["olaf@example.com"]})
    services.lead_create(actor=admin_user, data={"title": "D", "name": "Paul"})
    preview = switch_preview()
    assert preview["leads"] == 4
    assert (preview["contacts_matched"], preview["contacts_new"]) == (0, 3)


def test_leads_matching_an_existing_contact_are_not_new(admin_user, classic):
    services.contact_create(actor=admin_user, data={"name": "Alt", "emails": ["alt@example.com"]})
    services.lead_create(actor=admin_user, data={"title": "A", "name": "Alt", "emails": ["alt@example.com"]})
    services.lead_create(actor=admin_user, data={"title": "B", "name": "Alt", "emails": ["alt@example.com"]})
    preview = switch_preview()
    assert (preview["contacts_matched"], preview["contacts_new"]) == (2, 0)
