"""The CRM-mode switch's confirmation step: a preview counted before anything changes, by the
switch's matching rules, and a result page with the same breakdown as measured by the job."""

from __future__ import annotations

import pytest

from kontor.crm import services
from kontor.crm.enums import CrmMode
from kontor.crm.models import CrmSettings, Deal, Pipeline
from kontor.modes.jobs import switch_run
from kontor.modes.models import ModeSwitch
from kontor.modes.selectors import switch_preview

FORM = {"mode": "simple", "pipeline": "new", "new_pipeline_name": "Anfragen", "create_contacts": "on",
        "create_companies": "on", "keep_open_activities": "on"}


@pytest.fixture
def leads(admin_user, classic):
    """Five leads in progress: one with a known contact's phone typed another way, one with a known
    company's name, two of one new company, one bare; three open activities and one done."""
    services.contact_create(actor=admin_user, data={"name": "Alt", "phones": ["+49 171 2345678"]})
    services.company_create(actor=admin_user, data={"title": "Müller GmbH"})
    made = [
        services.lead_create(actor=admin_user, data={"title": "A", "name": "Anna", "phones": ["0171 2345678"]}),
        services.lead_create(actor=admin_user, data={"title": "B", "name": "Bea", "company_title": "MÜLLER GMBH"}),
        services.lead_create(actor=admin_user, data={"title": "C", "name": "Cem", "company_title": "Neu AG"}),
        services.lead_create(actor=admin_user, data={"title": "D", "name": "Dora", "company_title": "neu ag"}),
        services.lead_create(actor=admin_user, data={"title": "E", "name": "Eva", "emails": ["eva@example.com"]}),
    ]
    for i, lead in enumerate(made[:4]):
        services.activity_create(actor=admin_user, data={"type": "call", "subject": f"Rückruf {i}",
                                                          "bindings": [{"entity": "lead", "id": lead.pk}],
                                                          "completed": i == 3})
    return made


def test_preview_counts_by_the_switch_rules_and_changes_nothing(leads):
    preview = switch_preview()
    assert preview["leads"] == 5
    assert (preview["contacts_matched"], preview["contacts_new"]) == (1, 4)
    assert (preview["companies_matched"], preview["companies_new"]) == (1, 1)
    assert preview["activities_open"] == 3
    assert switch_preview(create_companies=False)["companies_new"] == 0


def test_wizard_shows_the_preview_before_anything_changes(admin_client, leads):
    page = admin_client.post("/settings/crm-mode/preview/", FORM).content.decode()
    assert "5 Leads werden zu Aufträgen in „Anfragen“" in page.replace("<strong>", "").replace("</strong>", "")
    assert "etwa <strong>4</strong> neue, <strong>1</strong> über Telefon oder E-Mail" in page
    assert "<strong>3</strong> offene Aktivitäten bleiben offen" in page
    assert 'name="confirmed" value="1"' in page and "Jetzt umschalten" in page
    # Posting the switch without the confirmation shows the preview too.
    again = admin_client.post("/settings/crm-mode/switch/", FORM).content.decode()
    assert "Jetzt umschalten" in again
    assert CrmSettings.load().mode == CrmMode.CLASSIC and not ModeSwitch.objects.exists()
    assert not Pipeline.objects.filter(name="Anfragen").exists()


def test_preview_refuses_a_bad_form(admin_client, leads):
    response = admin_client.post("/settings/crm-mode/preview/", {**FORM, "new_pipeline_name": " "})
    assert response.status_code == 422 and "Namen für die neue Pipeline" in response.content.decode()


def test_manager_gets_no_preview(manager_client, leads):
    assert manager_client.post("/settings/crm-mode/preview/", FORM).status_code == 403


def test_result_page_shows_the_measured_breakdown(admin_client, leads):
    response = admin_client.post("/settings/crm-mode/switch/", {**FORM, "confirmed": "1"})
    switch = ModeSwitch.objects.get()
    assert response["Location"] == f"/settings/crm-mode/switches/{switch.pk}/"
    running = admin_client.get(response["Location"]).content.decode()
    assert "CRM-Modus wird umgeschaltet" in running or "Umschalten des CRM-Modus" in running
    switch = switch_run(switch.pk, batch_size=2)  # several batches: the counters add up
    assert (switch.contacts_created, switch.contacts_matched) == (4, 1)
    assert (switch.companies_created, switch.companies_matched) == (1, 2)
    assert switch.activities_open == 3
    page = admin_client.get(response["Location"]).content.decode()
    assert "CRM-Modus umgeschaltet" in page
    assert "5 Leads wurden zu Aufträgen in „Anfragen“" in page
    assert "Kontakte: 4 angelegt, 1 Leads vorhandenen zugeordnet" in page
    assert "Unternehmen: 1 angelegt, 2 Leads vorhandenen zugeordnet" in page
    assert "3 offene Aktivitäten sind jetzt bei den Aufträgen und bleiben offen" in page
    assert Deal.objects.filter(pipeline__name="Anfragen").count() == 5


def test_breakdown_adds_up_over_a_resumed_job(admin_client, leads):
    """The job stopped after one batch and resumed (as after a crash) counts every lead once."""
    admin_client.post("/settings/crm-mode/switch/", {**FORM, "confirmed": "1"})
    switch = ModeSwitch.objects.get()
    half = switch_run(switch.pk, batch_size=2, max_batches=1)
    assert half.status == "running" and half.converted == 2
    assert (half.contacts_created, half.contacts_matched) == (1, 1)
    done = switch_run(switch.pk, batch_size=2)
    assert done.status == "done" and done.converted == 5
    assert (done.contacts_created, done.contacts_matched, done.companies_created, done.companies_matched,
            done.activities_open) == (4, 1, 1, 2, 3)


def test_api_preview_and_breakdown(admin_api, manager_api, leads):
    preview = admin_api.get("/api/v1/crm-mode/switch-preview")
    assert preview.status_code == 200
    assert {k: preview.json()[k] for k in ("leads", "contacts_new", "contacts_matched", "activities_open")} == {
        "leads": 5, "contacts_new": 4, "contacts_matched": 1, "activities_open": 3}
    assert admin_api.get("/api/v1/crm-mode/switch-preview?create_companies=false").json()["companies_new"] == 0
    bad = admin_api.get("/api/v1/crm-mode/switch-preview?colour=red")
    assert bad.status_code == 422 and bad.json()["field"] == "colour"
    assert admin_api.get("/api/v1/crm-mode/switch-preview?keep_open_activities=maybe").status_code == 422
    assert manager_api.get("/api/v1/crm-mode/switch-preview").status_code == 403
    switch = admin_api.post("/api/v1/crm-mode/switch", {"mode": "simple"}).json()
    switch_run(switch["id"])
    done = admin_api.get(f"/api/v1/crm-mode/switches/{switch['id']}").json()
    assert done["breakdown"] == {"contacts_created": 4, "contacts_matched": 1, "companies_created": 1,
                                 "companies_matched": 2, "activities_open": 3}
