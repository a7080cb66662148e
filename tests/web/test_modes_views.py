"""The CRM-mode wizard, simple-mode settings, lead conversion and the web form's intake, through
Django's test client (the switch job itself is the modes app's; here only what the pages do)."""

from __future__ import annotations

import pytest
from django.test import Client

from kontor.crm import services
from kontor.crm.enums import CrmMode
from kontor.crm.models import CrmSettings, Deal, Lead, Pipeline
from kontor.web.models import WebForm
from kontor.web.views.webforms import form_token

pytestmark = pytest.mark.django_db


def _mode() -> str:
    return CrmSettings.load().mode


def _leads(user, n):
    return [services.lead_create(actor=user, data={"title": f"Anfrage {i}", "name": f"K{i}"}) for i in range(n)]


def test_wizard_explains_both_modes_and_switches_to_classic_in_one_click(admin_client):
    html = admin_client.get("/settings/crm-mode/").content.decode()
    assert "Klassisches CRM" in html and "Basis-CRM" in html and "Mit Leads" in html and "Ohne Leads" in html
    response = admin_client.post("/settings/crm-mode/switch/", {"mode": "classic"})
    assert response["Location"] == "/leads/"
    assert _mode() == CrmMode.CLASSIC


def test_wizard_asks_the_seeds_questions_when_leads_are_in_progress(admin_client, admin_user, classic):
    _leads(admin_user, 3)
    html = admin_client.get("/settings/crm-mode/").content.decode()
    assert "<strong>3</strong> Leads in Arbeit" in html
    assert 'id="id_keep_open_activities" checked' in html and "empfohlen" in html
    assert 'value="new"' in html and "Fortfahren" in html


def test_wizard_without_leads_switches_at_once(admin_client, classic):
    html = admin_client.get("/settings/crm-mode/").content.decode()
    assert "Fortfahren" not in html
    response = admin_client.post("/settings/crm-mode/switch/", {"mode": "simple"})
    assert response["Location"] == "/deals/"
    assert _mode() == CrmMode.SIMPLE


def test_wizard_new_pipeline_needs_a_name(admin_client, admin_user, classic):
    _leads(admin_user, 1)
    response = admin_client.post("/settings/crm-mode/switch/", {
        "mode": "simple", "pipeline": "new", "new_pipeline_name": " ", "create_contacts": "on",
        "keep_open_activities": "on"})
    assert response.status_code == 422
    assert "Namen für die neue Pipeline" in response.content.decode()
    assert _mode() == CrmMode.CLASSIC


def test_wizard_starts_the_switch_and_shows_progress(admin_client, admin_user, classic):
    _leads(admin_user, 2)
    response = admin_client.post("/settings/crm-mode/switch/", {
        "mode": "simple", "pipeline": "new", "new_pipeline_name": "Aus Leads", "create_contacts": "on",
        "keep_open_activities": "on", "confirmed": "1"})
    assert response.status_code == 302 and "/settings/crm-mode/switches/" in response["Location"]
    assert _mode() == CrmMode.SIMPLE
    assert CrmSettings.load().simple_pipeline == Pipeline.objects.get(name="Aus Leads")
    html = admin_client.get(response["Location"]).content.decode()
    assert 'id="switch-progress"' in html and "0 von 2 Leads verarbeitet" in html and "hx-trigger" in html
    partial = admin_client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith("<article") and "<html" not in partial
    # while it runs, the wizard page leads to the progress, and a second switch is refused
    assert admin_client.get("/settings/crm-mode/")["Location"] == response["Location"]
    follow = admin_client.post("/settings/crm-mode/switch/", {"mode": "classic"}, follow=True)
    assert "läuft bereits" in follow.content.decode()


def test_manager_cannot_switch(manager_client):
    assert manager_client.get("/settings/crm-mode/").status_code == 403
    assert manager_client.post("/settings/crm-mode/switch/", {"mode": "classic"}).status_code == 403
    assert _mode() == CrmMode.SIMPLE


def test_bad_mode_is_a_message_not_an_error(admin_client):
    response = admin_client.post("/settings/crm-mode/switch/", {"mode": "sideways"}, follow=True)
    assert response.status_code == 200
    assert "Wählen Sie einen CRM-Modus" in response.content.decode()


def test_simple_settings(admin_client):
    pipeline = services.pipeline_create(name="Online")
    response = admin_client.post("/settings/simple-mode/", {"pipeline_id": pipeline.pk, "create_company": "on"})
    assert response["Location"] == "/settings/simple-mode/"
    settings = CrmSettings.load()
    assert (settings.simple_pipeline_id, settings.create_company, settings.match_existing_customers) == (
        pipeline.pk, True, False)
    assert admin_client.post("/settings/simple-mode/", {"pipeline_id": "999999"}).status_code == 200


def test_lead_convert_page(admin_client, admin_user, classic):
    lead = services.lead_create(actor=admin_user, data={"title": "Kaffee", "name": "Ute", "company_title": "Ute AG"})
    html = admin_client.get(f"/leads/{lead.pk}/convert/").content.decode()
    assert "Aktivitäten nach Konvertierung nicht schließen" in html
    stage = Pipeline.objects.get(is_default=True).stages.get(code="PREPARATION")
    response = admin_client.post(f"/leads/{lead.pk}/convert/", {"create_deal": "on", "stage_id": stage.pk,
                                                               "contact": "create", "company": "create",
                                                               "keep_open_activities": "on"})
    lead.refresh_from_db()
    assert lead.deal_id and lead.company_id and lead.contact_id
    assert response["Location"] == f"/deals/{lead.deal_id}/"
    assert Deal.objects.get(pk=lead.deal_id).stage == stage
    again = admin_client.post(f"/leads/{lead.pk}/convert/", {"create_deal": "on", "contact": "create",
                                                            "company": "none"})
    assert again.status_code == 200 and "bereits konvertiert" in again.content.decode()
    assert "Konvertieren" not in admin_client.get(f"/leads/{lead.pk}/").content.decode().split("</h1>")[1][:300]


def _submit(webform, **fields):
    data = {"name": "Lisa Lang", "phone": "0171 1234567", "email": "lisa@example.org", "company": "Lang GmbH",
            "message": "Bitte rufen Sie an", "token": form_token(webform), **fields}
    return Client().post(f"/forms/{webform.slug}/", data)


def test_web_form_makes_a_deal_in_simple_mode(seeded):
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt")
    response = _submit(webform)
    assert response.status_code == 200 and "Vielen Dank" in response.content.decode()
    deal = Deal.objects.get()
    assert deal.contact.last_name == "Lang" and deal.comments == "Bitte rufen Sie an"
    assert not Lead.objects.filter(deal__isnull=True).exists()
    webform.refresh_from_db()
    assert webform.submissions == 1


def test_web_form_makes_a_lead_in_classic_mode(classic):
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt")
    _submit(webform)
    lead = Lead.objects.get()
    assert (lead.name, lead.last_name, lead.company_title, lead.deal_id) == ("Lisa", "Lang", "Lang GmbH", None)
    assert not Deal.objects.exists()


def test_web_form_keeps_an_unreadable_phone_as_typed(seeded):
    """As Bitrix24 does: a submission is never lost for a phone like "nach 17 Uhr" — the text is
    stored (not normalised, never matched) and the deal made."""
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt")
    response = _submit(webform, phone="nach 17 Uhr", email="")
    assert response.status_code == 200 and "Vielen Dank" in response.content.decode()
    deal = Deal.objects.get()
    from kontor.crm.models import Communication

    phone = Communication.objects.get(entity_id=deal.contact_id, type="PHONE")
    assert (phone.value, phone.normalized) == ("nach 17 Uhr", "")


def test_inactive_web_form_is_gone(seeded):
    webform = WebForm.objects.create(name="Alt", slug="alt", is_active=False)
    assert Client().get("/forms/alt/").status_code == 404
    assert _submit(webform).status_code == 404
