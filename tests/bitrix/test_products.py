"""crm.product.* and crm.{deal,lead}.productrows.*: a small catalogue, rows with price, quantity,
discount and tax, and the record's amount following its rows."""

from __future__ import annotations

from decimal import Decimal

from kontor.crm.models import Deal, Lead
from kontor.products.models import Product, ProductRow


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
