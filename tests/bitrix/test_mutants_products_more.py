"""crm.product.*, crm.{deal,lead}.productrows.* and crm.item.productrow.* written against the survivors of
the run of 5 December over ``kontor.bitrix.methods.products`` (var/mut-bx2).

Covered here: crm.product.get/list answers in full (set and default values); what crm.product.add/update
read (Y/N flags, currency codes word for word, numbers given for text fields, ignored Bitrix24 fields
followed by real ones, the ``argument`` of an unknown field); the XML_ID and ACTIVE filters (empty
value, LIKE operators, no comparison on a flag); a product row in full as crm.deal.productrows.get
answers it, prices rounded half up; what a row reads (ignored fields, whole numbers given as text, numbers
for text fields, TAX_INCLUDED, non-object rows and unknown fields word for word); crm.item.productrow.*:
the ``argument`` of a bad owner id, the documented spelling of a parameter winning over another spelling
of it, and rows answered without one product query per row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kontor.bitrix.mapping import dt
from kontor.products.models import Product, ProductRow

from .conftest import Wire, bitrix_error

pytestmark = pytest.mark.django_db


def _refusal(response) -> dict[str, Any]:
    """The whole body of a refused call (``argument`` included)."""
    assert response.status_code == 400, response.content
    return response.json()


def _product(bx: Wire, **fields: Any) -> int:
    return bx.ok("crm.product.add", {"fields": {"NAME": "Pen", **fields}})


# --- crm.product.get / list: the answer in full -------------------------------------------------


def _stamps(pk: int) -> dict[str, str]:
    product = Product.objects.get(pk=pk)
    return {"DATE_CREATE": dt(product.created_at), "TIMESTAMP_X": dt(product.updated_at)}


def test_a_product_comes_back_with_every_field_it_was_given(bx):
    pk = _product(bx, NAME="Fountain pen", DESCRIPTION="Blue ink", PRICE="2.50", CURRENCY_ID="USD",
                  VAT_RATE=19, MEASURE_NAME="pcs", SORT=20, XML_ID="PEN-1")
    expected = {
        "ID": str(pk), "NAME": "Fountain pen", "DESCRIPTION": "Blue ink", "PRICE": "2.50", "CURRENCY_ID": "USD",
        "ACTIVE": "Y", "VAT_RATE": "19.00", "VAT_INCLUDED": "Y", "MEASURE_NAME": "pcs", "SORT": "20",
        "XML_ID": "PEN-1", "SECTION_ID": None, "CATALOG_ID": "0", **_stamps(pk)}
    assert expected["DATE_CREATE"] != ""
    assert bx.ok("crm.product.get", {"id": pk}) == expected
    assert bx.ok("crm.product.list", {"filter": {"ID": pk}}) == [expected]


def test_a_product_with_only_a_name_answers_the_defaults(bx):
    pk = _product(bx)
    assert bx.ok("crm.product.get", {"id": pk}) == {
        "ID": str(pk), "NAME": "Pen", "DESCRIPTION": None, "PRICE": "0.00", "CURRENCY_ID": "EUR",
        "ACTIVE": "Y", "VAT_RATE": None, "VAT_INCLUDED": "Y", "MEASURE_NAME": None, "SORT": "500",
        "XML_ID": None, "SECTION_ID": None, "CATALOG_ID": "0", **_stamps(pk)}


# --- crm.product.add / update: what the fields read ---------------------------------------------


def test_flags_are_read_as_y_or_n(bx):
    pk = _product(bx, VAT_INCLUDED="N", ACTIVE="n")
    product = Product.objects.get(pk=pk)
    assert (product.tax_included, product.active) == (False, False)
    assert bx.ok("crm.product.update", {"id": pk, "fields": {"VAT_INCLUDED": "Y", "ACTIVE": True}}) is True
    product.refresh_from_db()
    assert (product.tax_included, product.active) == (True, True)
    got = bx.ok("crm.product.get", {"id": pk})
    assert (got["VAT_INCLUDED"], got["ACTIVE"]) == ("Y", "Y")


@pytest.mark.parametrize("key", ["ACTIVE", "VAT_INCLUDED"])
def test_a_flag_that_is_neither_y_nor_n_is_refused(bx, key):
    pk = _product(bx)
    assert bitrix_error(bx.post("crm.product.update", {"id": pk, "fields": {key: "maybe"}})) == (
        "", f"{key}: must be Y or N.")
    assert bitrix_error(bx.post("crm.product.add", {"fields": {"NAME": "Ink", key: "maybe"}})) == (
        "", f"{key}: must be Y or N.")
    assert list(Product.objects.values_list("name", flat=True)) == ["Pen"]


@pytest.mark.parametrize("code", ["XYZ", "", None])
def test_a_currency_that_is_no_iso_code_is_refused_word_for_word(bx, code):
    assert bitrix_error(bx.post("crm.product.add", {"fields": {"NAME": "Pen", "CURRENCY_ID": code}})) == (
        "", f"CURRENCY_ID: '{code}' is not an ISO 4217 currency code (such as EUR).")
    assert not Product.objects.exists()


def test_numbers_given_for_text_fields_are_stored_as_text(bx):
    pk = bx.ok("crm.product.add", {"fields": {"NAME": 4711, "DESCRIPTION": 12, "MEASURE_NAME": 1,
                                               "XML_ID": 42, "PRICE": 3, "SORT": 7}})
    product = Product.objects.get(pk=pk)
    assert (product.name, product.description, product.measure, product.xml_id) == ("4711", "12", "1", "42")
    assert (product.price, product.sort) == (Decimal("3.00"), 7)


def test_ignored_bitrix24_fields_do_not_hide_the_fields_after_them(bx):
    pk = bx.ok("crm.product.add", {"fields": {"ID": 99999, "CATALOG_ID": 25, "NAME": "Pen", "PRICE": 4}})
    assert list(Product.objects.values_list("pk", "name", "price")) == [(pk, "Pen", Decimal("4.00"))]
    assert pk != 99999
    assert bx.ok("crm.product.update", {"id": pk, "fields": {"SECTION_ID": 3, "NAME": "Pencil"}}) is True
    assert Product.objects.get(pk=pk).name == "Pencil"


def test_an_unknown_product_field_is_an_argument_error_naming_fields(bx):
    assert _refusal(bx.post("crm.product.add", {"fields": {"NAME": "Pen", "COLOR": "red"}})) == {
        "error": "ERROR_ARGUMENT", "error_description": "Field 'COLOR' is not supported by Kontor for products.",
        "argument": "fields"}
    assert not Product.objects.exists()


# --- crm.product.list: the XML_ID and ACTIVE filters --------------------------------------------


@pytest.fixture
def coded(bx) -> dict[str, int]:
    """Three products: two with an external code, one without; Gadget inactive."""
    return {"Widget": _product(bx, NAME="Widget", XML_ID="W-100"),
            "Gadget": _product(bx, NAME="Gadget", XML_ID="G-200", ACTIVE="N"),
            "Plain": _product(bx, NAME="Plain")}


def _names(bx: Wire, flt: dict[str, Any]) -> list[str]:
    return [p["NAME"] for p in bx.ok("crm.product.list", {"filter": flt, "order": {"ID": "ASC"}})]


@pytest.mark.parametrize(("flt", "names"), [
    ({"XML_ID": ""}, ["Plain"]),
    ({"!XML_ID": ""}, ["Widget", "Gadget"]),
    ({"XML_ID": "G-200"}, ["Gadget"]),
    ({"%XML_ID": "-100"}, ["Widget"]),
    ({"=%XML_ID": "_-2%"}, ["Gadget"]),
    ({"!%XML_ID": "W"}, ["Gadget", "Plain"]),
])
def test_the_external_code_filters_as_text_with_patterns(bx, coded, flt, names):
    assert _names(bx, flt) == names


@pytest.mark.parametrize("op", [">", ">=", "<", "<="])
def test_a_flag_cannot_be_compared(bx, coded, op):
    assert _refusal(bx.post("crm.product.list", {"filter": {f"{op}ACTIVE": "N"}})) == {
        "error": "ERROR_ARGUMENT", "error_description": f"Filter field 'ACTIVE' does not support '{op}'.",
        "argument": "filter"}
    assert _names(bx, {"ACTIVE": "N"}) == ["Gadget"]


# --- product rows out: crm.deal.productrows.get in full ------------------------------------------


def _deal(bx: Wire) -> int:
    return bx.ok("crm.deal.add", {"fields": {"TITLE": "Shop order 4711"}})


def test_product_rows_come_back_with_every_bitrix24_field(bx, classic_mode):
    widget = _product(bx, NAME="Widget", PRICE="119.00", VAT_RATE=19)
    deal = _deal(bx)
    assert bx.ok("crm.deal.productrows.set", {"id": deal, "rows": [
        {"PRODUCT_ID": widget, "PRODUCT_NAME": "Widget, blue", "PRICE": 119, "QUANTITY": 2, "TAX_RATE": 19,
         "MEASURE_NAME": "pcs", "SORT": 5},
        {"PRODUCT_NAME": "Shipping", "PRICE": 4.9, "TAX_INCLUDED": "N"},
    ]}) is True
    first, second = ProductRow.objects.filter(deal_id=deal).order_by("sort")
    common = {"OWNER_ID": str(deal), "OWNER_TYPE": "D", "PRODUCT_DESCRIPTION": None, "DISCOUNT_TYPE_ID": 2,
              "DISCOUNT_RATE": 0.0, "DISCOUNT_SUM": 0.0, "CUSTOMIZED": "Y", "MEASURE_CODE": 0, "TYPE": 1,
              "STORE_ID": None, "XML_ID": None}
    assert bx.ok("crm.deal.productrows.get", {"id": deal}) == [
        {"ID": str(first.pk), "PRODUCT_ID": widget, "PRODUCT_NAME": "Widget, blue",
         "ORIGINAL_PRODUCT_NAME": "Widget", "PRICE": 119.0, "PRICE_EXCLUSIVE": 100.0, "PRICE_NETTO": 100.0,
         "PRICE_BRUTTO": 119.0, "PRICE_ACCOUNT": "119.00", "QUANTITY": 2.0, "TAX_RATE": 19.0,
         "TAX_INCLUDED": "Y", "MEASURE_NAME": "pcs", "SORT": 5, **common},
        {"ID": str(second.pk), "PRODUCT_ID": 0, "PRODUCT_NAME": "Shipping", "ORIGINAL_PRODUCT_NAME": "Shipping",
         "PRICE": 4.9, "PRICE_EXCLUSIVE": 4.9, "PRICE_NETTO": 4.9, "PRICE_BRUTTO": 4.9, "PRICE_ACCOUNT": "4.90",
         "QUANTITY": 1.0, "TAX_RATE": None, "TAX_INCLUDED": "N", "MEASURE_NAME": None, "SORT": 20, **common},
    ]


def test_derived_prices_are_rounded_half_up_to_the_cent(bx, classic_mode):
    """25 % tax, 0.02 off per unit: the list price with tax is 0.82 × 1.25 = 1.025, which is 1.03."""
    deal = _deal(bx)
    bx.ok("crm.deal.productrows.set", {"id": deal, "rows": [
        {"PRODUCT_NAME": "Bolt", "PRICE": "1.00", "TAX_RATE": 25, "DISCOUNT_TYPE_ID": 1, "DISCOUNT_SUM": "0.02"}]})
    row = bx.ok("crm.deal.productrows.get", {"id": deal})[0]
    assert (row["PRICE"], row["PRICE_EXCLUSIVE"], row["PRICE_NETTO"], row["PRICE_BRUTTO"]) == (1.0, 0.8, 0.82, 1.03)
    assert (row["DISCOUNT_TYPE_ID"], row["DISCOUNT_SUM"]) == (1, 0.02)


# --- product rows in: what a row reads -----------------------------------------------------------


def test_ignored_row_fields_do_not_hide_the_fields_after_them(bx, classic_mode):
    deal = _deal(bx)
    assert bx.ok("crm.deal.productrows.set", {"id": deal, "rows": [
        {"ID": 5, "OWNER_ID": 3, "PRICE_NETTO": 1, "PRODUCT_NAME": "Chair", "PRICE": 25, "QUANTITY": 2}]}) is True
    assert list(ProductRow.objects.filter(deal_id=deal).values_list("product_name", "price", "quantity")) == [
        ("Chair", Decimal("25.00"), Decimal("2.0000"))]


def test_whole_numbers_given_as_text_are_read(bx, classic_mode):
    widget = _product(bx, NAME="Widget", PRICE=50)
    deal = _deal(bx)
    assert bx.ok("crm.deal.productrows.set", {"id": deal, "rows": [
        {"PRODUCT_ID": str(widget), "DISCOUNT_TYPE_ID": "1", "DISCOUNT_SUM": 5, "PRICE": 40, "SORT": " 7 "}]}) is True
    row = ProductRow.objects.get(deal_id=deal)
    assert (row.product_id, row.product_name, row.discount_type, row.discount_sum, row.sort) == (
        widget, "Widget", 1, Decimal("5.00"), 7)


@pytest.mark.parametrize(("row", "message"), [
    ({"PRODUCT_NAME": "X", "SORT": "7.5"}, "rows[0].SORT: must be a whole number."),
    ({"PRODUCT_NAME": "X", "discount_type_id": "percent"}, "rows[0].DISCOUNT_TYPE_ID: must be a whole number."),
    ({"PRODUCT_ID": True}, "rows[0].PRODUCT_ID: must be a whole number."),
])
def test_a_number_that_is_not_whole_is_refused_word_for_word(bx, classic_mode, row, message):
    deal = _deal(bx)
    assert bitrix_error(bx.post("crm.deal.productrows.set", {"id": deal, "rows": [row]})) == ("", message)
    assert not ProductRow.objects.exists()


def test_numbers_given_for_row_text_fields_are_stored_as_text(bx, classic_mode):
    deal = _deal(bx)
    bx.ok("crm.deal.productrows.set", {"id": deal, "rows": [{"PRODUCT_NAME": 4711, "MEASURE_NAME": 5, "PRICE": 3}]})
    row = ProductRow.objects.get(deal_id=deal)
    assert (row.product_name, row.measure, row.price) == ("4711", "5", Decimal("3.00"))


@pytest.mark.parametrize(("flag", "stored"), [("N", False), ("Y", True), ("false", False), (True, True)])
def test_tax_included_is_read_as_y_or_n(bx, classic_mode, flag, stored):
    deal = _deal(bx)
    bx.ok("crm.deal.productrows.set", {"id": deal, "rows": [{"PRODUCT_NAME": "X", "PRICE": 1, "TAX_INCLUDED": flag}]})
    assert ProductRow.objects.get(deal_id=deal).tax_included is stored


@pytest.mark.parametrize("method", ["crm.deal.productrows.set", "crm.lead.productrows.set"])
def test_a_row_that_is_no_object_is_refused_word_for_word(bx, classic_mode, method):
    owner = bx.ok(method.replace("productrows.set", "add"), {"fields": {"TITLE": "T"}})
    response = bx.post(method, {"id": owner, "rows": [{"PRODUCT_NAME": "A", "PRICE": 1}, "Chair"]})
    assert bitrix_error(response) == ("", "rows[1] must be an object.")
    assert not ProductRow.objects.exists()


def test_an_unknown_row_field_is_an_argument_error_naming_rows(bx, classic_mode):
    deal = _deal(bx)
    response = bx.post("crm.deal.productrows.set", {"id": deal, "rows": [{"PRODUCT_NAME": "X", "COLOUR": 1}]})
    assert _refusal(response) == {
        "error": "ERROR_ARGUMENT", "error_description": "rows[0]: field 'COLOUR' is not supported by Kontor.",
        "argument": "rows"}
    assert not ProductRow.objects.exists()


# --- crm.item.productrow.*: owner, parameter names, queries --------------------------------------


@pytest.mark.parametrize("owner_id", [0, -3, "abc", None])
@pytest.mark.parametrize("method", ["crm.item.productrow.list", "crm.item.productrow.set"])
def test_a_bad_owner_id_is_an_argument_error_naming_it(bx, classic_mode, method, owner_id):
    params = ({"filter": {"=ownerType": "D", "=ownerId": owner_id}} if method.endswith("list")
              else {"ownerType": "D", "ownerId": owner_id, "productRows": []})
    assert _refusal(bx.post(method, params)) == {
        "error": "ERROR_ARGUMENT", "error_description": "ownerId is not defined or invalid.", "argument": "ownerId"}


@pytest.fixture
def seats(bx, classic_mode) -> tuple[int, int]:
    """A deal with one row "Seat"; returns (deal, row)."""
    deal = _deal(bx)
    bx.ok("crm.deal.productrows.set", {"id": deal, "rows": [{"PRODUCT_NAME": "Seat", "PRICE": 30}]})
    return deal, ProductRow.objects.get(deal_id=deal).pk


def test_list_reads_filter_as_documented_before_other_spellings(bx, seats):
    deal, row = seats
    listed = bx.ok("crm.item.productrow.list", {"filter": {"=ownerType": "D", "=ownerId": deal},
                                                "FILTER": {"=ownerType": "Q"}})
    assert [r["id"] for r in listed["productRows"]] == [row]


def test_set_reads_its_parameters_as_documented_before_other_spellings(bx, seats):
    deal, _ = seats
    out = bx.ok("crm.item.productrow.set", {
        "ownerType": "D", "ownertype": "Q", "OWNERTYPE": "Q",
        "ownerId": deal, "ownerid": 0, "OWNERID": 0,
        "productRows": [{"productName": "Desk", "price": 100}], "productrows": [], "PRODUCTROWS": []})
    assert [(r["productName"], r["ownerId"]) for r in out["productRows"]] == [("Desk", deal)]
    assert list(ProductRow.objects.values_list("product_name", flat=True)) == ["Desk"]


def _product_reads(call) -> tuple[Any, int]:
    """``call()``'s answer and how many queries read the catalogue table itself."""
    table = Product._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        answer = call()
    return answer, len([q for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]])


def test_rows_are_answered_without_a_catalogue_query_per_row(bx, classic_mode):
    products = [_product(bx, NAME=name) for name in ("Widget", "Gadget", "Gizmo")]
    deal = _deal(bx)
    rows = [{"productId": pk, "price": 10} for pk in products]
    out, reads = _product_reads(lambda: bx.ok("crm.item.productrow.set", {
        "ownerType": "D", "ownerId": deal, "productRows": rows}))
    assert [r["productId"] for r in out["productRows"]] == products
    assert reads == 1  # the rows' products, read at once to check them
    listed, reads = _product_reads(lambda: bx.ok("crm.item.productrow.list", {
        "filter": {"=ownerType": "D", "=ownerId": deal}}))
    assert [r["originalProductName"] for r in listed["productRows"]] == ["Widget", "Gadget", "Gizmo"]
    assert reads == 0
    got, reads = _product_reads(lambda: bx.ok("crm.item.productrow.get", {"id": out["productRows"][1]["id"]}))
    assert (got["productRow"]["productId"], got["productRow"]["originalProductName"]) == (products[1], "Gadget")
    assert reads == 0
