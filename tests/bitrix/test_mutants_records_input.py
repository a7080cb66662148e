"""crm.lead/deal/contact/company.* input and output, written against the 77 mutants of
``kontor.bitrix.methods.records`` the exact run of 5 December (var/mut-bx1) left unchecked or alive.

Covered here: the facade-only fields a client may send back (``IS_MANUAL_OPPORTUNITY`` any Y/N,
``IS_MY_COMPANY`` and ``IS_RECURRING`` only ``N``) and the refusals of other values, of undefined
``UF_*`` fields and of unknown fields, word for word with their ``argument``; a field after an accepted one
still stored; numbers and flags in text fields stored as text; empty dates and texts answered as ``""``
and ``null``; ``HAS_PHONE`` / ``HAS_EMAIL`` each from its own kind of multi-field, also when they are the
only fields selected, and a list that selects no multi-field not reading them; a lead and a contact with
the same id keeping their multi-fields apart (on read and on update); ``PHONE`` filters with lists
(``=`` and ``@``) and non-text values; the name in the refusal of a non-equality ``STATUS_SEMANTIC_ID``
filter; ``CONTACT_ID: 0`` on a deal (alone it clears the contacts, beside ``CONTACT_IDS`` it is ignored);
crm.item.* reading the custom field definitions once per call.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kontor.crm.models import Communication, Company, Contact, CustomField, Deal, DealContact, Lead

from .conftest import Wire
from .test_mutants_records_more import ADD

pytestmark = pytest.mark.django_db

PHONE = [{"VALUE": "+7 900 123-45-67", "VALUE_TYPE": "WORK"}]
EMAIL = [{"VALUE": "erika@example.org", "VALUE_TYPE": "WORK"}]


def _body(response) -> dict[str, Any]:
    assert response.status_code == 400, response.content
    return response.json()


def _argument_error(description: str, argument: str) -> dict[str, Any]:
    return {"error": "ERROR_ARGUMENT", "error_description": description, "argument": argument}


def _values(items: list[dict[str, Any]]) -> list[str]:
    return [item["VALUE"] for item in items]


# --- facade-only fields a client may send back --------------------------------------------------


@pytest.mark.parametrize("flag", ["Y", "N", True, 0])
def test_a_lead_takes_is_manual_opportunity_as_any_y_n_and_stores_the_fields_after_it(bx, classic_mode, flag):
    pk = bx.ok("crm.lead.add", {"fields": {"IS_MANUAL_OPPORTUNITY": flag, "TITLE": "Anfrage",
                                           "OPPORTUNITY": 250, "COMMENTS": "after the flag"}})
    lead = Lead.objects.get(pk=pk)
    assert (lead.title, lead.opportunity, lead.comments) == ("Anfrage", 250, "after the flag")
    assert bx.ok("crm.lead.update", {"id": pk, "fields": {"IS_MANUAL_OPPORTUNITY": flag, "TITLE": "Neu"}}) is True
    assert Lead.objects.get(pk=pk).title == "Neu"


@pytest.mark.parametrize("flag", ["maybe", None, [1]])
def test_a_lead_refuses_an_is_manual_opportunity_that_is_no_y_n(bx, classic_mode, flag):
    response = bx.post("crm.lead.add", {"fields": {"TITLE": "Anfrage", "IS_MANUAL_OPPORTUNITY": flag}})
    assert _body(response) == _argument_error(
        "Field 'IS_MANUAL_OPPORTUNITY': Kontor supports only 'Y/N'.", "fields")
    assert not Lead.objects.exists()


@pytest.mark.parametrize(("kind", "name"), [("company", "IS_MY_COMPANY"), ("deal", "IS_RECURRING")])
def test_a_flag_kontor_only_has_as_n_takes_n_and_refuses_y(bx, classic_mode, kind, name):
    model = {"company": Company, "deal": Deal}[kind]
    pk = bx.ok(f"crm.{kind}.add", {"fields": {name: "N", **ADD[kind], "COMMENTS": "kept"}})
    assert model.objects.get(pk=pk).comments == "kept"
    assert bx.ok(f"crm.{kind}.get", {"id": pk})[name] == "N"
    for value in ("Y", True, "maybe"):
        response = bx.post(f"crm.{kind}.update", {"id": pk, "fields": {name: value, "COMMENTS": "changed"}})
        assert _body(response) == _argument_error(f"Field '{name}': Kontor supports only 'N'.", "fields")
    assert model.objects.get(pk=pk).comments == "kept"


# --- unknown fields ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["lead", "deal", "contact", "company"])
def test_an_undefined_user_field_is_refused_naming_the_userfield_method(bx, classic_mode, kind):
    for key in ("UF_CRM_NOPE", "uf_crm_nope"):
        response = bx.post(f"crm.{kind}.add", {"fields": {**ADD[kind], key: "x"}})
        assert _body(response) == _argument_error(
            f"Field 'UF_CRM_NOPE' is not defined for {kind}s (create it with crm.{kind}.userfield.add first).",
            "fields")


@pytest.mark.parametrize("kind", ["lead", "deal", "contact", "company"])
def test_an_unknown_field_is_refused_naming_it(bx, classic_mode, kind):
    pk = bx.ok(f"crm.{kind}.add", {"fields": ADD[kind]})
    for key in ("NOPE", "xuf_crm_nope"):
        response = bx.post(f"crm.{kind}.update", {"id": pk, "fields": {key: "x"}})
        assert _body(response) == _argument_error(
            f"Field '{key.upper()}' is not supported by Kontor for {kind}s.", "fields")


# --- text, dates and empty values -----------------------------------------------------------------


@pytest.mark.parametrize(("raw", "stored"), [(12, "12"), (2.5, "2.5"), (True, "Y"), (False, "N")])
def test_a_number_or_flag_in_a_text_field_is_stored_as_text(bx, classic_mode, raw, stored):
    pk = bx.ok("crm.lead.add", {"fields": {"TITLE": raw, "COMMENTS": raw, "SOURCE_DESCRIPTION": raw}})
    lead = Lead.objects.get(pk=pk)
    assert (lead.title, lead.comments, lead.source_description) == (stored, stored, stored)
    assert bx.ok("crm.lead.get", {"id": pk})["TITLE"] == stored


@pytest.mark.parametrize("kind", ["lead", "contact"])
def test_an_empty_date_is_an_empty_string_and_an_empty_text_null(bx, classic_mode, kind):
    pk = bx.ok(f"crm.{kind}.add", {"fields": {**ADD[kind], "COMMENTS": ""}})
    model = {"lead": Lead, "contact": Contact}[kind]
    assert model.objects.get(pk=pk).comments == ""
    got = bx.ok(f"crm.{kind}.get", {"id": pk})
    listed = bx.ok(f"crm.{kind}.list", {"filter": {"ID": pk}, "select": ["BIRTHDATE", "COMMENTS", "POST"]})[0]
    for data in (got, listed):
        assert (data["BIRTHDATE"], data["COMMENTS"], data["POST"]) == ("", None, None)


# --- HAS_PHONE, HAS_EMAIL and the multi-fields of a page ----------------------------------------


@pytest.mark.parametrize("kind", ["lead", "contact", "company"])
def test_has_phone_and_has_email_each_read_their_own_multi_field(bx, classic_mode, kind):
    phone = bx.ok(f"crm.{kind}.add", {"fields": {**ADD[kind], "PHONE": PHONE}})
    email = bx.ok(f"crm.{kind}.add", {"fields": {**ADD[kind], "EMAIL": EMAIL}})
    expected = {phone: ("Y", "N"), email: ("N", "Y")}
    for pk, flags in expected.items():
        got = bx.ok(f"crm.{kind}.get", {"id": pk})
        assert (got["HAS_PHONE"], got["HAS_EMAIL"]) == flags
    listed = bx.ok(f"crm.{kind}.list", {"order": {"ID": "ASC"}})
    assert {int(r["ID"]): (r["HAS_PHONE"], r["HAS_EMAIL"]) for r in listed} == expected


@pytest.mark.parametrize("name", ["HAS_PHONE", "HAS_EMAIL"])
def test_has_phone_or_has_email_alone_in_select_still_reads_the_multi_fields(bx, classic_mode, name):
    pk = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": PHONE, "EMAIL": EMAIL}})
    rows = bx.ok("crm.contact.list", {"select": [name]})
    assert rows == [{"ID": str(pk), name: "Y"}]


def test_a_list_selecting_no_multi_field_does_not_read_them(bx, classic_mode):
    pk = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": PHONE}})
    table = Communication._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        rows = bx.ok("crm.contact.list", {"select": ["ID", "NAME"]})
    assert rows == [{"ID": str(pk), "NAME": "Erika"}]
    assert [q["sql"] for q in queries.captured_queries if table in q["sql"]] == []
    with CaptureQueriesContext(connection) as queries:
        rows = bx.ok("crm.contact.list", {"select": ["ID", "PHONE"]})
    assert _values(rows[0]["PHONE"]) == ["+7 900 123-45-67"]
    assert len([q for q in queries.captured_queries if table in q["sql"]]) == 1


def _lead_and_contact_with_one_id(bx: Wire) -> int:
    """A lead with a phone and a contact with an e-mail and another phone, both with the same id."""
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "Anfrage", "PHONE": PHONE}})
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "EMAIL": EMAIL,
                                                  "PHONE": [{"VALUE": "+49 30 1234567"}]}})
    while lead != contact:
        if lead < contact:
            bx.ok("crm.lead.delete", {"id": lead})
            lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "Anfrage", "PHONE": PHONE}})
        else:
            bx.ok("crm.contact.delete", {"id": contact})
            contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "EMAIL": EMAIL,
                                                          "PHONE": [{"VALUE": "+49 30 1234567"}]}})
    return lead


def test_a_lead_shows_only_its_own_multi_fields_beside_a_contact_with_its_id(bx, classic_mode):
    pk = _lead_and_contact_with_one_id(bx)
    got = bx.ok("crm.lead.get", {"id": pk})
    listed = bx.ok("crm.lead.list", {"filter": {"ID": pk}, "select": ["*", "PHONE", "EMAIL"]})[0]
    assert "EMAIL" not in got and listed["EMAIL"] == []
    for data in (got, listed):
        assert _values(data["PHONE"]) == ["+7 900 123-45-67"]
        assert (data["HAS_PHONE"], data["HAS_EMAIL"]) == ("Y", "N")
    contact = bx.ok("crm.contact.get", {"id": pk})
    assert _values(contact["PHONE"]) == ["+49 30 1234567"] and _values(contact["EMAIL"]) == ["erika@example.org"]


def test_updating_a_leads_phones_leaves_a_contact_with_its_id_alone(bx, classic_mode):
    pk = _lead_and_contact_with_one_id(bx)
    bx.ok("crm.lead.update", {"id": pk, "fields": {"PHONE": [{"VALUE": "+49 40 7654321"}]}})
    lead = bx.ok("crm.lead.get", {"id": pk})
    assert _values(lead["PHONE"]) == ["+7 900 123-45-67", "+49 40 7654321"]
    assert _values(bx.ok("crm.contact.get", {"id": pk})["PHONE"]) == ["+49 30 1234567"]


# --- filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize("flt", [
    {"PHONE": ["79001234567"]},
    {"PHONE": ["0000", "79001234567"]},
    {"@PHONE": ["79001234567"]},
    {"@PHONE": "79001234567"},
    {"PHONE": 79001234567},
])
def test_a_phone_filter_reads_each_number_of_a_list_as_international_too(bx, classic_mode, flt):
    pk = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": PHONE}})
    bx.ok("crm.contact.add", {"fields": {"NAME": "Max", "PHONE": [{"VALUE": "+49 30 1234567"}]}})
    assert [r["ID"] for r in bx.ok("crm.contact.list", {"filter": flt, "select": ["ID"]})] == [str(pk)]


@pytest.mark.parametrize("flt", [{"!PHONE": ["79001234567"]}, {"!@PHONE": ["79001234567", "0000"]}])
def test_a_negated_phone_filter_with_a_list_leaves_the_number_out(bx, classic_mode, flt):
    bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": PHONE}})
    other = bx.ok("crm.contact.add", {"fields": {"NAME": "Max", "PHONE": [{"VALUE": "+49 30 1234567"}]}})
    assert [r["ID"] for r in bx.ok("crm.contact.list", {"filter": flt, "select": ["ID"]})] == [str(other)]


@pytest.mark.parametrize("raw", [{"a": 1}, [{"a": 1}], [["79001234567"]]])
def test_a_phone_filter_refuses_values_that_are_no_text(bx, classic_mode, raw):
    bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": PHONE}})
    assert _body(bx.post("crm.contact.list", {"filter": {"PHONE": raw}})) == _argument_error(
        "Filter field 'PHONE': needs text values", "filter")


def test_a_status_semantic_filter_with_another_operator_is_refused_naming_the_field(bx, classic_mode):
    assert _body(bx.post("crm.lead.list", {"filter": {">STATUS_SEMANTIC_ID": "P"}})) == _argument_error(
        "Filter field 'STATUS_SEMANTIC_ID' supports only equality (=, !, @, !@).", "filter")


# --- a deal's CONTACT_ID: 0 -----------------------------------------------------------------------


@pytest.fixture
def contacts(bx) -> list[int]:
    return [bx.ok("crm.contact.add", {"fields": {"NAME": f"C{i}"}}) for i in range(3)]


def _deal_contacts(pk: int) -> list[int]:
    return list(DealContact.objects.filter(deal_id=pk).order_by("-is_primary", "sort", "id")
                .values_list("contact_id", flat=True))


@pytest.mark.parametrize("zero", [0, "0", "", None])
def test_contact_id_zero_beside_contact_ids_is_ignored(bx, classic_mode, contacts, zero):
    a, b, c = contacts
    pk = bx.ok("crm.deal.add", {"fields": {"TITLE": "A", "CONTACT_ID": zero, "CONTACT_IDS": [b, a]}})
    assert _deal_contacts(pk) == [b, a] and Deal.objects.get(pk=pk).contact_id == b
    bx.ok("crm.deal.update", {"id": pk, "fields": {"CONTACT_IDS": [c, b], "CONTACT_ID": zero}})
    assert _deal_contacts(pk) == [c, b] and Deal.objects.get(pk=pk).contact_id == c
    got = bx.ok("crm.deal.get", {"id": pk})
    assert (got["CONTACT_ID"], got["CONTACT_IDS"]) == (str(c), [c, b])


def test_contact_id_zero_alone_clears_a_deals_contacts(bx, classic_mode, contacts):
    a, b, _ = contacts
    pk = bx.ok("crm.deal.add", {"fields": {"TITLE": "A", "CONTACT_IDS": [a, b]}})
    bx.ok("crm.deal.update", {"id": pk, "fields": {"CONTACT_ID": 0}})
    assert _deal_contacts(pk) == [] and Deal.objects.get(pk=pk).contact_id is None
    got = bx.ok("crm.deal.get", {"id": pk})
    assert (got["CONTACT_ID"], got["CONTACT_IDS"]) == (None, [])


# --- crm.item.*: the custom field definitions once per call ----------------------------------------


@pytest.mark.parametrize("method", ["crm.item.get", "crm.item.list"])
def test_crm_item_reads_the_custom_field_definitions_once(bx, classic_mode, method):
    bx.ok("crm.lead.userfield.add", {"fields": {"FIELD_NAME": "NOTE", "USER_TYPE_ID": "string"}})
    pk = bx.ok("crm.lead.add", {"fields": {"TITLE": "A", "UF_CRM_NOTE": "x"}})
    params = {"id": pk} if method == "crm.item.get" else {"filter": {"id": pk}}
    table = CustomField._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        result = bx.ok(method, {"entityTypeId": 1, **params})
    items = result["items"] if method == "crm.item.list" else [result["item"]]
    assert [(item["id"], item["ufCrm_NOTE"]) for item in items] == [(pk, "x")]
    reads = [q["sql"] for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]
    assert len(reads) == 1, reads
