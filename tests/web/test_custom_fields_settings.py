"""The settings page "Benutzerdefinierte Felder": admins only; create, change and delete through the
custom field services."""

from __future__ import annotations

import pytest

from kontor.crm import services
from kontor.crm.enums import EntityType
from kontor.crm.models import CustomField, Deal
from kontor.crm.services.custom_fields import custom_field_create


@pytest.mark.parametrize("url", ["/settings/custom-fields/", "/settings/custom-fields/new/"])
def test_manager_gets_403_and_anonymous_the_login(manager_client, client, seeded, url):
    assert manager_client.get(url).status_code == 403
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_manager_cannot_post_or_delete(manager_client, admin_user, seeded):
    field = custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="x", type="string")
    assert manager_client.post("/settings/custom-fields/new/", {"entity": "deal", "code": "y", "type": "string",
                                                                "sort": 100}).status_code == 403
    assert manager_client.post(f"/settings/custom-fields/{field.pk}/delete/").status_code == 403
    assert CustomField.objects.count() == 1


def test_settings_menu_links_the_page(admin_client, manager_client):
    assert "/settings/custom-fields/" in admin_client.get("/deals/").content.decode()
    assert "/settings/custom-fields/" not in manager_client.get("/deals/").content.decode()


def test_admin_creates_an_enumeration_field_and_edits_its_items(admin_client):
    page = admin_client.get("/settings/custom-fields/").content.decode()
    assert "Benutzerdefinierte Felder" in page
    response = admin_client.post("/settings/custom-fields/new/", {
        "entity": "deal", "code": "size", "type": "enumeration", "label_de": "Größe", "label_en": "Size",
        "items": "Klein\nMittel, breit\nGroß", "show_in_list": "on", "show_filter": "on", "sort": "50"})
    assert response.status_code == 302
    field = CustomField.objects.get(code="UF_CRM_SIZE")
    assert field.entity_type == EntityType.DEAL and field.label_de == "Größe" and not field.multiple
    assert [i.value for i in field.items.order_by("sort")] == ["Klein", "Mittel, breit", "Groß"]
    page = admin_client.get("/settings/custom-fields/").content.decode()
    assert "UF_CRM_SIZE" in page and "Größe" in page
    # rename one item (records keep their choice), remove one, add one
    small, middle, big = field.items.order_by("sort")
    response = admin_client.post(f"/settings/custom-fields/{field.pk}/", {
        "label_de": "Größe", "label_en": "Size", f"item_{small.pk}": "Sehr klein", f"item_{middle.pk}": "",
        f"item_{big.pk}": "Groß", "new_items": "Riesig", "sort": "50", "show_in_list": "on"})
    assert response.status_code == 302
    assert [i.value for i in field.items.order_by("sort")] == ["Sehr klein", "Groß", "Riesig"]
    assert field.items.get(value="Sehr klein").pk == small.pk
    field.refresh_from_db()
    assert not field.show_filter


def test_create_errors_are_shown_on_the_fields(admin_client):
    post = {"entity": "deal", "code": "size", "type": "string", "sort": "1"}
    assert admin_client.post("/settings/custom-fields/new/", post).status_code == 302
    response = admin_client.post("/settings/custom-fields/new/", post)
    page = response.content.decode()
    assert response.status_code == 200
    assert "UF_CRM_SIZE already exists" in page[page.index('for="id_code"'):][:900]
    assert CustomField.objects.count() == 1
    CustomField.objects.all().delete()
    response = admin_client.post("/settings/custom-fields/new/", {"entity": "deal", "code": "bad code!",
                                                                  "type": "string", "sort": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    code_block = page[page.index('for="id_code"'):][:900]
    assert "must be UF_CRM_ followed by" in code_block
    assert not CustomField.objects.exists()


def test_admin_creates_a_crm_link_field(admin_client):
    admin_client.post("/settings/custom-fields/new/", {"entity": "lead", "code": "partner", "type": "crm",
                                                       "link_entity": "company", "sort": "10"})
    field = CustomField.objects.get(code="UF_CRM_PARTNER")
    assert field.settings == {"entity": "company"}


@pytest.fixture
def old_field(admin_user, seeded):
    # before any deal: see tests/web/test_record_forms.py's deal_fields
    return custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="old", type="string",
                               label_de="Alt")


def test_delete_asks_first_and_removes_values(admin_client, admin_user, old_field, sample):
    field = old_field
    services.deal_update(deal=sample["deal"], actor=admin_user, data={"uf_crm_old": "weg"})
    page = admin_client.get(f"/settings/custom-fields/{field.pk}/delete/").content.decode()
    assert "UF_CRM_OLD" in page and "1 Datensatz" in page
    assert CustomField.objects.filter(pk=field.pk).exists()
    response = admin_client.post(f"/settings/custom-fields/{field.pk}/delete/")
    assert response.status_code == 302
    assert not CustomField.objects.filter(pk=field.pk).exists()
    assert Deal.objects.get(pk=sample["deal"].pk).uf is None
