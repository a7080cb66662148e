"""crm.product.* and crm.{deal,lead}.productrows.*: a small catalogue, rows with price, quantity,
discount and tax, and the record's amount following its rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kontor.crm.models import Deal, Lead
from kontor.products.models import Product, ProductRow

from .conftest import bitrix_error


def _err(response) -> str:
    assert response.status_code == 400, response.content
    return response.json()["error_description"]


def test_product_catalogue_crud(bx):
    pid = bx.ok("crm.product.add", {"fields": {"NAME": "Widget", "PRICE": "19.99", "CURRENCY_ID": "EUR",
                                               "VAT_RATE": 19, "MEASURE_NAME": "pcs"}})
    got = bx.ok("crm.product.get", {"id": pid})
    assert (got["NAME"], got["PRICE"], got["CURRENCY_ID"], got["VAT_RATE"]) == ("Widget", "19.99", "EUR", "19.00")
    assert bx.ok("crm.product.update", {"id": pid, "fields": {"PRICE": 24.5, "ACTIVE": "N"}}) is True
    assert Product.objects.get(pk=pid).price == Decimal("24.50") and not Product.objects.get(pk=pid).active
    bx.ok("crm.product.add", {"fields": {"NAME": "Gadget", "PRICE": 5}})
    listed = bx.call("crm.product.list", {"filter": {"%NAME": "dget"}, "order": {"PRICE": "DESC"},
                                          "select": ["ID", "NAME"]})
    assert [p["NAME"] for p in listed["result"]] == ["Widget", "Gadget"] and listed["total"] == 2
    assert "CURRENCY_ID" in _err(bx.post("crm.product.add", {"fields": {"NAME": "X", "CURRENCY_ID": "XYZ"}}))
    assert "NAME" in _err(bx.post("crm.product.add", {"fields": {"PRICE": 1}}))
    assert "COLOR" in _err(bx.post("crm.product.add", {"fields": {"NAME": "X", "COLOR": "red"}}))
    assert bx.ok("crm.product.delete", {"id": pid}) is True
    assert set(bx.ok("crm.product.fields")) >= {"ID", "NAME", "PRICE", "CURRENCY_ID"}


def test_deal_amount_follows_its_product_rows(bx, classic_mode):
    widget = bx.ok("crm.product.add", {"fields": {"NAME": "Widget", "PRICE": "119.00", "VAT_RATE": 19}})
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "Shop order 4711", "OPPORTUNITY": 5}})
    assert bx.ok("crm.deal.productrows.set", {"id": deal, "rows": [
        {"PRODUCT_ID": widget, "QUANTITY": 2},  # catalogue price
        {"PRODUCT_NAME": "Shipping", "PRICE": 4.9, "QUANTITY": 1, "TAX_RATE": 0},
        {"PRODUCT_ID": widget, "PRICE": 107.1, "QUANTITY": 1, "DISCOUNT_TYPE_ID": 2, "DISCOUNT_RATE": 10,
         "TAX_RATE": 19},
    ]}) is True
    assert Deal.objects.get(pk=deal).opportunity == Decimal("350.00")  # 2×119 + 4.90 + 107.10
    assert bx.ok("crm.deal.get", {"id": deal})["OPPORTUNITY"] == "350.00"
    rows = bx.ok("crm.deal.productrows.get", {"id": deal})
    assert [(r["PRODUCT_NAME"], r["PRICE"], r["QUANTITY"]) for r in rows] == [
        ("Widget", 119.0, 2.0), ("Shipping", 4.9, 1.0), ("Widget", 107.1, 1.0)]
    discounted = rows[2]
    assert (discounted["PRICE_EXCLUSIVE"], discounted["PRICE_NETTO"], discounted["PRICE_BRUTTO"]) == (
        90.0, 100.0, 119.0)
    assert discounted["DISCOUNT_SUM"] == 10.0 and discounted["OWNER_TYPE"] == "D"
    assert bx.ok("crm.deal.productrows.set", {"id": deal, "rows": []}) is True
    assert Deal.objects.get(pk=deal).opportunity == Decimal("0") and not ProductRow.objects.exists()


def test_product_rows_errors_write_nothing(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D", "OPPORTUNITY": 7}})
    for rows in ([{"PRODUCT_ID": 999}], [{"PRICE": 5}], [{"PRODUCT_NAME": "X", "QUANTITY": -1}],
                 [{"PRODUCT_NAME": "X", "COLOUR": "red"}], [{"PRODUCT_NAME": "X", "DISCOUNT_TYPE_ID": 7}]):
        assert _err(bx.post("crm.deal.productrows.set", {"id": deal, "rows": rows}))
    assert not ProductRow.objects.exists() and Deal.objects.get(pk=deal).opportunity == Decimal("7")


def test_lead_product_rows(bx, classic_mode):
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "Inquiry"}})
    bx.ok("crm.lead.productrows.set", {"id": lead, "rows": [{"PRODUCT_NAME": "Consulting", "PRICE": 150,
                                                             "QUANTITY": 3}]})
    assert Lead.objects.get(pk=lead).opportunity == Decimal("450.00")
    assert bx.ok("crm.lead.productrows.get", {"id": lead})[0]["OWNER_TYPE"] == "L"


def test_crm_item_productrow_in_camel_case(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    out = bx.ok("crm.item.productrow.set", {"ownerType": "D", "ownerId": deal, "productRows": [
        {"productName": "Seat", "price": 30, "quantity": 4, "taxRate": 19}]})
    row = out["productRows"][0]
    assert (row["productName"], row["price"], row["quantity"], row["ownerId"]) == ("Seat", 30.0, 4.0, deal)
    assert Deal.objects.get(pk=deal).opportunity == Decimal("120.00")
    listed = bx.ok("crm.item.productrow.list", {"filter": {"=ownerType": "D", "=ownerId": deal}})["productRows"]
    assert [r["id"] for r in listed] == [row["id"]]
    assert bx.ok("crm.item.productrow.get", {"id": row["id"]})["productRow"]["productName"] == "Seat"
    assert "productName" in bx.ok("crm.item.productrow.fields")["fields"]
    assert bx.post("crm.item.productrow.set", {"ownerType": "Q", "ownerId": deal, "productRows": []}).status_code == 400


# --- the largest amounts: what is stored comes back, what cannot be stored is refused -----------------

BIGGEST = "9999999999999.99"  # 13 integer digits and the cents: exact on SQLite (a double) and PostgreSQL


def test_the_largest_amounts_come_back_as_written(bx, classic_mode):
    product = bx.ok("crm.product.add", {"fields": {"NAME": "Yacht", "PRICE": BIGGEST}})
    assert bx.ok("crm.product.get", {"id": product})["PRICE"] == BIGGEST
    assert [p["PRICE"] for p in bx.ok("crm.product.list", {"filter": {"ID": product}})] == [BIGGEST]
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "Big", "OPPORTUNITY": BIGGEST}})
    assert bx.ok("crm.deal.get", {"id": deal})["OPPORTUNITY"] == BIGGEST
    assert bx.ok("crm.deal.productrows.set", {"id": deal, "rows": [
        {"PRODUCT_NAME": "Half", "PRICE": "4999999999999.99", "QUANTITY": 2}]}) is True
    assert bx.ok("crm.deal.productrows.get", {"id": deal})[0]["PRICE"] == 4999999999999.99
    assert bx.ok("crm.deal.get", {"id": deal})["OPPORTUNITY"] == "9999999999999.98"


@pytest.mark.parametrize("method, fields, message", [
    ("crm.product.add", {"NAME": "Pen", "PRICE": "9999999999999999.99"},
     "PRICE must be between 0 and 9999999999999.99"),
    ("crm.product.add", {"NAME": "Pen", "PRICE": "1e13"}, "PRICE must be between 0 and 9999999999999.99"),
    ("crm.deal.add", {"TITLE": "Big", "OPPORTUNITY": "10000000000000"},
     "OPPORTUNITY: must be between 0 and 9999999999999.99"),
])
def test_an_amount_too_large_to_store_is_refused(bx, classic_mode, method, fields, message):
    _, description = bitrix_error(bx.post(method, {"fields": fields}))
    assert message in description
    assert not Product.objects.exists() and not Deal.objects.exists()


@pytest.mark.parametrize("row, message", [
    ({"PRICE": "1e12", "QUANTITY": "10"}, "rows[0]: price × quantity must be between 0 and 9999999999999.99"),
    ({"PRICE": "999999999999", "QUANTITY": "1e11"}, "price × quantity must be"),
    ({"PRICE": "10", "DISCOUNT_TYPE_ID": 1, "DISCOUNT_SUM": "1e13"}, "rows[0].discount_sum must be between"),
    ({"PRICE": "10", "DISCOUNT_TYPE_ID": 1, "DISCOUNT_SUM": "9999999999999.99"},
     "rows[0]: the price before discount must be between 0 and 9999999999999.99"),
    ({"PRICE": "1000000000000", "DISCOUNT_RATE": "99.99"}, "the price before discount must be"),
])
def test_product_rows_too_large_to_store_are_refused_and_the_deal_keeps_its_rows(bx, classic_mode, row, message):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "Big"}})
    bx.ok("crm.deal.productrows.set", {"id": deal, "rows": [{"PRODUCT_NAME": "Kept", "PRICE": 5}]})
    _, description = bitrix_error(bx.post("crm.deal.productrows.set", {"id": deal, "rows": [
        {"PRODUCT_NAME": "A", **row}]}))
    assert message in description
    assert [r["PRODUCT_NAME"] for r in bx.ok("crm.deal.productrows.get", {"id": deal})] == ["Kept"]
    assert bx.ok("crm.deal.get", {"id": deal})["OPPORTUNITY"] == "5.00"
