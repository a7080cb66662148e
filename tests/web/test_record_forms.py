"""Record forms, detail pages and lists derived from the record specs, custom fields included."""

from __future__ import annotations

import pytest

from kontor.crm import services
from kontor.crm.enums import EntityType
from kontor.crm.models import Contact, Deal, Lead, Stage
from kontor.crm.services.custom_fields import custom_field_create


@pytest.fixture
def deal_fields(admin_user, seeded):
    """Custom fields on deals: an order number (text), a list, a money amount and several dates. Made
    before any deal: on PostgreSQL, CREATE INDEX cannot run in the test's transaction once it holds
    deferred foreign-key checks."""
    order = custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="shop_order", type="string",
                                label_de="Shop-Bestellung", label_en="Shop order")
    size = custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="size", type="enumeration",
                               label_de="Größe", label_en="Size", items=["Klein", "Groß"])
    budget = custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="budget", type="money",
                                 label_de="Budget", label_en="Budget")
    visits = custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="visits", type="date",
                                 label_de="Besuche", label_en="Visits", multiple=True)
    return {"order": order, "size": size, "budget": budget, "visits": visits,
            "big": size.items.get(value="Groß")}


def _deal_post(deal: Deal, **extra) -> dict:
    data = {"title": deal.title, "stage_id": deal.stage_id, "opportunity": "12500,00", "currency": "EUR",
            "company_id": deal.company_id or "", "contact_ids": [deal.contact_id] if deal.contact_id else [],
            "assigned_id": deal.assigned_id or "", "comments": ""}
    data.update(extra)
    return data


def test_manager_edits_custom_fields_of_a_deal_and_sees_them(manager_client, deal_fields, sample):
    deal = sample["deal"]
    page = manager_client.get(f"/deals/{deal.pk}/edit/").content.decode()
    assert 'name="uf_crm_shop_order"' in page and "Shop-Bestellung" in page
    assert "Groß" in page and 'name="uf_crm_visits"' in page
    response = manager_client.post(f"/deals/{deal.pk}/edit/", _deal_post(
        deal, uf_crm_shop_order="A-1001", uf_crm_size=str(deal_fields["big"].pk),
        uf_crm_budget="12.500,50 EUR", uf_crm_visits=["2026-03-01", "2026-03-15", ""]))
    assert response.status_code == 302, response.content.decode()[:3000]
    deal.refresh_from_db()
    assert deal.uf == {"uf_crm_shop_order": "A-1001", "uf_crm_size": deal_fields["big"].pk,
                       "uf_crm_budget": "12500.50|EUR", "uf_crm_visits": ["2026-03-01", "2026-03-15"]}
    assert deal.opportunity == 12500
    detail = manager_client.get(f"/deals/{deal.pk}/").content.decode()
    assert "Shop-Bestellung" in detail and "A-1001" in detail
    assert "Groß" in detail  # the item's value, not its id
    assert "12.500,50 EUR" in detail  # thousands separator and currency
    assert "01.03.2026" in detail and "15.03.2026" in detail
    # the form shows the stored values again
    page = manager_client.get(f"/deals/{deal.pk}/edit/").content.decode()
    assert 'value="A-1001"' in page and 'value="2026-03-15"' in page and "12500,50 EUR" in page


def test_custom_field_error_is_shown_next_to_it(manager_client, deal_fields, sample):
    deal = sample["deal"]
    response = manager_client.post(f"/deals/{deal.pk}/edit/", _deal_post(deal, uf_crm_budget="viel"))
    assert response.status_code == 200
    page = response.content.decode()
    # the form's message (how to write an amount in German) sits in the custom field's block, and
    # nothing was written
    block = page[page.index('name="uf_crm_budget"'):]
    assert "Geben Sie einen Betrag ein, etwa 12.500,50" in block[:800]
    deal.refresh_from_db()
    assert deal.uf is None


def test_mandatory_custom_field_is_marked_and_required(manager_client, admin_user, seeded):
    custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="po", type="string",
                        label_de="Bestellnummer", mandatory=True)
    page = manager_client.get("/deals/new/").content.decode()
    label = page[page.index('for="id_uf_crm_po"'):][:120]
    assert "*" in label
    stage = Stage.objects.filter(code="PREPARATION").first()
    response = manager_client.post("/deals/new/", {"title": "Ohne PO", "stage_id": stage.pk, "currency": "EUR"})
    assert response.status_code == 200 and not Deal.objects.filter(title="Ohne PO").exists()


def test_lead_form_has_the_fields_it_lacked(admin_client, classic):
    page = admin_client.get("/leads/new/").content.decode()
    for name in ("second_name", "post", "source_description", "honorific", "birthdate", "address_city",
                 "websites", "messengers"):
        assert f'name="{name}"' in page, name
    response = admin_client.post("/leads/new/", {
        "title": "Anfrage Messe", "name": "Jonas", "second_name": "Peter", "last_name": "Weber", "post": "Einkauf",
        "source_description": "Stand 4B", "status_id": "NEW", "currency": "EUR", "honorific": "HNR_EN_2",
        "address_city": "Köln", "birthdate": "1980-05-17", "opportunity": "1.250,50",
        "websites": "weber.example"})
    assert response.status_code == 302, [ln for ln in response.content.decode().splitlines() if "alert" in ln]
    lead = Lead.objects.get(title="Anfrage Messe")
    assert (lead.second_name, lead.post, lead.source_description, lead.address_city) == (
        "Peter", "Einkauf", "Stand 4B", "Köln")
    assert str(lead.opportunity) == "1250.50" and str(lead.birthdate) == "1980-05-17"
    detail = admin_client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Stand 4B" in detail and "17.05.1980" in detail and "weber.example" in detail
    assert "Frau" in detail and "HNR_EN_2" not in detail  # a directory code is shown by its name


def test_contact_form_has_second_name_and_source(admin_client, seeded):
    page = admin_client.get("/contacts/new/").content.decode()
    assert 'name="second_name"' in page and 'name="source"' in page and 'name="type_id"' in page
    response = admin_client.post("/contacts/new/", {"name": "Lea", "second_name": "Marie", "last_name": "Fischer",
                                                    "source": "WEB", "type_id": "CLIENT"})
    assert response.status_code == 302, [ln for ln in response.content.decode().splitlines() if "alert" in ln]
    contact = Contact.objects.get(last_name="Fischer")
    assert (contact.second_name, contact.source_id, contact.type_id) == ("Marie", "WEB", "CLIENT")
    detail = admin_client.get(f"/contacts/{contact.pk}/").content.decode()
    # directory codes are shown by their names
    assert "Marie" in detail and "WEB" not in detail.split('data-field="source"')[1][:60]


def test_custom_column_and_filter_in_the_deal_list(manager_client, admin_user, deal_fields, sample):
    deal = sample["deal"]
    services.deal_update(deal=deal, actor=admin_user, data={"uf_crm_shop_order": "A-1001",
                                                            "uf_crm_size": deal_fields["big"].pk})
    other = services.deal_create(actor=admin_user, data={"title": "Ohne Bestellung"})
    page = manager_client.get("/deals/?view=list").content.decode()
    assert 'data-column="uf_crm_shop_order"' not in page and 'value="uf_crm_shop_order"' in page
    page = manager_client.get("/deals/?view=list&columns=uf_crm_shop_order").content.decode()
    assert 'data-column="uf_crm_shop_order"' in page and "A-1001" in page
    # the choice is kept for the next visit
    assert 'data-column="uf_crm_shop_order"' in manager_client.get("/deals/?view=list").content.decode()
    page = manager_client.get(f"/deals/?view=list&uf_crm_size={deal_fields['big'].pk}").content.decode()
    assert deal.title in page and other.title not in page
    page = manager_client.get("/deals/?view=list&uf_crm_shop_order=1001").content.decode()
    assert deal.title in page and other.title not in page
    # an unknown custom filter is an error naming it, not silently ignored
    page = manager_client.get("/deals/?view=list&uf_crm_nope=1").content.decode()
    assert "uf_crm_nope" in page
