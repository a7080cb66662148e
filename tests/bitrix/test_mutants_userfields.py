"""crm.<kind>.userfield.add/get/list/update/delete and crm.userfield.types, answer by answer: the
defaults and flags a new field takes, the errors that name the wrong key, the filters and orders of
``*.userfield.list``, what ``*.userfield.update`` lets through and what it refuses, and who the audit
log names — behaviour the surviving mutants of ``kontor.bitrix.methods.userfields`` showed untested
(docs/mutation.md)."""

from __future__ import annotations

import pytest

from kontor.crm.models import AuditLog, CustomField

from .conftest import bitrix_error

pytestmark = pytest.mark.django_db


def _add(bx, kind="deal", **fields):
    return bx.ok(f"crm.{kind}.userfield.add", {"fields": fields})


def _list(bx, kind="deal", **params):
    return bx.ok(f"crm.{kind}.userfield.list", params)


def _codes(bx, kind="deal", **params):
    return [f["FIELD_NAME"] for f in _list(bx, kind, **params)]


# --- crm.userfield.types -----------------------------------------------------------------------


def test_types_lists_every_type_kontor_stores(bx):
    types = ["string", "integer", "double", "money", "boolean", "date", "datetime", "enumeration", "url",
             "employee", "crm"]
    assert bx.ok("crm.userfield.types") == [{"ID": t, "title": t} for t in types]


# --- add -----------------------------------------------------------------------------------------


def test_add_with_only_name_and_type_takes_bitrix24_defaults(bx):
    field = _add(bx, "lead", FIELD_NAME="ORDER_NO", USER_TYPE_ID="string")
    empty = {"de": "", "en": ""}
    assert bx.ok("crm.lead.userfield.get", {"id": field}) == {
        "ID": str(field), "ENTITY_ID": "CRM_LEAD", "FIELD_NAME": "UF_CRM_ORDER_NO", "USER_TYPE_ID": "string",
        "XML_ID": None, "SORT": "100", "MULTIPLE": "N", "MANDATORY": "N", "SHOW_FILTER": "E", "SHOW_IN_LIST": "Y",
        "EDIT_IN_LIST": "Y", "IS_SEARCHABLE": "N", "SETTINGS": {},
        "EDIT_FORM_LABEL": empty, "LIST_COLUMN_LABEL": empty, "LIST_FILTER_LABEL": empty,
        "ERROR_MESSAGE": empty, "HELP_MESSAGE": empty,
    }


def test_add_takes_every_flag_it_is_given(bx):
    field = _add(bx, FIELD_NAME="VIP", USER_TYPE_ID="boolean", MULTIPLE="N", MANDATORY="Y", SHOW_IN_LIST="N",
                 SHOW_FILTER="N", SORT="250", XML_ID="vip", ENTITY_ID="CRM_DEAL", LIST_COLUMN_LABEL="VIP customer")
    got = bx.ok("crm.deal.userfield.get", {"id": field})
    assert {k: got[k] for k in ("MANDATORY", "SHOW_IN_LIST", "SHOW_FILTER", "SORT", "XML_ID", "EDIT_FORM_LABEL")} == {
        "MANDATORY": "Y", "SHOW_IN_LIST": "N", "SHOW_FILTER": "N", "SORT": "250", "XML_ID": "vip",
        "EDIT_FORM_LABEL": {"de": "VIP customer", "en": "VIP customer"}}


@pytest.mark.parametrize(("fields", "sort"), [({"SORT": ""}, "100"), ({"SORT": " 7 "}, "7"), ({"SORT": 30}, "30")])
def test_add_reads_sort_as_bitrix24_sends_it(bx, fields, sort):
    field = _add(bx, FIELD_NAME="PIECES", USER_TYPE_ID="integer", ENTITY_ID="", **fields)
    assert bx.ok("crm.deal.userfield.get", {"id": field})["SORT"] == sort


@pytest.mark.parametrize(("fields", "message"), [
    ({"ENTITY_ID": "CRM_LEAD"}, "ENTITY_ID must be CRM_DEAL for crm.deal.userfield.add."),
    ({"USER_TYPE_ID": None}, "The fields FIELD_NAME and USER_TYPE_ID are required."),
    ({"FIELD_NAME": ""}, "The fields FIELD_NAME and USER_TYPE_ID are required."),
    ({"SORT": "abc"}, "sort must be an integer"),
    ({"MULTIPLE": "maybe"}, "MULTIPLE must be Y or N."),
    ({"MANDATORY": "maybe"}, "MANDATORY must be Y or N."),
    ({"SHOW_IN_LIST": "maybe"}, "SHOW_IN_LIST must be Y or N."),
    ({"SHOW_FILTER": "maybe"}, "SHOW_FILTER must be Y or N."),
])
def test_add_names_what_is_wrong(bx, fields, message):
    params = {"FIELD_NAME": "PIECES", "USER_TYPE_ID": "integer", **fields}
    params = {k: v for k, v in params.items() if v is not None}
    assert bitrix_error(bx.post("crm.deal.userfield.add", {"fields": params})) == ("", message)
    assert not CustomField.objects.exists()


def test_add_update_and_delete_log_the_admin_who_did_it(bx, admin_user):
    field = _add(bx, FIELD_NAME="PIECES", USER_TYPE_ID="integer")
    assert bx.ok("crm.deal.userfield.update", {"id": field, "fields": {"SORT": 5}}) is True
    assert bx.ok("crm.deal.userfield.delete", {"id": field}) is True
    assert sorted(AuditLog.objects.filter(action__startswith="custom_field.").values_list("action", "actor")) == [
        ("custom_field.create", admin_user.pk), ("custom_field.delete", admin_user.pk),
        ("custom_field.update", admin_user.pk)]


# --- list ----------------------------------------------------------------------------------------


@pytest.fixture
def three(bx):
    """Three deal fields whose sort runs against their id, and one lead field."""
    ids = {
        "SIZE": _add(bx, FIELD_NAME="SIZE", USER_TYPE_ID="string", SORT=300, XML_ID="size", MULTIPLE="Y"),
        "COLOUR": _add(bx, FIELD_NAME="COLOUR", USER_TYPE_ID="enumeration", SORT=200, MANDATORY="Y",
                       LIST=[{"VALUE": "Red"}]),
        "AMOUNT": _add(bx, FIELD_NAME="AMOUNT", USER_TYPE_ID="double", SORT=100, SHOW_IN_LIST="N", SHOW_FILTER="N"),
    }
    _add(bx, "lead", FIELD_NAME="SIZE", USER_TYPE_ID="string")
    return ids


def test_list_orders_by_sort_then_id_unless_told(bx, three):
    assert _codes(bx) == ["UF_CRM_AMOUNT", "UF_CRM_COLOUR", "UF_CRM_SIZE"]


@pytest.mark.parametrize(("order", "codes"), [
    ({"SORT": "DESC"}, ["SIZE", "COLOUR", "AMOUNT"]),
    ({" sort ": "desc "}, ["SIZE", "COLOUR", "AMOUNT"]),
    ({"ID": "ASC"}, ["SIZE", "COLOUR", "AMOUNT"]),
    ({"id": "asc"}, ["SIZE", "COLOUR", "AMOUNT"]),
    ({"ID": "DESC"}, ["AMOUNT", "COLOUR", "SIZE"]),
    ({"FIELD_NAME": "ASC"}, ["AMOUNT", "COLOUR", "SIZE"]),
    ({"USER_TYPE_ID": "DESC"}, ["SIZE", "COLOUR", "AMOUNT"]),
    ({"NOPE": "DESC"}, ["AMOUNT", "COLOUR", "SIZE"]),
])
def test_list_orders_as_asked(bx, three, order, codes):
    assert _codes(bx, order=order) == [f"UF_CRM_{c}" for c in codes]


def test_list_breaks_sort_ties_by_id(bx):
    # Codes against creation order: the unique (entity, code) index must not decide the order of ties.
    for code in ("ZULU", "MIKE", "ALPHA"):
        _add(bx, FIELD_NAME=code, USER_TYPE_ID="string", SORT=10)
    assert _codes(bx) == ["UF_CRM_ZULU", "UF_CRM_MIKE", "UF_CRM_ALPHA"]
    assert _codes(bx, order={"MULTIPLE": "ASC"}) == ["UF_CRM_ZULU", "UF_CRM_MIKE", "UF_CRM_ALPHA"]


@pytest.mark.parametrize(("filter_", "codes"), [
    ({"FIELD_NAME": "uf_crm_size"}, ["SIZE"]),
    ({"=FIELD_NAME": "UF_CRM_COLOUR"}, ["COLOUR"]),
    ({"USER_TYPE_ID": "double"}, ["AMOUNT"]),
    ({"XML_ID": "size"}, ["SIZE"]),
    ({"=XML_ID": "size"}, ["SIZE"]),
    ({"SORT": "200"}, ["COLOUR"]),
    ({"MULTIPLE": "Y"}, ["SIZE"]),
    ({"MANDATORY": "Y"}, ["COLOUR"]),
    ({"SHOW_IN_LIST": "N"}, ["AMOUNT"]),
    ({"SHOW_FILTER": "N"}, ["AMOUNT"]),
    ({"SHOW_FILTER": "E"}, ["COLOUR", "SIZE"]),
    ({"ENTITY_ID": "CRM_DEAL"}, ["AMOUNT", "COLOUR", "SIZE"]),
    ({"entity_id": "crm_deal", "USER_TYPE_ID": "string"}, ["SIZE"]),
    ({"ENTITY_ID": "CRM_LEAD"}, []),
])
def test_list_filters_by_bitrix24_names(bx, three, filter_, codes):
    assert _codes(bx, filter=filter_) == [f"UF_CRM_{c}" for c in codes]


def test_list_filters_by_id(bx, three):
    assert _codes(bx, filter={"ID": str(three["COLOUR"])}) == ["UF_CRM_COLOUR"]
    assert _codes(bx, filter={"=ID": three["SIZE"]}) == ["UF_CRM_SIZE"]


@pytest.mark.parametrize(("filter_", "message"), [
    ({"NOPE": "1"}, "Filter field 'NOPE' is not supported."),
    ({"FIELD_NAME": ["UF_CRM_SIZE"]}, "Filter field 'FIELD_NAME' is not supported."),
    ({"ID": "abc"}, "Filter field 'ID' needs an integer."),
    ({"=SORT": "1.5"}, "Filter field '=SORT' needs an integer."),
])
def test_list_refuses_a_filter_it_cannot_apply(bx, three, filter_, message):
    response = bx.post("crm.deal.userfield.list", {"filter": filter_})
    assert response.status_code == 400, response.content
    assert response.json() == {"error": "ERROR_ARGUMENT", "error_description": message, "argument": "filter"}


def test_list_refuses_a_flag_filter_that_is_neither_y_nor_n(bx, three):
    assert bitrix_error(bx.post("crm.deal.userfield.list", {"filter": {"MANDATORY": "maybe"}})) == (
        "", "MANDATORY must be Y or N.")


@pytest.mark.parametrize("name", ["filter", "order"])
def test_list_refuses_a_filter_or_order_that_is_no_array(bx, name):
    refused = bx.post("crm.deal.userfield.list", {name: "SORT"})
    assert bitrix_error(refused) == ("", f"Parameter '{name}' must be array.")


def test_list_shows_labels_per_language_unless_lang_is_a_text(bx, three):
    _add(bx, "company", FIELD_NAME="REGION", USER_TYPE_ID="string", EDIT_FORM_LABEL={"de": "Region", "en": "Area"})
    assert _list(bx, "company", filter={"LANG": ["de"]})[0]["EDIT_FORM_LABEL"] == {"de": "Region", "en": "Area"}
    assert _list(bx, "company", filter={"LANG": "en"})[0]["EDIT_FORM_LABEL"] == "Area"


# --- update --------------------------------------------------------------------------------------


@pytest.fixture
def delivery(bx):
    return _add(bx, FIELD_NAME="DELIVERY", USER_TYPE_ID="string", XML_ID="delivery", SETTINGS={"SIZE": 20})


@pytest.mark.parametrize("fields", [
    {"FIELD_NAME": "UF_CRM_DELIVERY"}, {"FIELD_NAME": "uf_crm_delivery"}, {"FIELD_NAME": "DELIVERY"},
    {"USER_TYPE_ID": "string"}, {"USER_TYPE_ID": "STRING"}, {"MULTIPLE": "N"}, {"MULTIPLE": False},
    {"FIELD_NAME": "UF_CRM_DELIVERY", "USER_TYPE_ID": "string", "MULTIPLE": "N", "MANDATORY": "Y"},
])
def test_update_takes_the_fixed_fields_repeated_unchanged(bx, delivery, fields):
    assert bx.ok("crm.deal.userfield.update", {"id": delivery, "fields": fields}) is True


@pytest.mark.parametrize(("fields", "message"), [
    ({"FIELD_NAME": "UF_CRM_SHIPPING"}, "code cannot be changed (delete the field and create a new one)"),
    ({"USER_TYPE_ID": "integer"}, "type cannot be changed (delete the field and create a new one)"),
    ({"MULTIPLE": "Y"}, "multiple cannot be changed (delete the field and create a new one)"),
    ({"MANDATORY": "maybe"}, "MANDATORY must be Y or N."),
    ({"SORT": "abc"}, "sort must be an integer"),
])
def test_update_names_what_it_refuses(bx, delivery, fields, message):
    assert bitrix_error(bx.post("crm.deal.userfield.update", {"id": delivery, "fields": fields})) == ("", message)


def test_update_changes_flags_sort_xml_id_and_settings(bx, delivery):
    assert bx.ok("crm.deal.userfield.update", {"id": delivery, "fields": {
        "SHOW_IN_LIST": "N", "SHOW_FILTER": "N", "SORT": "250", "XML_ID": "shipping", "SETTINGS": {"ROWS": 3}}})
    got = bx.ok("crm.deal.userfield.get", {"id": delivery})
    assert {k: got[k] for k in ("SHOW_IN_LIST", "SHOW_FILTER", "SORT", "XML_ID", "SETTINGS")} == {
        "SHOW_IN_LIST": "N", "SHOW_FILTER": "N", "SORT": "250", "XML_ID": "shipping", "SETTINGS": {"rows": 3}}
    assert bx.ok("crm.deal.userfield.update", {"id": delivery, "fields": {"XML_ID": "", "SHOW_FILTER": "I"}})
    got = bx.ok("crm.deal.userfield.get", {"id": delivery})
    assert (got["XML_ID"], got["SHOW_FILTER"], got["SORT"]) == (None, "E", "250")


def test_update_points_a_crm_link_field_at_another_kind(bx):
    field = _add(bx, FIELD_NAME="PARTNER", USER_TYPE_ID="crm", SETTINGS={"CONTACT": "Y"})
    assert bx.ok("crm.deal.userfield.update", {"id": field, "fields": {"SETTINGS": {"COMPANY": "Y", "LEAD": "N"}}})
    assert bx.ok("crm.deal.userfield.get", {"id": field})["SETTINGS"] == {"entity": "company"}


def test_update_keeps_an_items_value_and_sort_when_only_its_default_changes(bx):
    field = _add(bx, FIELD_NAME="COLOUR", USER_TYPE_ID="enumeration",
                 LIST=[{"VALUE": "Red", "SORT": 10}, {"VALUE": "Blue", "SORT": 20}])
    red, blue = bx.ok("crm.deal.userfield.get", {"id": field})["LIST"]
    assert bx.ok("crm.deal.userfield.update", {"id": field, "fields": {"LIST": [{"ID": blue["ID"], "DEF": "Y"}]}})
    assert bx.ok("crm.deal.userfield.get", {"id": field})["LIST"] == [
        red, {"ID": blue["ID"], "SORT": "20", "VALUE": "Blue", "DEF": "Y", "XML_ID": blue["ID"]}]
