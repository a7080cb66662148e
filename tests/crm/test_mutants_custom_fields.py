"""Defining and changing a custom field: behaviour the surviving mutants of ``custom_field_create`` and
``custom_field_update`` showed untested (docs/mutation.md).

What an admin sees: the stored definition with every default, each refusal (code, message, field) with
nothing written, the audit entry, the index a filter needs, the enumeration's items.
"""

from __future__ import annotations

import pytest
from django.db import connection

from kontor.core.errors import ErrorCode
from kontor.crm.enums import EntityType
from kontor.crm.filtering import uf_index_sql
from kontor.crm.models import AuditLog, CustomField, CustomFieldItem
from kontor.crm.services.custom_fields import custom_field_create, custom_field_update

from .conftest import refusal

pytestmark = pytest.mark.django_db

TYPES = "string, integer, double, money, boolean, date, datetime, enumeration, url, employee, crm"


def _stored(field: CustomField) -> dict:
    row = CustomField.objects.get(pk=field.pk)
    return {name: getattr(row, name) for name in (
        "entity_type", "code", "type", "multiple", "mandatory", "sort", "label_de", "label_en", "show_in_list",
        "show_filter", "settings", "xml_id")}


def _indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def _items(field: CustomField) -> list[tuple]:
    return list(CustomFieldItem.objects.filter(field=field).order_by("sort", "id")
                .values_list("value", "sort", "is_default", "xml_id"))


# --- creating -------------------------------------------------------------------------------------


def test_a_field_defined_with_only_code_and_type_takes_the_documented_defaults():
    field = custom_field_create(entity_type=EntityType.DEAL, code="weight", type="integer")
    assert _stored(field) == {
        "entity_type": EntityType.DEAL, "code": "UF_CRM_WEIGHT", "type": "integer", "multiple": False,
        "mandatory": False, "sort": 100, "label_de": "", "label_en": "", "show_in_list": True,
        "show_filter": True, "settings": {}, "xml_id": ""}
    assert not CustomFieldItem.objects.exists()


def test_every_given_attribute_is_stored_cleaned():
    field = custom_field_create(
        entity_type=EntityType.CONTACT, code="UF_CRM_SHOE", type="  String ", label_de=" Schuhgröße ",
        label_en=" Shoe size ", multiple="Y", mandatory=1, sort=-7, show_in_list="N", show_filter=False,
        settings={"rows": 3}, xml_id=" SHOE ")
    assert _stored(field) == {
        "entity_type": EntityType.CONTACT, "code": "UF_CRM_SHOE", "type": "string", "multiple": True,
        "mandatory": True, "sort": -7, "label_de": "Schuhgröße", "label_en": "Shoe size", "show_in_list": False,
        "show_filter": False, "settings": {"rows": 3}, "xml_id": "SHOE"}


def test_a_crm_link_field_links_contacts_unless_told_otherwise():
    contact_link = custom_field_create(entity_type=EntityType.DEAL, code="PARTNER", type="crm")
    company_link = custom_field_create(entity_type=EntityType.DEAL, code="SUPPLIER", type="crm",
                                       settings={"entity": "Company"})
    assert CustomField.objects.get(pk=contact_link.pk).settings == {"entity": "contact"}
    assert CustomField.objects.get(pk=company_link.pk).settings == {"entity": "company"}


def test_defining_a_field_is_audited_and_indexes_its_values(admin_user):
    index = uf_index_sql(EntityType.LEAD, "uf_crm_budget")[1].split('"')[1]
    assert index not in _indexes("crm_lead")
    custom_field_create(actor=admin_user, entity_type=EntityType.LEAD, code="budget", type="money")
    assert index in _indexes("crm_lead")
    entry = AuditLog.objects.get(action="custom_field.create")
    assert (entry.actor, entry.data) == (admin_user, {"entity": "lead", "code": "UF_CRM_BUDGET", "type": "money"})


def test_an_enumeration_keeps_its_items_in_order_with_their_defaults():
    field = custom_field_create(entity_type=EntityType.DEAL, code="SIZE", type="enumeration",
                                items=["S", {"value": " M ", "is_default": "Y", "xml_id": "m"},
                                       {"value": "L", "sort": 5}])
    assert _items(field) == [("L", 5, False, ""), ("S", 10, False, ""), ("M", 20, True, "m")]


def test_an_empty_item_list_is_allowed_on_a_field_without_items():
    field = custom_field_create(entity_type=EntityType.DEAL, code="NOTE", type="string", items=[])
    assert CustomField.objects.filter(pk=field.pk).exists()


def _nothing_defined() -> None:
    assert not CustomField.objects.exists()
    assert not CustomFieldItem.objects.exists()
    assert not AuditLog.objects.filter(action="custom_field.create").exists()


@pytest.mark.parametrize(("kwargs", "message", "field"), [
    ({"type": "colour"}, f"type: 'colour' is not a custom field type (one of {TYPES})", "type"),
    ({"type": None}, f"type: 'None' is not a custom field type (one of {TYPES})", "type"),
    ({"type": "string", "sort": "1"}, "sort must be an integer", "sort"),
    ({"type": "string", "sort": True}, "sort must be an integer", "sort"),
    ({"type": "string", "sort": 2**31}, "sort is out of range", "sort"),
    ({"type": "string", "sort": -(2**31) - 1}, "sort is out of range", "sort"),
    ({"type": "string", "multiple": "maybe"}, "multiple must be true or false", "multiple"),
    ({"type": "string", "mandatory": 2}, "mandatory must be true or false", "mandatory"),
    ({"type": "string", "show_in_list": "?"}, "show_in_list must be true or false", "show_in_list"),
    ({"type": "string", "show_filter": None}, "show_filter must be true or false", "show_filter"),
    ({"type": "string", "label_de": 5}, "label_de must be a text of at most 255 characters", "label_de"),
    ({"type": "string", "label_en": "x" * 256}, "label_en must be a text of at most 255 characters", "label_en"),
    ({"type": "string", "xml_id": ["x"]}, "xml_id must be a text of at most 255 characters", "xml_id"),
    ({"type": "string", "settings": "wide"}, "settings must be an object", "settings"),
    ({"type": "crm", "settings": {"entity": "invoice"}},
     "settings.entity must be one of lead, deal, contact, company", "settings"),
    ({"type": "string", "items": ["a"]}, "items: only enumeration fields have items", "items"),
    ({"type": "enumeration", "items": ["a", ""]}, "items[1]: a value of at most 255 characters is required", "items"),
    ({"type": "enumeration", "items": ["a", {"value": "b", "sort": "2"}]}, "items[1]: sort must be an integer",
     "items"),
    ({"type": "enumeration", "items": [{"value": "a", "sort": 2**31}]}, "items[0]: sort is out of range", "items"),
])
def test_a_bad_definition_is_refused_naming_its_field_and_writes_nothing(admin_user, kwargs, message, field):
    err = refusal(lambda: custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="NEW", **kwargs))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)
    _nothing_defined()


def test_the_extreme_sorts_a_database_integer_holds_are_accepted():
    low = custom_field_create(entity_type=EntityType.DEAL, code="LOW", type="string", sort=-(2**31))
    high = custom_field_create(entity_type=EntityType.DEAL, code="HIGH", type="string", sort=2**31 - 1)
    assert CustomField.objects.get(pk=low.pk).sort == -(2**31)
    assert CustomField.objects.get(pk=high.pk).sort == 2**31 - 1


def test_a_code_taken_on_the_same_kind_is_a_conflict_but_another_kind_may_use_it(admin_user):
    custom_field_create(entity_type=EntityType.DEAL, code="WEIGHT", type="integer")
    err = refusal(lambda: custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="uf_crm_weight",
                                              type="string"))
    assert (err.code, err.message, err.field) == (ErrorCode.CONFLICT, "UF_CRM_WEIGHT already exists on deals", "code")
    assert CustomField.objects.get(code="UF_CRM_WEIGHT").type == "integer"
    on_leads = custom_field_create(entity_type=EntityType.LEAD, code="WEIGHT", type="string")
    assert CustomField.objects.get(pk=on_leads.pk).entity_type == EntityType.LEAD


# --- changing -------------------------------------------------------------------------------------


@pytest.fixture
def size(admin_user) -> CustomField:
    return custom_field_create(entity_type=EntityType.DEAL, code="SIZE", type="enumeration", label_en="Size",
                               sort=50, items=["S", "M"])


def test_a_change_is_stored_cleaned_and_audited_with_the_names_changed(admin_user, size):
    returned = custom_field_update(field=size, actor=admin_user, data={
        "label_de": " Größe ", "label_en": None, "xml_id": " SZ ", "mandatory": "Y", "show_in_list": 0,
        "show_filter": "false", "sort": 7, "settings": {"display": "list"}})
    expected = {"label_de": "Größe", "label_en": "", "xml_id": "SZ", "mandatory": True, "show_in_list": False,
                "show_filter": False, "sort": 7, "settings": {"display": "list"}}
    stored = _stored(size)
    assert {k: stored[k] for k in expected} == expected
    assert {k: getattr(returned, k) for k in expected} == expected
    assert (stored["code"], stored["type"], stored["multiple"]) == ("UF_CRM_SIZE", "enumeration", False)
    entry = AuditLog.objects.get(action="custom_field.update")
    assert (entry.actor, entry.data) == (admin_user, {"code": "UF_CRM_SIZE", "changed": [
        "label_de", "label_en", "mandatory", "settings", "show_filter", "show_in_list", "sort", "xml_id"]})


def test_a_change_leaves_what_it_does_not_name(size):
    custom_field_update(field=size, data={"label_de": "Größe"})
    stored = _stored(size)
    assert (stored["label_en"], stored["sort"], stored["show_in_list"], stored["mandatory"]) == (
        "Size", 50, True, False)
    assert _items(size) == [("S", 10, False, ""), ("M", 20, False, "")]


def test_a_change_reads_the_stored_definition_not_the_callers_copy(size):
    stale = CustomField.objects.get(pk=size.pk)
    custom_field_update(field=size, data={"label_de": "Größe"})
    custom_field_update(field=stale, data={"sort": 9})
    stored = _stored(size)
    assert (stored["label_de"], stored["sort"]) == ("Größe", 9)


def test_items_are_added_renamed_and_removed(size):
    small, medium = CustomFieldItem.objects.filter(field=size).order_by("sort")
    custom_field_update(field=size, data={"items": [
        {"id": small.pk, "value": "Small", "sort": 30}, {"id": medium.pk, "delete": True}, "XL"]})
    assert _items(size) == [("Small", 30, False, ""), ("XL", 30, False, "")]
    entry = AuditLog.objects.get(action="custom_field.update")
    assert entry.data == {"code": "UF_CRM_SIZE", "changed": ["items"]}


def test_a_crm_link_fields_settings_are_checked_again_on_change():
    link = custom_field_create(entity_type=EntityType.DEAL, code="PARTNER", type="crm")
    custom_field_update(field=link, data={"settings": {"entity": "LEAD"}})
    assert _stored(link)["settings"] == {"entity": "lead"}
    err = refusal(lambda: custom_field_update(field=link, data={"settings": {"entity": "user"}}))
    assert (err.code, err.message, err.field) == (
        ErrorCode.VALIDATION, "settings.entity must be one of lead, deal, contact, company", "settings")
    assert _stored(link)["settings"] == {"entity": "lead"}


@pytest.mark.parametrize(("data", "message", "field"), [
    ({"code": "UF_CRM_OTHER"}, "code cannot be changed (delete the field and create a new one)", "code"),
    ({"type": "string", "label_de": "x"}, "type cannot be changed (delete the field and create a new one)", "type"),
    ({"type": "string", "multiple": True}, "multiple cannot be changed (delete the field and create a new one)",
     "multiple"),
    ({"entity": "lead"}, "entity cannot be changed (delete the field and create a new one)", "entity"),
    ({"entity_type": 1}, "entity_type cannot be changed (delete the field and create a new one)", "entity_type"),
    ({"labels": "x", "colour": "red", "label_de": "ok"}, "unknown field(s): colour, labels", "colour"),
    ({"label_de": "Größe", "sort": "first"}, "sort must be an integer", "sort"),
    ({"label_de": "Größe", "sort": False}, "sort must be an integer", "sort"),
    ({"label_de": "Größe", "sort": 2**31}, "sort is out of range", "sort"),
    ({"label_de": "Größe", "sort": -(2**31) - 1}, "sort is out of range", "sort"),
    ({"label_de": "Größe", "mandatory": "often"}, "mandatory must be true or false", "mandatory"),
    ({"label_de": "Größe", "show_in_list": "often"}, "show_in_list must be true or false", "show_in_list"),
    ({"label_de": "Größe", "show_filter": "often"}, "show_filter must be true or false", "show_filter"),
    ({"label_de": "Größe", "label_en": 3}, "label_en must be a text of at most 255 characters", "label_en"),
    ({"label_de": "Größe", "xml_id": 3}, "xml_id must be a text of at most 255 characters", "xml_id"),
    ({"label_de": "Größe", "settings": ["x"]}, "settings must be an object", "settings"),
    ({"label_de": "Größe", "items": [{"id": 999999, "value": "X"}]},
     "items: item 999999 does not belong to UF_CRM_SIZE", "items"),
    ({"label_de": "Größe", "items": "S, M"}, "items must be a list", "items"),
])
def test_a_bad_change_is_refused_naming_its_field_and_changes_nothing(size, data, message, field):
    before, items = _stored(size), _items(size)
    err = refusal(lambda: custom_field_update(field=size, data=data))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)
    assert (_stored(size), _items(size)) == (before, items)
    assert not AuditLog.objects.filter(action="custom_field.update").exists()


def test_items_on_a_field_without_items_are_refused_and_its_labels_stay():
    note = custom_field_create(entity_type=EntityType.DEAL, code="NOTE", type="string", label_en="Note")
    err = refusal(lambda: custom_field_update(field=note, data={"label_en": "Remark", "items": ["a"]}))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "items: only enumeration fields have items",
                                                  "items")
    assert _stored(note)["label_en"] == "Note"
    assert not CustomFieldItem.objects.exists()
