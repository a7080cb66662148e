"""Product rows in the web UI: the deal's page shows them (quantity, price, discount, tax, sum, total),
their own page adds, changes and removes rows, and the catalogue lists and adds products — in German
and English, with amounts typed the language's way."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kontor.products.models import Product
from kontor.products.services import product_create, product_rows_set

pytestmark = pytest.mark.django_db


def _rows_form(deal_pk: int, rows: list[dict[str, str]]) -> dict[str, str]:
    data = {"rows": str(len(rows))}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"row-{i}-{key}"] = value
    return data


def test_deal_page_shows_its_product_rows(admin_client, sample):
    deal = sample["deal"]
    wartung = product_create(data={"name": "Wartung", "price": "120", "tax_rate": "19"})
    product_rows_set(owner=deal, rows=[
        {"product_id": wartung.pk, "quantity": 3, "discount_rate": "10"},
        {"product_name": "Anfahrt", "price": "45.50"}])
    page = admin_client.get(f"/deals/{deal.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'data-testid="product-rows"' in page
    assert "Wartung" in page and "Anfahrt" in page
    assert "120,00" in page and "10,00 %" in page and "19,00 %" in page
    assert "360,00" in page  # 3 × 120
    assert "405,50 EUR" in page  # the deal's amount follows the rows
    assert "Produkte bearbeiten" in page
    english = admin_client.get(f"/deals/{deal.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Edit products" in english and "405.50 EUR" in english


def test_a_deal_without_rows_offers_to_add_products(admin_client, sample):
    page = admin_client.get(f"/deals/{sample['deal'].pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Keine Produkte in diesem Auftrag." in page and "Produkte hinzufügen" in page


def test_rows_are_added_changed_and_removed(admin_client, sample):
    deal = sample["deal"]
    wartung = product_create(data={"name": "Wartung", "price": "120"})
    # Add: one catalogue product (its price when none is typed), one typed by name with a German amount.
    r = admin_client.post(f"/deals/{deal.pk}/products/", _rows_form(deal.pk, [
        {"product_id": str(wartung.pk), "name": "", "price": "", "quantity": "2", "discount": "", "tax": ""},
        {"product_id": "", "name": "Schulung", "price": "1.250,50", "quantity": "1", "discount": "5", "tax": "19"},
        {"product_id": "", "name": "", "price": "", "quantity": "", "discount": "", "tax": ""},
    ]), HTTP_ACCEPT_LANGUAGE="de")
    assert r.status_code == 302 and r["Location"] == f"/deals/{deal.pk}/"
    deal.refresh_from_db()
    rows = list(deal.product_rows.order_by("sort"))
    assert [(r.product_name, r.price, r.quantity) for r in rows] == [
        ("Wartung", Decimal("120.00"), Decimal("2")), ("Schulung", Decimal("1250.50"), Decimal("1"))]
    assert rows[1].discount_rate == Decimal("5.00") and rows[1].tax_rate == Decimal("19.00")
    assert deal.opportunity == Decimal("1490.50")

    # The edit page shows them as typed in German; change the first, remove the second.
    page = admin_client.get(f"/deals/{deal.pk}/products/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'value="1250,50"' in page and 'name="rows" value="5"' in page  # 2 rows + 3 empty lines
    r = admin_client.post(f"/deals/{deal.pk}/products/", _rows_form(deal.pk, [
        {"product_id": str(wartung.pk), "name": "Wartung", "price": "100", "quantity": "3", "discount": "",
         "tax": ""},
        {"product_id": "", "name": "Schulung", "price": "1250,50", "quantity": "1", "discount": "5", "tax": "19",
         "delete": "1"},
    ]), HTTP_ACCEPT_LANGUAGE="de")
    assert r.status_code == 302
    deal.refresh_from_db()
    assert [(r.product_name, r.quantity) for r in deal.product_rows.all()] == [("Wartung", Decimal("3"))]
    assert deal.opportunity == Decimal("300.00")


def test_bad_input_is_shown_and_nothing_is_saved(admin_client, sample):
    deal = sample["deal"]
    r = admin_client.post(f"/deals/{deal.pk}/products/", _rows_form(deal.pk, [
        {"product_id": "", "name": "Beratung", "price": "12500.50", "quantity": "1", "discount": "", "tax": ""},
    ]), HTTP_ACCEPT_LANGUAGE="de")
    assert r.status_code == 400
    page = r.content.decode()
    assert "Zeile 1" in page and "12.500,50" in page  # how to write it in German
    assert 'value="Beratung"' in page  # what was typed stays
    r = admin_client.post(f"/deals/{deal.pk}/products/", _rows_form(deal.pk, [
        {"product_id": "", "name": "Beratung", "price": "10", "quantity": "1", "discount": "120", "tax": ""},
    ]), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "discount_rate" in r.content.decode()
    assert not deal.product_rows.exists()


def test_catalogue_lists_and_adds_products(admin_client, manager_client, seeded):
    r = admin_client.post("/products/", {"name": "Lizenz", "price": "1.200,00", "currency": "EUR", "tax": "19"},
                          HTTP_ACCEPT_LANGUAGE="de")
    assert r.status_code == 302
    lizenz = Product.objects.get(name="Lizenz")
    assert (lizenz.price, lizenz.tax_rate) == (Decimal("1200.00"), Decimal("19.00"))
    page = manager_client.get("/products/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Produktkatalog" in page and "Lizenz" in page and "1.200,00 EUR" in page
    assert "/delete/" not in page  # managers do not delete catalogue entries
    bad = admin_client.post("/products/", {"name": "", "price": "1", "currency": "EUR"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert admin_client.post(f"/products/{lizenz.pk}/delete/").status_code == 302
    assert not Product.objects.filter(pk=lizenz.pk).exists()


def test_a_leads_product_rows(admin_client, admin_user, classic):
    from kontor.crm.services import lead_create

    lead = lead_create(actor=admin_user, data={"title": "Anfrage Schulung"})
    page = admin_client.get(f"/leads/{lead.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Keine Produkte in diesem Lead." in page and f"/leads/{lead.pk}/products/" in page
    r = admin_client.post(f"/leads/{lead.pk}/products/", _rows_form(lead.pk, [
        {"product_id": "", "name": "Schulung", "price": "800", "quantity": "2", "discount": "", "tax": ""},
    ]), HTTP_ACCEPT_LANGUAGE="de")
    assert r.status_code == 302 and r["Location"] == f"/leads/{lead.pk}/"
    lead.refresh_from_db()
    assert lead.opportunity == Decimal("1600.00")
    assert "1.600,00 EUR" in admin_client.get(f"/leads/{lead.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
