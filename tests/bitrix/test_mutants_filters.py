"""The filter values of the facade's list methods outside the record kinds (products, activities, users,
comments, stage history — ``kontor.bitrix.filters.Field``): each kind of value read strictly, and a value
that cannot be read answered with Bitrix24's ERROR_ARGUMENT naming the field, as the surviving mutants of
an exact run showed untested (docs/mutation.md)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(bx) -> dict[str, int]:
    return {name: bx.ok("crm.product.add", {"fields": {"NAME": name, "PRICE": price, "ACTIVE": active}})
            for name, price, active in (("Widget", "19.99", "Y"), ("Gadget", "5", "N"), ("Gizmo", "1200.50", "Y"))}


def _names(bx, flt) -> list[str]:
    return [p["NAME"] for p in bx.ok("crm.product.list", {"filter": flt, "order": {"ID": "ASC"}})]


def _refusal(bx, flt) -> dict:
    response = bx.post("crm.product.list", {"filter": flt})
    assert response.status_code == 400, response.content
    return response.json()


@pytest.mark.parametrize(("flt", "names"), [
    ({">PRICE": "19.99"}, ["Gizmo"]),
    ({">=PRICE": "19,99"}, ["Widget", "Gizmo"]),  # a decimal comma, as German users type it
    ({"<PRICE": 6}, ["Gadget"]),
    ({"PRICE": " 5 "}, ["Gadget"]),
    ({"ACTIVE": "N"}, ["Gadget"]),
    ({"ACTIVE": "y"}, ["Widget", "Gizmo"]),
    ({"!ACTIVE": "Y"}, ["Gadget"]),
    ({"@PRICE": ["5", "1200.5"]}, ["Gadget", "Gizmo"]),
    ({"NAME": ""}, []),
])
def test_a_filter_value_is_read_by_its_fields_kind(bx, products, flt, names):
    assert _names(bx, flt) == names


def test_an_id_filter_takes_whole_numbers(bx, products):
    assert _names(bx, {"ID": str(products["Gadget"])}) == ["Gadget"]
    assert _names(bx, {">ID": products["Gadget"]}) == ["Gizmo"]


@pytest.mark.parametrize(("flt", "description"), [
    ({"ID": "zwei"}, "Filter field 'ID' needs an integer, not 'zwei'."),
    ({">ID": 2**63}, f"Filter field 'ID' needs an integer, not '{2**63}'."),
    ({"PRICE": "teuer"}, "Filter field 'PRICE' needs a number, not 'teuer'."),
    ({"PRICE": "1e16"}, "Filter field 'PRICE' is out of range."),
    ({"<PRICE": "-1e16"}, "Filter field 'PRICE' is out of range."),
    ({"PRICE": "NaN"}, "Filter field 'PRICE' is out of range."),
    ({"ACTIVE": "vielleicht"}, "Filter field 'ACTIVE' needs Y or N."),
    ({">PRICE": [1, 2]}, "Filter field 'PRICE' needs a single value."),
    ({">ID": {"a": 1}}, "Filter field 'ID' needs a single value."),
    ({"%NAME": ["Wid", "Gad"]}, "Filter field 'NAME' needs a single value."),
])
def test_a_value_the_field_cannot_read_is_an_argument_error_naming_it(bx, products, flt, description):
    assert _refusal(bx, flt) == {"error": "ERROR_ARGUMENT", "error_description": description, "argument": "filter"}


def test_the_largest_id_is_still_a_number(bx, products):
    assert _names(bx, {"<ID": 2**63 - 1}) == ["Widget", "Gadget", "Gizmo"]


def test_an_empty_value_in_a_list_matches_the_records_without_one(bx, products):
    bx.ok("crm.product.update", {"id": products["Widget"], "fields": {"XML_ID": "W-1"}})
    bx.ok("crm.product.update", {"id": products["Gadget"], "fields": {"XML_ID": "G-1"}})
    assert _names(bx, {"@XML_ID": [None, "W-1"]}) == ["Widget", "Gizmo"]


def test_a_date_filter_that_is_no_date_names_its_field(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    response = bx.post("crm.timeline.comment.list", {"filter": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal",
                                                                ">CREATED": "gestern"}})
    assert response.status_code == 400, response.content
    assert response.json() == {"error": "ERROR_ARGUMENT", "argument": "CREATED",
                               "error_description": "'CREATED': 'gestern' is not a date and time."}


# --- operators --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("flt", "names"), [
    ({"%NAME": "dget"}, ["Widget", "Gadget"]),  # contains, any letter case
    ({"!%NAME": "dget"}, ["Gizmo"]),
    ({"=%NAME": "G%"}, ["Gadget", "Gizmo"]),  # a LIKE pattern as typed
    ({"%=NAME": "%o"}, ["Gizmo"]),
    ({"!=%NAME": "G%"}, ["Widget"]),
    ({"=%NAME": "g_dget"}, ["Gadget"]),
    ({"@NAME": "Gizmo"}, ["Gizmo"]),  # one value where a list belongs
    ({"!@NAME": ["Gizmo", "Gadget"]}, ["Widget"]),
    ({"!NAME": "Gizmo"}, ["Widget", "Gadget"]),
])
def test_each_operator_filters_as_bitrix24_documents_it(bx, products, flt, names):
    assert _names(bx, flt) == names


def test_a_list_or_pattern_holds_what_the_database_can_take(bx, products):
    assert _names(bx, {"@ID": [products["Widget"], *range(10**6, 10**6 + 999)]}) == ["Widget"]
    assert _refusal(bx, {"@ID": list(range(1, 1002))}) == {
        "error": "ERROR_ARGUMENT", "argument": "filter",
        "error_description": "Filter field 'ID' has more than 1000 values."}
    assert _names(bx, {"%NAME": "x" * 255}) == []
    assert _refusal(bx, {"%NAME": "x" * 256}) == {
        "error": "ERROR_ARGUMENT", "argument": "filter",
        "error_description": "Filter field 'NAME': the pattern is longer than 255 characters."}


@pytest.mark.parametrize(("flt", "description"), [
    ({">CATEGORY_ID": 0}, "Filter field 'CATEGORY_ID' supports only equality (=, !, @, !@)."),
    ({"%STAGE_ID": "NEW"}, "Filter field 'STAGE_ID' supports only equality (=, !, @, !@)."),
    ({"@CATEGORY_ID": list(range(1001))}, "Filter field 'CATEGORY_ID' has more than 1000 values."),
    ({"STAGE_SEMANTIC_ID": [["S"]]}, "Filter field 'STAGE_SEMANTIC_ID' needs single values."),
])
def test_a_deal_filter_on_pipeline_or_stage_names_the_field_the_client_sent(bx, classic_mode, flt, description):
    response = bx.post("crm.deal.list", {"filter": flt})
    assert response.status_code == 400, response.content
    assert response.json() == {"error": "ERROR_ARGUMENT", "argument": "filter", "error_description": description}


# --- record lists (crm.deal.list): the spec fields and the facade-only ones -----------------------------


def _deal_refusal(bx, flt) -> dict:
    response = bx.post("crm.deal.list", {"filter": flt})
    assert response.status_code == 400, response.content
    return response.json()


@pytest.mark.parametrize(("flt", "description"), [
    ({"NOPE": 1}, "Filter field 'NOPE' is not supported."),
    ({">OPPORTUNITY": "viel"}, "Filter field 'OPPORTUNITY': needs a number, not 'viel'"),
    ({">DATE_CREATE": "Mo: früh"}, "Filter field 'DATE_CREATE': 'Mo: früh' is not a date and time"),
])
def test_a_record_filter_the_field_cannot_take_names_the_bitrix24_field(bx, classic_mode, flt, description):
    assert _deal_refusal(bx, flt) == {"error": "ERROR_ARGUMENT", "argument": "filter",
                                      "error_description": description}


def test_a_facade_only_field_and_a_spec_field_both_narrow_the_list(bx, classic_mode, service_category):
    a = bx.ok("crm.deal.add", {"fields": {"TITLE": "A"}})
    bx.ok("crm.deal.add", {"fields": {"TITLE": "B"}})
    c = bx.ok("crm.deal.add", {"fields": {"TITLE": "A", "CATEGORY_ID": service_category}})

    def ids(flt):
        return [int(d["ID"]) for d in bx.ok("crm.deal.list", {"filter": flt, "order": {"ID": "ASC"}})]

    assert ids({"CATEGORY_ID": 0, "TITLE": "A"}) == [a]
    assert ids({"TITLE": "A", "CATEGORY_ID": 0}) == [a]  # in either order
    assert ids({"TITLE": "A", "!CATEGORY_ID": 0}) == [c]
    assert ids({"@CATEGORY_ID": service_category}) == [c]  # one value where a list belongs
    assert ids({"CATEGORY_ID": [0, service_category], "TITLE": "A"}) == [a, c]
    assert ids({"!@CATEGORY_ID": [service_category], "TITLE": "A"}) == [a]
    assert ids({"@CATEGORY_ID": [service_category, *range(10**6, 10**6 + 999)]}) == [c]  # 1000 values


def test_lists_and_single_values_under_the_list_operators(bx, products):
    widget, gadget, gizmo = products["Widget"], products["Gadget"], products["Gizmo"]
    assert _names(bx, {"ID": [widget, gizmo]}) == ["Widget", "Gizmo"]  # = with a list: any of them
    assert _names(bx, {"@ID": gadget}) == ["Gadget"]
    assert _names(bx, {"!@ID": gadget}) == ["Widget", "Gizmo"]


def test_a_bad_value_in_a_list_names_the_field(bx, products):
    assert _refusal(bx, {"@ID": [1, "zwei"]}) == {
        "error": "ERROR_ARGUMENT", "argument": "filter",
        "error_description": "Filter field 'ID' needs an integer, not 'zwei'."}


def test_an_unknown_filter_field_is_named(bx, products):
    assert _refusal(bx, {"NOPE": 1}) == {"error": "ERROR_ARGUMENT", "argument": "filter",
                                         "error_description": "Filter field 'NOPE' is not supported."}


def test_an_empty_name_in_select_is_no_selection(bx, products):
    rows = bx.ok("crm.product.list", {"select": ["", " "], "order": {"ID": "ASC"}})
    assert [r["NAME"] for r in rows] == ["Widget", "Gadget", "Gizmo"]
