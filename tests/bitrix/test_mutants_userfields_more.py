"""crm.<kind>.userfield.*, second round: written against the survivors of the run of 5 December over
``kontor.bitrix.methods.userfields`` (var/mut-bx2) that tests/bitrix/test_mutants_userfields.py left.

Covered here: ``SHOW_FILTER`` given as Bitrix24's filter kind ``S``; the labels Kontor stores per
language from a text, from ``{de, en, …}`` (a language given, the other one, any other language, blank
or non-text entries skipped, an empty label skipped for the next key) and the error for a label of
another shape; the items of ``LIST`` on add and update (SORT as a number or a digit text, empty or
wrong, XML_ID, a changed or empty VALUE, an item without VALUE, an item that is no object) and the
order ``*.userfield.get`` lists them in; ``SETTINGS`` (empty, no object, Bitrix24's crm-type flags per
record kind, two kinds at once, an explicit ``entity``); the ``argument`` of the errors for unknown
and unsupported keys; ``LANG`` in ``*.userfield.list`` for a language without a label of its own;
``MULTIPLE`` as get answers it; get by an id of another kind and among several fields.
"""

from __future__ import annotations

import pytest

from kontor.crm.models import CustomField

from .conftest import bitrix_error

pytestmark = pytest.mark.django_db


def _add(bx, kind="deal", **fields):
    return bx.ok(f"crm.{kind}.userfield.add", {"fields": fields})


def _get(bx, field, kind="deal"):
    return bx.ok(f"crm.{kind}.userfield.get", {"id": field})


def _stored_labels(field):
    row = CustomField.objects.get(pk=field)
    return row.label_de, row.label_en


# --- flags ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["S", " s "])
def test_show_filter_takes_bitrix24s_filter_kind_s(bx, kind):
    field = _add(bx, FIELD_NAME="REGION", USER_TYPE_ID="string", SHOW_FILTER=kind)
    assert _get(bx, field)["SHOW_FILTER"] == "E"
    assert CustomField.objects.get(pk=field).show_filter is True


@pytest.mark.parametrize("flag", ["MANDATORY", "MULTIPLE", "SHOW_IN_LIST"])
@pytest.mark.parametrize("kind", ["I", "E", "S"])
def test_only_show_filter_takes_the_filter_kinds(bx, flag, kind):
    refused = bx.post("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "REGION", "USER_TYPE_ID": "string",
                                                            flag: kind}})
    assert bitrix_error(refused) == ("", f"{flag} must be Y or N.")
    assert not CustomField.objects.exists()


def test_get_answers_multiple_as_y(bx):
    field = _add(bx, FIELD_NAME="TAGS", USER_TYPE_ID="string", MULTIPLE="Y")
    assert _get(bx, field)["MULTIPLE"] == "Y"


# --- labels --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "stored"), [
    ("Size", ("Size", "Size")),
    ({"de": "Größe", "en": "Size"}, ("Größe", "Size")),
    ({"DE": "Größe"}, ("Größe", "Größe")),
    ({"fr": "Taille", "en": "Size"}, ("Size", "Size")),
    ({"fr": "Taille", "de": "Größe"}, ("Größe", "Größe")),
    ({"fr": "Taille"}, ("Taille", "Taille")),
    ({"de": "  ", "en": "Size"}, ("Size", "Size")),
    ({"de": 5, "fr": "Taille"}, ("Taille", "Taille")),
    ({"de": " "}, ("", "")),
])
def test_add_stores_a_label_per_language(bx, label, stored):
    field = _add(bx, FIELD_NAME="SIZE", USER_TYPE_ID="string", EDIT_FORM_LABEL=label)
    assert _stored_labels(field) == stored
    got = _get(bx, field)
    assert got["EDIT_FORM_LABEL"] == got["LIST_COLUMN_LABEL"] == {"de": stored[0], "en": stored[1]}


@pytest.mark.parametrize("empty", ["", {"en": ""}, {"de": " ", "en": None}])
def test_add_skips_an_empty_label_for_the_next_key(bx, empty):
    field = _add(bx, FIELD_NAME="SIZE", USER_TYPE_ID="string", EDIT_FORM_LABEL=empty, LIST_COLUMN_LABEL="Size")
    assert _stored_labels(field) == ("Size", "Size")


def test_update_stores_a_text_label_in_both_languages(bx):
    field = _add(bx, FIELD_NAME="SIZE", USER_TYPE_ID="string", EDIT_FORM_LABEL={"de": "Größe", "en": "Size"})
    assert bx.ok("crm.deal.userfield.update", {"id": field, "fields": {"LIST_FILTER_LABEL": "Format"}}) is True
    assert _stored_labels(field) == ("Format", "Format")


@pytest.mark.parametrize("label", [5, ["Size"]])
def test_add_refuses_a_label_that_is_no_text(bx, label):
    refused = bx.post("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "SIZE", "USER_TYPE_ID": "string",
                                                            "LIST_COLUMN_LABEL": label}})
    assert bitrix_error(refused) == ("", "LIST_COLUMN_LABEL must be a text or an object of texts per language.")
    assert not CustomField.objects.exists()


def test_list_with_a_lang_without_a_label_shows_the_english_one(bx):
    _add(bx, "company", FIELD_NAME="REGION", USER_TYPE_ID="string", EDIT_FORM_LABEL={"de": "Region", "en": "Area"})
    _add(bx, "company", FIELD_NAME="CITY", USER_TYPE_ID="string", SORT=200, EDIT_FORM_LABEL={"de": "Ort"})
    region, city = bx.ok("crm.company.userfield.list", {"filter": {"LANG": "fr"}})
    assert (region["EDIT_FORM_LABEL"], region["LIST_FILTER_LABEL"]) == ("Area", "Area")
    assert city["EDIT_FORM_LABEL"] == "Ort"
    assert (region["ERROR_MESSAGE"], region["HELP_MESSAGE"]) == ("", "")


# --- LIST ----------------------------------------------------------------------------------------


def _colour(bx, *items):
    return _add(bx, FIELD_NAME="COLOUR", USER_TYPE_ID="enumeration", LIST=list(items))


def test_add_takes_each_items_sort_and_xml_id(bx):
    field = _colour(bx, {"VALUE": "Red", "SORT": "300", "XML_ID": "red"}, {"VALUE": "Green", "SORT": 200},
                    {"VALUE": "Blue", "SORT": " 100 ", "XML_ID": 7})
    red, green, blue = CustomField.objects.get(pk=field).items.order_by("id")
    assert _get(bx, field)["LIST"] == [
        {"ID": str(blue.pk), "SORT": "100", "VALUE": "Blue", "DEF": "N", "XML_ID": "7"},
        {"ID": str(green.pk), "SORT": "200", "VALUE": "Green", "DEF": "N", "XML_ID": str(green.pk)},
        {"ID": str(red.pk), "SORT": "300", "VALUE": "Red", "DEF": "N", "XML_ID": "red"},
    ]


def test_add_gives_items_with_an_empty_sort_or_xml_id_the_defaults(bx):
    field = _colour(bx, {"VALUE": "Red", "SORT": "", "XML_ID": ""}, {"VALUE": "Blue", "SORT": None})
    red, blue = CustomField.objects.get(pk=field).items.order_by("id")
    assert (red.sort, red.xml_id, blue.sort, blue.xml_id) == (10, "", 20, "")
    assert _get(bx, field)["LIST"] == [
        {"ID": str(red.pk), "SORT": "10", "VALUE": "Red", "DEF": "N", "XML_ID": str(red.pk)},
        {"ID": str(blue.pk), "SORT": "20", "VALUE": "Blue", "DEF": "N", "XML_ID": str(blue.pk)},
    ]


@pytest.mark.parametrize(("item", "message"), [
    ({"VALUE": "Red", "SORT": "abc"}, "items[0]: sort must be an integer"),
    ({"SORT": 10}, "items[0]: a value of at most 255 characters is required"),
])
def test_add_names_what_is_wrong_with_an_item(bx, item, message):
    refused = bx.post("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "COLOUR", "USER_TYPE_ID": "enumeration",
                                                            "LIST": [item]}})
    assert bitrix_error(refused) == ("", message)
    assert not CustomField.objects.exists()


@pytest.mark.parametrize("items", [["Red"], [{"VALUE": "Red"}, 5]])
def test_add_refuses_list_items_that_are_no_objects(bx, items):
    refused = bx.post("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "COLOUR", "USER_TYPE_ID": "enumeration",
                                                            "LIST": items}})
    assert bitrix_error(refused) == ("", "LIST must be an array of {VALUE, SORT, DEF}.")


def test_update_changes_an_items_value_and_keeps_it_when_value_is_empty(bx):
    field = _colour(bx, {"VALUE": "Red", "SORT": 10, "XML_ID": "red"}, {"VALUE": "Blue", "SORT": 20})
    red, blue = _get(bx, field)["LIST"]
    assert bx.ok("crm.deal.userfield.update", {"id": field, "fields": {"LIST": [
        {"ID": red["ID"], "VALUE": "Crimson"}, {"ID": blue["ID"], "VALUE": "", "DEF": "Y"}]}}) is True
    assert _get(bx, field)["LIST"] == [{**red, "VALUE": "Crimson"}, {**blue, "DEF": "Y"}]


def test_update_moves_an_item_by_its_sort_text(bx):
    field = _colour(bx, {"VALUE": "Red", "SORT": 10}, {"VALUE": "Blue", "SORT": 20})
    red, blue = _get(bx, field)["LIST"]
    assert bx.ok("crm.deal.userfield.update", {"id": field, "fields": {"LIST": [
        {"ID": red["ID"], "SORT": "30", "XML_ID": "red"}]}}) is True
    assert _get(bx, field)["LIST"] == [blue, {**red, "SORT": "30", "XML_ID": "red"}]


# --- SETTINGS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "stored"), [
    ({"LEAD": "Y", "CONTACT": "N"}, {"entity": "lead"}),
    ({"DEAL": "Y"}, {"entity": "deal"}),
    ({"CONTACT": "Y", "LEAD": "N", "DEAL": "N", "COMPANY": "N"}, {"entity": "contact"}),
    ({"COMPANY": "Y", "DEAL": "N", "CONTACT": "N", "LEAD": "N"}, {"entity": "company"}),
    ({"ENTITY": "company", "CONTACT": "Y"}, {"entity": "company", "contact": "Y"}),
])
def test_add_reads_bitrix24s_crm_type_settings(bx, given, stored):
    field = _add(bx, FIELD_NAME="PARTNER", USER_TYPE_ID="crm", SETTINGS=given)
    assert _get(bx, field)["SETTINGS"] == stored


def test_add_takes_empty_settings_as_none_given(bx):
    field = _add(bx, FIELD_NAME="NOTE", USER_TYPE_ID="string", SETTINGS="")
    assert _get(bx, field)["SETTINGS"] == {}


@pytest.mark.parametrize(("given", "message"), [
    ("big", "SETTINGS must be an object."),
    ([1], "SETTINGS must be an object."),
    ({"LEAD": "Y", "DEAL": "Y"}, "SETTINGS: a CRM link field in Kontor points to one record kind."),
])
def test_add_names_what_is_wrong_with_settings(bx, given, message):
    refused = bx.post("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "PARTNER", "USER_TYPE_ID": "crm",
                                                            "SETTINGS": given}})
    assert bitrix_error(refused) == ("", message)
    assert not CustomField.objects.exists()


# --- keys Kontor does not take -------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "message"), [
    ({"EDIT_IN_LIST": "N"}, "Field 'EDIT_IN_LIST' is not supported by Kontor (only 'Y')."),
    ({"COLOR": "red"}, "Field 'COLOR' is not supported by Kontor."),
])
def test_add_and_update_name_the_fields_argument_for_unsupported_keys(bx, fields, message):
    refused = bx.post("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "SIZE", "USER_TYPE_ID": "string", **fields}})
    assert refused.status_code == 400, refused.content
    assert refused.json() == {"error": "ERROR_ARGUMENT", "error_description": message, "argument": "fields"}
    field = _add(bx, FIELD_NAME="SIZE", USER_TYPE_ID="string")
    refused = bx.post("crm.deal.userfield.update", {"id": field, "fields": fields})
    assert refused.status_code == 400, refused.content
    assert refused.json() == {"error": "ERROR_ARGUMENT", "error_description": message, "argument": "fields"}


# --- get -----------------------------------------------------------------------------------------


def test_get_finds_the_field_of_its_id_among_several(bx):
    _add(bx, FIELD_NAME="FIRST", USER_TYPE_ID="string", SORT=10)
    second = _add(bx, FIELD_NAME="SECOND", USER_TYPE_ID="string", SORT=20)
    assert _get(bx, second)["FIELD_NAME"] == "UF_CRM_SECOND"


def test_get_does_not_answer_with_a_field_of_another_kind(bx):
    lead_field = _add(bx, "lead", FIELD_NAME="SOURCE_NOTE", USER_TYPE_ID="string")
    assert bitrix_error(bx.post("crm.deal.userfield.get", {"id": lead_field})) == ("", "Not found")
    assert _get(bx, lead_field, "lead")["ENTITY_ID"] == "CRM_LEAD"
