"""The web UI through Django's test client: permissions, lists, forms, validation."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kontor.crm.enums import CrmMode
from kontor.crm.models import Activity, Company, Contact, CrmSettings, Deal, Lead, Stage
from kontor.web.models import WebForm
from kontor.web.views.webforms import form_token

pytestmark = pytest.mark.django_db

PAGES = ["/deals/", "/deals/?view=list", "/leads/", "/leads/?view=list", "/contacts/", "/companies/", "/activities/",
         "/activities/?state=done", "/deals/new/", "/contacts/new/", "/companies/new/", "/leads/new/"]


@pytest.mark.parametrize("url", [*PAGES, "/settings/crm-mode/", "/settings/simple-mode/", "/settings/forms/"])
def test_anonymous_is_sent_to_login(seeded, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_login_page_and_login(admin_user, seeded):
    client = Client()
    assert "id_username" in client.get("/login/").content.decode()
    wrong = client.post("/login/", {"username": "admin_test", "password": "nope"})
    assert wrong.status_code == 200
    assert "Benutzername oder das Passwort" in wrong.content.decode()
    ok = client.post("/login/", {"username": "admin_test", "password": "admin-pass-123"})
    assert ok.status_code == 302
    assert client.get("/deals/").status_code == 200


#: What each page shows of the sample records (and what it must not show).
PAGE_CONTENT = {
    "/deals/": (["Website-Relaunch"], []),
    "/deals/?view=list": (["Website-Relaunch", "Müller GmbH"], []),
    "/leads/": (["Frühere Anfrage"], []),
    "/leads/?view=list": (["Frühere Anfrage", "Lea"], []),
    "/contacts/": (["Anna", "Schmidt", "Müller GmbH"], ["Website-Relaunch"]),
    "/companies/": (["Müller GmbH"], ["Schmidt"]),
    "/activities/": (["Angebot besprechen"], ["Vertrag abgelegt", "Fremde Aufgabe"]),
    "/activities/?state=done": (["Vertrag abgelegt"], ["Angebot besprechen", "Fremde Aufgabe"]),
    "/deals/new/": (['name="title"', 'name="opportunity"'], ["Website-Relaunch"]),
    "/contacts/new/": (['name="last_name"', 'name="emails"'], []),
    "/companies/new/": (['name="title"'], []),
    "/leads/new/": (['name="title"', 'name="company_title"'], []),
}


@pytest.mark.parametrize("url", PAGES)
def test_pages_show_the_records_to_a_manager(manager_client, manager_user, admin_user, sample, url):
    from kontor.crm import services

    set_mode = CrmSettings.objects.filter(pk=1).update
    set_mode(mode=CrmMode.CLASSIC)
    services.lead_create(actor=admin_user, data={"title": "Frühere Anfrage", "name": "Lea", "last_name": "Lang"})
    set_mode(mode=CrmMode.SIMPLE)
    deal = {"entity": "deal", "id": sample["deal"].pk}
    # The activity list shows the user's own activities unless asked for all.
    Activity.objects.filter(pk=sample["activity"].pk).update(responsible=manager_user)
    done = services.activity_create(actor=admin_user, data={
        "type": "call", "subject": "Vertrag abgelegt", "bindings": [deal], "responsible_id": manager_user.pk})
    services.activity_complete(activity=done, actor=admin_user)
    services.activity_create(actor=admin_user, data={"type": "call", "subject": "Fremde Aufgabe", "bindings": [deal],
                                                     "responsible_id": admin_user.pk})
    response = manager_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    shown, hidden = PAGE_CONTENT[url]
    for text in shown:
        assert text in html, f"{url} does not show {text!r}"
    for text in hidden:
        assert text not in html, f"{url} shows {text!r}"


@pytest.mark.parametrize("url", ["/settings/crm-mode/", "/settings/simple-mode/", "/settings/forms/"])
def test_manager_cannot_open_settings(manager_client, url):
    assert manager_client.get(url).status_code == 403
    assert manager_client.post("/settings/crm-mode/switch/", {"mode": "classic"}).status_code == 403


def test_manager_sees_mode_but_no_switch(manager_client, classic):
    html = manager_client.get("/leads/").content.decode()
    assert "Klassisches CRM" in html
    assert "/settings/crm-mode/" not in html


def test_navigation_follows_the_mode(admin_client):
    assert 'href="/leads/"' not in admin_client.get("/deals/").content.decode()
    CrmSettings.objects.filter(pk=1).update(mode=CrmMode.CLASSIC)
    assert 'href="/leads/"' in admin_client.get("/deals/").content.decode()


def test_language_switch(admin_client):
    assert "Aufträge" in admin_client.get("/deals/").content.decode()
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/deals/"})
    html = admin_client.get("/deals/").content.decode()
    assert "Deals" in html and "Contacts" in html and "Aufträge" not in html


def test_detail_pages_link_records(admin_client, sample):
    deal, contact, company = sample["deal"], sample["contact"], sample["company"]
    html = admin_client.get(f"/deals/{deal.pk}/").content.decode()
    assert f"/contacts/{contact.pk}/" in html and f"/companies/{company.pk}/" in html
    assert "Angebot besprechen" in html
    assert f"/deals/{deal.pk}/" in admin_client.get(f"/contacts/{contact.pk}/").content.decode()
    html = admin_client.get(f"/companies/{company.pk}/").content.decode()
    assert f"/contacts/{contact.pk}/" in html and f"/deals/{deal.pk}/" in html


def test_list_search_and_paging(admin_client, admin_user, seeded):
    from kontor.crm import services

    for i in range(30):
        services.contact_create(actor=admin_user, data={"name": f"Person{i:02d}", "last_name": "Test"})
    services.contact_create(actor=admin_user, data={"name": "Zora", "last_name": "Unique",
                                                    "emails": ["zora@example.org"]})
    html = admin_client.get("/contacts/").content.decode()
    assert "Seite 1 von 2" in html
    html = admin_client.get("/contacts/?q=zora@example.org").content.decode()
    assert "Zora Unique" in html and "Person01" not in html
    assert "Person" in admin_client.get("/contacts/?page=2").content.decode()
    assert admin_client.get("/contacts/?page=abc").status_code == 200
    assert admin_client.get("/deals/?view=list&pipeline_id=abc").status_code == 200


def test_create_and_edit_with_errors_on_fields(admin_client):
    response = admin_client.post("/contacts/new/", {"name": "", "last_name": ""})
    assert response.status_code == 200
    assert "Vor- oder einen Nachnamen" in response.content.decode()
    response = admin_client.post("/contacts/new/", {"name": "Eva", "phones": "not a phone"})
    assert response.status_code == 200
    assert "gültige Telefonnummer" in response.content.decode()
    response = admin_client.post("/contacts/new/", {"name": "Eva", "last_name": "Berg", "phones": "030 123456",
                                                    "emails": "eva@berg.example"})
    contact = Contact.objects.get(last_name="Berg")
    assert response["Location"] == f"/contacts/{contact.pk}/"
    response = admin_client.post(f"/contacts/{contact.pk}/edit/", {"name": "Eva", "last_name": "Berg-Meier",
                                                                  "phones": "030 123456", "emails": ""})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.last_name == "Berg-Meier"


def test_deal_create_edit_and_bad_amount(admin_client, sample):
    stage = Stage.objects.filter(code="PREPARATION").first()
    response = admin_client.post("/deals/new/", {"title": "Neu", "stage_id": stage.pk, "opportunity": "-5",
                                                 "currency": "EUR"})
    assert response.status_code == 200 and not Deal.objects.filter(title="Neu").exists()
    response = admin_client.post("/deals/new/", {"title": "Neu", "stage_id": stage.pk, "opportunity": "100",
                                                 "currency": "EUR", "company_id": sample["company"].pk})
    deal = Deal.objects.get(title="Neu")
    assert deal.stage == stage and deal.company == sample["company"]
    response = admin_client.post(f"/deals/{deal.pk}/edit/", {"title": "Neu 2", "stage_id": stage.pk,
                                                            "opportunity": "200", "currency": "EURO"})
    assert response.status_code == 200
    response = admin_client.post(f"/deals/{deal.pk}/edit/", {"title": "Neu 2", "stage_id": stage.pk,
                                                            "opportunity": "200", "currency": "USD"})
    deal.refresh_from_db()
    assert (deal.title, deal.currency) == ("Neu 2", "USD")


def test_company_create(admin_client):
    response = admin_client.post("/companies/new/", {"title": "Acme AG", "industry": "IT"})
    company = Company.objects.get(title="Acme AG")
    assert response["Location"] == f"/companies/{company.pk}/"


def test_lead_create_in_classic_mode(admin_client, classic):
    response = admin_client.post("/leads/new/", {"title": "", "name": "Jan", "last_name": "Kurz",
                                                 "status_id": "NEW", "currency": "EUR"})
    lead = Lead.objects.get(last_name="Kurz")
    assert response["Location"] == f"/leads/{lead.pk}/"
    response = admin_client.post(f"/leads/{lead.pk}/edit/", {"title": "Anfrage Kurz", "name": "Jan",
                                                            "last_name": "Kurz", "status_id": "IN_PROCESS",
                                                            "currency": "EUR"})
    lead.refresh_from_db()
    assert (lead.title, lead.status_id) == ("Anfrage Kurz", "IN_PROCESS")
    html = admin_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Konvertieren" in html


def test_activity_add_and_complete(admin_client, sample):
    deal = sample["deal"]
    response = admin_client.post("/activities/new/", {"entity": "deal", "entity_id": deal.pk, "type": "meeting",
                                                      "subject": "Vor-Ort-Termin", "deadline": "2030-01-02T10:00",
                                                      "next": f"/deals/{deal.pk}/"})
    assert response["Location"] == f"/deals/{deal.pk}/#activities"
    activity = Activity.objects.get(subject="Vor-Ort-Termin")
    assert not activity.completed
    admin_client.post(f"/activities/{activity.pk}/complete/", {"next": f"/deals/{deal.pk}/"})
    activity.refresh_from_db()
    assert activity.completed
    response = admin_client.post("/activities/new/", {"entity": "deal", "entity_id": deal.pk, "type": "call",
                                                      "subject": ""}, follow=True)
    assert "Betreff" in response.content.decode()
    assert admin_client.post("/activities/new/", {"entity": "nothing", "entity_id": "x"}).status_code == 404


def test_kanban_move_via_htmx_and_fallback(admin_client, sample):
    deal = sample["deal"]
    target = Stage.objects.get(pipeline=deal.pipeline, code="EXECUTING")
    response = admin_client.post(f"/deals/{deal.pk}/move/", {"stage_id": target.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="stats-deal-{target.pk}"' in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == target
    assert admin_client.post(f"/deals/{deal.pk}/move/", {"stage_id": "x"}).status_code == 422
    won = Stage.objects.get(pipeline=deal.pipeline, code="WON")
    assert admin_client.post(f"/deals/{deal.pk}/move/", {"stage_id": won.pk})["Location"] == f"/deals/{deal.pk}/"
    deal.refresh_from_db()
    assert deal.closed


def test_lead_kanban_refuses_converted_status(admin_client, classic, admin_user):
    from kontor.crm import services

    lead = services.lead_create(actor=admin_user, data={"title": "Board"})
    response = admin_client.post(f"/leads/{lead.pk}/move/", {"status_id": "CONVERTED"},
                                 headers={"HX-Request": "true"})
    assert response.status_code == 422
    response = admin_client.post(f"/leads/{lead.pk}/move/", {"status_id": "PROCESSED"},
                                 headers={"HX-Request": "true"})
    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.status_id == "PROCESSED"


def test_lookup(admin_client, sample):
    html = admin_client.get("/lookup/contacts/?q=Schmidt&field=id_contact_id").content.decode()
    assert "Anna Schmidt" in html
    assert admin_client.get("/lookup/nothing/?q=x").status_code == 404


# --- public web form --------------------------------------------------------------------------


@pytest.fixture
def webform(seeded):
    return WebForm.objects.create(name="Kontakt", slug="kontakt")


def test_public_form_renders_without_login(webform):
    html = Client().get("/forms/kontakt/").content.decode()
    assert 'name="website"' in html and 'name="token"' in html
    assert Client().get("/forms/unknown/").status_code == 404


def test_public_form_refuses_post_without_token(webform):
    response = Client().post("/forms/kontakt/", {"name": "Bot", "email": "bot@example.org"})
    assert response.status_code == 403
    assert not Lead.objects.exists() and not Deal.objects.exists()


def test_public_form_honeypot_keeps_nothing(webform):
    response = Client().post("/forms/kontakt/", {"name": "Bot", "email": "bot@example.org", "website": "spam",
                                                 "token": form_token(webform)})
    assert response.status_code == 200
    assert not Lead.objects.exists() and not Deal.objects.exists() and not Contact.objects.exists()


def test_public_form_validation(webform):
    response = Client().post("/forms/kontakt/", {"name": "", "email": "not-an-email", "token": form_token(webform)})
    assert response.status_code == 422
    html = response.content.decode()
    assert "gültige E-Mail-Adresse" in html
    response = Client().post("/forms/kontakt/", {"name": "Ida", "token": form_token(webform)})
    assert response.status_code == 422
    assert "Telefonnummer oder eine E-Mail-Adresse" in response.content.decode()


def test_webform_settings(admin_client):
    response = admin_client.post("/settings/forms/", {"name": "Website", "slug": "website", "is_active": "on"})
    webform = WebForm.objects.get(slug="website")
    assert response["Location"] == f"/settings/forms/{webform.pk}/"
    html = admin_client.get(f"/settings/forms/{webform.pk}/").content.decode()
    assert "&lt;iframe" in html and "/forms/website/?embed=1" in html
    response = admin_client.post("/settings/forms/", {"name": "Again", "slug": "website"})
    assert response.status_code == 200 and WebForm.objects.count() == 1


def test_kanban_per_pipeline_with_counts_and_sums(admin_client, admin_user, sample):
    from kontor.crm import services

    other = services.pipeline_create(actor=admin_user, name="Projekte")
    services.deal_create(actor=admin_user, data={"title": "Großprojekt", "pipeline_id": other.pk,
                                                 "opportunity": "1000000"})
    html = admin_client.get("/deals/").content.decode()
    assert "Website-Relaunch" in html and "Großprojekt" not in html
    first = sample["deal"].stage_id
    assert f'id="stats-deal-{first}"><span class="count" data-count="1">1</span> · <span class="sum">12.500,00' in html
    html = admin_client.get(f"/deals/?pipeline={other.pk}").content.decode()
    assert "Großprojekt" in html and "Website-Relaunch" not in html and "1.000.000,00" in html
    # the choice is remembered for the next visit
    assert "Großprojekt" in admin_client.get("/deals/").content.decode()


def test_webhooks_page(manager_client, manager_user, admin_user):
    from kontor.bitrix.models import Webhook
    from kontor.bitrix.services import webhook_create

    html = manager_client.post("/settings/webhooks/", {"name": "Shop"}).content.decode()
    webhook = Webhook.objects.get(user=manager_user)
    match = re.search(r'value="(http://testserver/rest/\d+/[^"/]+/)"', html)
    assert match and f"/rest/{manager_user.pk}/" in match.group(1)
    assert match.group(1) not in manager_client.get("/settings/webhooks/").content.decode()  # shown once
    other, _ = webhook_create(user=admin_user, name="Admin")
    assert manager_client.post(f"/settings/webhooks/{other.pk}/revoke/").status_code == 404
    manager_client.post(f"/settings/webhooks/{webhook.pk}/revoke/")
    webhook.refresh_from_db()
    assert not webhook.is_active
