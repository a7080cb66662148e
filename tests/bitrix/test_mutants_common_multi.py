"""Multi-field items (PHONE/EMAIL), reference ids and the shared record methods of
``kontor.bitrix.methods.common``: written against the survivors of the exact run of 5 December
(``var/mut-bx1``) in ``multi_in_add``, ``multi_in_update``, ``comm_keys``, ``ref_in`` and
``Entity.register``.

Covered here: each of crm.lead/deal/contact/company.add/get/update/list/fields/delete answering;
multi-field items of an ``add`` in lower-case keys, empty items skipped without ending the list,
plain strings stored as typed, anything else refused with Bitrix24's message; the update rules of
BITRIX24_REST.md §2 (``{ID, VALUE}`` overwrites, ``VALUE_TYPE`` retypes, ``DELETE: "Y"`` and a bare
``{ID}`` delete, rows not named keep their value and type, an unknown ``ID`` is skipped) in upper and
lower case; ``0``/``"0"``/``""`` as "no reference"; the keys crm.duplicate.findbycomm and the PHONE
filter look numbers and e-mails up under.
"""

from __future__ import annotations

import pytest

from .conftest import Wire, bitrix_error

pytestmark = pytest.mark.django_db

MULTI_ERROR = "Multi-field items must be objects with VALUE and VALUE_TYPE."


def _phones(bx: Wire, pk: int, field: str = "PHONE") -> list[tuple[str, str]]:
    return [(p["VALUE"], p["VALUE_TYPE"]) for p in bx.ok("crm.contact.get", {"id": pk}).get(field, [])]


def _rows(bx: Wire, pk: int) -> list[dict]:
    return bx.ok("crm.contact.get", {"id": pk}).get("PHONE", [])


# --- Entity.register: the six methods of every record kind ---------------------------------------

ADD = {"lead": ("TITLE", "Anfrage"), "deal": ("TITLE", "Relaunch"), "contact": ("NAME", "Erika"),
       "company": ("TITLE", "Muster GmbH")}


@pytest.mark.parametrize("kind", sorted(ADD))
def test_every_record_kind_answers_add_get_update_list_fields_delete(bx, classic_mode, kind):
    field, value = ADD[kind]
    pk = bx.ok(f"crm.{kind}.add", {"fields": {field: value}})
    assert isinstance(pk, int) and pk > 0
    assert bx.ok(f"crm.{kind}.get", {"id": pk})[field] == value
    assert bx.ok(f"crm.{kind}.update", {"id": pk, "fields": {field: "Changed"}}) is True
    assert [(r["ID"], r[field]) for r in bx.ok(f"crm.{kind}.list", {"select": ["ID", field]})] == [
        (str(pk), "Changed")]
    fields = bx.ok(f"crm.{kind}.fields")
    assert fields["ID"]["type"] == "integer" and fields[field]["type"] == "string"
    assert bx.ok(f"crm.{kind}.delete", {"id": pk}) is True
    assert bitrix_error(bx.post(f"crm.{kind}.get", {"id": pk}))[1] == "Not found"


# --- multi_in_add ---------------------------------------------------------------------------------

def test_add_reads_lower_case_item_keys(bx, classic_mode):
    pk = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": [
        {"value": "+49 30 1234567", "value_type": "home"}]}})
    assert _phones(bx, pk) == [("+49 30 1234567", "HOME")]


def test_add_reads_upper_case_item_keys_and_types_default_to_work(bx, classic_mode):
    pk = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": [
        {"VALUE": "+49 30 1234567", "VALUE_TYPE": "mobile"}, {"VALUE": "+49 30 7654321"}]}})
    assert _phones(bx, pk) == [("+49 30 1234567", "MOBILE"), ("+49 30 7654321", "WORK")]


def test_add_skips_empty_items_and_keeps_the_ones_after_them(bx, classic_mode):
    pk = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": [
        {"VALUE": ""}, {"VALUE": None, "VALUE_TYPE": "HOME"}, {"value": ""},
        {"VALUE": "+49 30 1234567", "VALUE_TYPE": "MOBILE"}, {"VALUE": ""}, "+49 30 7654321"]}})
    assert _phones(bx, pk) == [("+49 30 1234567", "MOBILE"), ("+49 30 7654321", "WORK")]


def test_add_stores_plain_strings_as_typed_even_when_no_phone(bx, classic_mode):
    pk = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": ["call me after 5pm", "+49 30 1234567"],
                                              "EMAIL": ["erika at example"]}})
    assert _phones(bx, pk) == [("call me after 5pm", "WORK"), ("+49 30 1234567", "WORK")]
    assert _phones(bx, pk, "EMAIL") == [("erika at example", "WORK")]


@pytest.mark.parametrize("items", [[123], ["   "], [None], [["+49 30 1234567"]], [True],
                                   ["+49 30 1234567", 5]])
def test_add_refuses_items_that_are_neither_objects_nor_text(bx, classic_mode, items):
    response = bx.post("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": items}})
    assert bitrix_error(response) == ("", MULTI_ERROR)
    assert bx.ok("crm.contact.list") == []


# --- multi_in_update ------------------------------------------------------------------------------

@pytest.fixture
def contact(bx, classic_mode) -> tuple[int, int, int]:
    """A contact with a HOME phone and a MOBILE junk "phone": its id and the two rows' ids."""
    pk = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": [
        {"VALUE": "+49 30 1111111", "VALUE_TYPE": "HOME"}, {"VALUE": "call me later", "VALUE_TYPE": "MOBILE"}]}})
    first, second = (int(r["ID"]) for r in _rows(bx, pk))
    return pk, first, second


def test_update_adding_an_item_keeps_the_others_with_their_types(bx, contact):
    pk, first, second = contact
    assert bx.ok("crm.contact.update", {"id": pk, "fields": {"PHONE": [{"VALUE": "+49 30 2222222"}]}}) is True
    rows = _rows(bx, pk)
    assert [(int(r["ID"]), r["VALUE"], r["VALUE_TYPE"]) for r in rows[:2]] == [
        (first, "+49 30 1111111", "HOME"), (second, "call me later", "MOBILE")]
    assert [(r["VALUE"], r["VALUE_TYPE"]) for r in rows[2:]] == [("+49 30 2222222", "WORK")]


def _naming(item: dict, first: int) -> dict:
    """``item`` with its ``"{first}"`` placeholders replaced by the first phone row's id."""
    return {k: (first if v == "{first}" else v) for k, v in item.items()}


@pytest.mark.parametrize("item", [
    {"ID": "{first}", "VALUE": "+49 30 3333333", "VALUE_TYPE": "fax"},
    {"id": "{first}", "value": "+49 30 3333333", "value_type": "FAX"},
    {"ID": "{first}", "value": "+49 30 3333333", "VALUE_TYPE": "Fax"},
    {"id": "{first}", "VALUE": "+49 30 3333333", "value_type": "fax"},
])
def test_update_overwrites_a_named_row_in_place(bx, contact, item):
    pk, first, second = contact
    item = _naming(item, first)
    assert bx.ok("crm.contact.update", {"id": pk, "fields": {"PHONE": [item]}}) is True
    assert [(int(r["ID"]), r["VALUE"], r["VALUE_TYPE"]) for r in _rows(bx, pk)] == [
        (first, "+49 30 3333333", "FAX"), (second, "call me later", "MOBILE")]


def test_update_without_a_type_keeps_the_rows_type(bx, contact):
    pk, first, second = contact
    bx.ok("crm.contact.update", {"id": pk, "fields": {"PHONE": [{"ID": first, "VALUE": "+49 30 4444444"}]}})
    assert [(int(r["ID"]), r["VALUE"], r["VALUE_TYPE"]) for r in _rows(bx, pk)] == [
        (first, "+49 30 4444444", "HOME"), (second, "call me later", "MOBILE")]


@pytest.mark.parametrize("item", [
    {"ID": "{first}", "DELETE": "Y", "VALUE": "+49 30 5555555"},
    {"ID": "{first}", "DELETE": "Y"},
    {"ID": "{first}"},
    {"ID": "{first}", "VALUE": ""},
    {"id": "{first}", "VALUE": None},
])
def test_update_deletes_a_row(bx, contact, item):
    pk, first, second = contact
    item = _naming(item, first)
    assert bx.ok("crm.contact.update", {"id": pk, "fields": {"PHONE": [item]}}) is True
    assert [(int(r["ID"]), r["VALUE"]) for r in _rows(bx, pk)] == [(second, "call me later")]


@pytest.mark.parametrize("item", [
    {"ID": "{first}", "DELETE": "N", "VALUE": "+49 30 6666666"},
    {"ID": "{first}", "delete": "Y", "VALUE": "+49 30 6666666"},
    {"ID": "{first}", "N": "Y", "VALUE": "+49 30 6666666"},
])
def test_update_keeps_a_row_not_marked_delete(bx, contact, item):
    pk, first, second = contact
    item = _naming(item, first)
    bx.ok("crm.contact.update", {"id": pk, "fields": {"PHONE": [item]}})
    assert [(int(r["ID"]), r["VALUE"], r["VALUE_TYPE"]) for r in _rows(bx, pk)] == [
        (first, "+49 30 6666666", "HOME"), (second, "call me later", "MOBILE")]


def test_update_skips_empty_new_items_and_unknown_ids_and_goes_on(bx, contact):
    pk, _first, _second = contact
    other = bx.ok("crm.contact.add", {"fields": {"NAME": "Max", "PHONE": ["+49 30 9999999"]}})
    foreign = int(_rows(bx, other)[0]["ID"])
    bx.ok("crm.contact.update", {"id": pk, "fields": {"PHONE": [
        {"VALUE": ""}, {"VALUE": None}, {"value": ""}, {"ID": 999999, "VALUE": "+49 30 1212121"},
        {"ID": foreign, "VALUE": "+49 30 1313131"}, {"value": "+49 30 7777777", "value_type": "mobile"},
        {"VALUE": ""}, {"VALUE": "+49 30 8888888"}]}})
    rows = _rows(bx, pk)
    assert [(r["VALUE"], r["VALUE_TYPE"]) for r in rows] == [
        ("+49 30 1111111", "HOME"), ("call me later", "MOBILE"), ("+49 30 7777777", "MOBILE"),
        ("+49 30 8888888", "WORK")]
    assert _phones(bx, other) == [("+49 30 9999999", "WORK")]


@pytest.mark.parametrize("items", [["+49 30 1234567"], [123], [None], [["x"]]])
def test_update_refuses_items_that_are_no_objects(bx, contact, items):
    pk, first, second = contact
    assert bitrix_error(bx.post("crm.contact.update", {"id": pk, "fields": {"PHONE": items}})) == ("", MULTI_ERROR)
    assert [int(r["ID"]) for r in _rows(bx, pk)] == [first, second]


# --- ref_in: 0, "0" and "" mean "no reference" ----------------------------------------------------

@pytest.mark.parametrize("none", [0, "0", " 0 ", "", None])
def test_zero_and_empty_references_mean_none(bx, classic_mode, none):
    pk = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "COMPANY_ID": none, "ASSIGNED_BY_ID": none}})
    contact = bx.ok("crm.contact.get", {"id": pk})
    assert contact["COMPANY_ID"] is None
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "Relaunch", "CATEGORY_ID": none, "CONTACT_IDS": [none, pk]}})
    got = bx.ok("crm.deal.get", {"id": deal})
    assert got["CATEGORY_ID"] == "0" and got["CONTACT_IDS"] == [pk]


def test_a_real_reference_is_kept(bx, classic_mode):
    company = bx.ok("crm.company.add", {"fields": {"TITLE": "Muster GmbH"}})
    pk = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "COMPANY_ID": str(company)}})
    assert bx.ok("crm.contact.get", {"id": pk})["COMPANY_ID"] == str(company)


# --- comm_keys: what findbycomm and the PHONE filter look up ---------------------------------------

@pytest.fixture
def russian(bx, classic_mode) -> int:
    return bx.ok("crm.contact.add", {"fields": {"NAME": "Ivan", "PHONE": [{"VALUE": "+7 900 123-45-67"}]}})


@pytest.mark.parametrize("number", ["79001234567", "7 900 123 45 67", "(7900) 123-45-67", "+7 900 123 45 67"])
def test_findbycomm_reads_numbers_as_international_too(bx, russian, number):
    assert bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": [number]}) == {"CONTACT": [russian]}


@pytest.mark.parametrize("number", ["X79001234567", "-7 900 123 45 67", ".7 900 123 45 67", "12"])
def test_findbycomm_reads_no_international_number_into_other_text(bx, russian, number):
    assert bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": [number]}) == []


@pytest.mark.parametrize("value", ["12", "abc", "+", "7"])
def test_phone_filter_with_a_value_that_is_no_number_finds_nothing(bx, russian, value):
    assert bx.ok("crm.contact.list", {"filter": {"PHONE": value}}) == []
    assert bx.ok("crm.contact.list", {"filter": {"!PHONE": value}, "select": ["ID"]}) == [{"ID": str(russian)}]


def test_findbycomm_finds_an_email_under_its_normalised_form(bx, classic_mode):
    # U+212A KELVIN SIGN is a valid local part; its normalised form keeps it (lower() would make it "k").
    kelvin = bx.ok("crm.contact.add", {"fields": {"NAME": "K", "EMAIL": [{"VALUE": "\u212a@example.com"}]}})
    plain = bx.ok("crm.contact.add", {"fields": {"NAME": "k", "EMAIL": [{"VALUE": "K@Example.com"}]}})
    assert bx.ok("crm.duplicate.findbycomm", {"type": "EMAIL", "values": ["\u212a@EXAMPLE.com"]}) == {
        "CONTACT": [kelvin]}
    assert bx.ok("crm.duplicate.findbycomm", {"type": "EMAIL", "values": [" k@example.COM "]}) == {
        "CONTACT": [plain]}
