"""The shared record methods of ``kontor.bitrix.methods.common`` and ``batch``'s own parameters: written
against the survivors of the exact run of 5 December (var/mut-bx1) in ``parse_start``, ``text_in``,
``fields_param``, ``str_field`` and ``Entity.scoped``/``register``/``list_queryset``/``handle_list``, and
in ``batch``.

Covered here: a ``start`` of ``-2`` read as the first page; ``null``, ``false``, ``true`` and numbers in
text fields as stored; ``fields``/``filter``/``order`` that are no objects refused word for word; the
parameter spelt exactly as documented (``fields``, ``filter``, ``order``, ``select``, ``start``, ``cmd``,
``halt``) winning over another spelling of it in the same request; a role reading only its own records
listing and getting only those; crm.product.* and crm.activity.* (the other kinds ``Entity.register``
makes) answering each of their six methods; which of crm.activity.list's selects bring ``BINDINGS``;
the activity text filters (``SUBJECT``, ``DESCRIPTION``): equality, the empty text, ``%``.
"""

from __future__ import annotations

import pytest

from kontor.crm.models import Lead

from .conftest import Wire, bitrix_error

pytestmark = pytest.mark.django_db


def _lead(bx: Wire, title: str, **fields) -> int:
    return bx.ok("crm.lead.add", {"fields": {"TITLE": title, **fields}})


def _ids(rows: list[dict]) -> list[int]:
    return [int(row["ID"]) for row in rows]


# --- parse_start ----------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [-2, "-2", -3])
def test_a_start_below_minus_one_is_the_first_page(bx, classic_mode, start):
    first, second = _lead(bx, "A"), _lead(bx, "B")
    body = bx.call("crm.lead.list", {"start": start, "order": {"ID": "ASC"}, "select": ["ID"]})
    assert _ids(body["result"]) == [first, second]
    assert body["total"] == 2 and "next" not in body


def test_a_start_of_minus_one_answers_the_first_page_without_a_count(bx, classic_mode):
    first = _lead(bx, "A")
    body = bx.call("crm.lead.list", {"start": -1, "select": ["ID"]})
    assert _ids(body["result"]) == [first]
    assert body["total"] == 0 and "next" not in body


# --- text_in --------------------------------------------------------------------------------------


def test_text_fields_store_null_as_empty_booleans_as_y_n_and_numbers_as_text(bx, classic_mode):
    pk = _lead(bx, 12.5, COMMENTS=False, SOURCE_DESCRIPTION=True, ADDRESS_CITY=None)
    lead = Lead.objects.get(pk=pk)
    assert (lead.title, lead.comments, lead.source_description, lead.address_city) == ("12.5", "N", "Y", "")
    got = bx.ok("crm.lead.get", {"id": pk})
    assert (got["TITLE"], got["COMMENTS"], got["SOURCE_DESCRIPTION"]) == ("12.5", "N", "Y")

    assert bx.ok("crm.lead.update", {"id": pk, "fields": {"COMMENTS": None, "SOURCE_DESCRIPTION": False,
                                                            "ADDRESS_CITY": 7}}) is True
    lead.refresh_from_db()
    assert (lead.comments, lead.source_description, lead.address_city) == ("", "N", "7")


def test_a_product_description_of_null_is_stored_empty(bx):
    pk = bx.ok("crm.product.add", {"fields": {"NAME": "Pen", "DESCRIPTION": None, "MEASURE_NAME": False}})
    got = bx.ok("crm.product.get", {"id": pk})
    assert (got["DESCRIPTION"], got["MEASURE_NAME"]) == (None, "N")


# --- fields_param ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["crm.lead.add", "crm.deal.add", "crm.product.add", "crm.activity.add"])
@pytest.mark.parametrize("fields", ["TITLE", 5, ["TITLE"]])
def test_fields_that_are_no_object_are_refused_word_for_word(bx, classic_mode, method, fields):
    assert bitrix_error(bx.post(method, {"fields": fields})) == ("", "Parameter 'fields' must be array.")


def test_an_update_with_fields_that_are_no_object_is_refused_and_changes_nothing(bx, classic_mode):
    pk = _lead(bx, "Kept")
    assert bitrix_error(bx.post("crm.lead.update", {"id": pk, "fields": "TITLE=x"})) == (
        "", "Parameter 'fields' must be array.")
    assert Lead.objects.get(pk=pk).title == "Kept"


def test_the_fields_key_as_documented_wins_over_another_spelling(bx, classic_mode):
    # Bitrix24 reads ``fields`` first; the other spelling comes first here, so "last one wins" agrees.
    pk = bx.ok("crm.lead.add", {"FIELDS": {"TITLE": "Upper"}, "fields": {"TITLE": "lower"}})
    assert Lead.objects.get(pk=pk).title == "lower"
    assert bx.ok("crm.lead.update", {"id": pk, "FIELDS": {"TITLE": "Upper"}, "fields": {"TITLE": "again"}})
    assert Lead.objects.get(pk=pk).title == "again"


def test_fields_in_upper_case_alone_are_read(bx, classic_mode):
    pk = bx.ok("crm.lead.add", {"FIELDS": {"title": "Upper"}})
    assert Lead.objects.get(pk=pk).title == "Upper"


# --- Entity.scoped --------------------------------------------------------------------------------


def test_a_role_reading_own_records_lists_and_gets_only_those(bx, classic_mode, role_client):
    _, own = role_client({a: "own" for a in ("read", "add", "edit", "delete", "export")}, username="own")
    theirs = _lead(bx, "Admin's")
    mine = own.ok("crm.lead.add", {"fields": {"TITLE": "Mine"}})

    assert _ids(own.ok("crm.lead.list", {"select": ["ID"]})) == [mine]
    assert own.call("crm.lead.list", {"select": ["ID"]})["total"] == 1
    assert own.ok("crm.lead.get", {"id": mine})["TITLE"] == "Mine"
    assert bitrix_error(own.post("crm.lead.get", {"id": theirs})) == ("", "Not found")
    assert bitrix_error(own.post("crm.lead.update", {"id": theirs, "fields": {"TITLE": "Taken"}})) == ("", "Not found")
    assert bitrix_error(own.post("crm.lead.delete", {"id": theirs})) == ("", "Not found")
    assert Lead.objects.get(pk=theirs).title == "Admin's"
    # The administrator's webhook sees both.
    assert sorted(_ids(bx.ok("crm.lead.list", {"select": ["ID"]}))) == [theirs, mine]


def test_a_role_without_read_rights_lists_no_activities(bx, classic_mode, role_client):
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika"}})
    bx.ok("crm.activity.add", {"fields": {"OWNER_TYPE_ID": 3, "OWNER_ID": contact, "TYPE_ID": 3,
                                          "SUBJECT": "Call back"}})
    _, blind = role_client({a: "none" for a in ("read", "add", "edit", "delete", "export")}, username="blind",
                           kinds=("activity",))
    assert blind.call("crm.activity.list")["result"] == []
    assert len(bx.ok("crm.activity.list")) == 1


# --- Entity.register: the other kinds -------------------------------------------------------------


def test_every_product_method_answers(bx):
    pk = bx.ok("crm.product.add", {"fields": {"NAME": "Pen", "PRICE": "2.50", "CURRENCY_ID": "EUR"}})
    assert bx.ok("crm.product.get", {"id": pk})["NAME"] == "Pen"
    assert bx.ok("crm.product.update", {"id": pk, "fields": {"NAME": "Pencil"}}) is True
    assert [(r["ID"], r["NAME"]) for r in bx.ok("crm.product.list", {"select": ["ID", "NAME"]})] == [
        (str(pk), "Pencil")]
    assert bx.ok("crm.product.fields")["NAME"]["isRequired"] is True
    assert bx.ok("crm.product.delete", {"id": pk}) is True
    assert bitrix_error(bx.post("crm.product.get", {"id": pk})) == ("", "Not found")


def test_every_activity_method_answers(bx, classic_mode):
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika"}})
    pk = bx.ok("crm.activity.add", {"fields": {"OWNER_TYPE_ID": 3, "OWNER_ID": contact, "TYPE_ID": 3,
                                               "SUBJECT": "Call back"}})
    assert bx.ok("crm.activity.get", {"id": pk})["SUBJECT"] == "Call back"
    assert bx.ok("crm.activity.update", {"id": pk, "fields": {"SUBJECT": "Called"}}) is True
    assert [(r["ID"], r["SUBJECT"]) for r in bx.ok("crm.activity.list", {"select": ["ID", "SUBJECT"]})] == [
        (str(pk), "Called")]
    assert bx.ok("crm.activity.fields")["SUBJECT"]["isRequired"] is True
    assert bx.ok("crm.activity.delete", {"id": pk}) is True
    assert bitrix_error(bx.post("crm.activity.get", {"id": pk})) == ("", "Activity is not found")


# --- list_queryset and handle_list: parameters ----------------------------------------------------


@pytest.mark.parametrize("method", ["crm.lead.list", "crm.product.list", "crm.activity.list"])
@pytest.mark.parametrize("name", ["filter", "order"])
@pytest.mark.parametrize("value", ["ID", 5, ["ID"]])
def test_a_filter_or_order_that_is_no_object_is_refused_word_for_word(bx, classic_mode, method, name, value):
    assert bitrix_error(bx.post(method, {name: value})) == ("", f"Parameter '{name}' must be array.")


def test_list_parameters_as_documented_win_over_other_spellings(bx, classic_mode):
    # The documented (lower-case) name comes last, so Bitrix24's "last one wins" agrees.
    a, b = _lead(bx, "A"), _lead(bx, "B")
    assert _ids(bx.ok("crm.lead.list", {"FILTER": {"TITLE": "A"}, "filter": {"TITLE": "B"}})) == [b]
    assert _ids(bx.ok("crm.lead.list", {"ORDER": {"ID": "ASC"}, "order": {"ID": "DESC"}})) == [b, a]
    assert bx.ok("crm.lead.list", {"SELECT": ["ID", "TITLE"], "select": ["ID"], "order": {"ID": "ASC"}}) == [
        {"ID": str(a)}, {"ID": str(b)}]
    body = bx.call("crm.lead.list", {"START": 50, "start": 0, "select": ["ID"], "order": {"ID": "ASC"}})
    assert _ids(body["result"]) == [a, b] and body["total"] == 2


def test_list_parameters_in_upper_case_alone_are_read(bx, classic_mode):
    a, b = _lead(bx, "A"), _lead(bx, "B")
    assert bx.ok("crm.lead.list", {"FILTER": {"TITLE": "B"}, "SELECT": ["TITLE"]}) == [{"ID": str(b), "TITLE": "B"}]
    assert _ids(bx.ok("crm.lead.list", {"ORDER": {"ID": "DESC"}, "SELECT": ["ID"]})) == [b, a]
    assert bx.call("crm.lead.list", {"START": 50})["result"] == []


# --- handle_list: which selects bring an activity's BINDINGS ---------------------------------------


@pytest.fixture
def call_back(bx, classic_mode) -> tuple[int, int]:
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika"}})
    pk = bx.ok("crm.activity.add", {"fields": {"OWNER_TYPE_ID": 3, "OWNER_ID": contact, "TYPE_ID": 3,
                                               "SUBJECT": "Call back"}})
    return pk, contact


def test_activity_list_without_select_answers_the_bindings(bx, call_back):
    _, contact = call_back
    (row,) = bx.ok("crm.activity.list")
    assert row["BINDINGS"] == [{"OWNER_TYPE_ID": "3", "OWNER_ID": str(contact)}]


@pytest.mark.parametrize("select", [["*"], ["*", "SUBJECT"], ["SUBJECT", "*"]])
def test_activity_list_with_star_leaves_the_bindings_out(bx, call_back, select):
    (row,) = bx.ok("crm.activity.list", {"select": select})
    assert row["SUBJECT"] == "Call back" and "OWNER_ID" in row
    assert "BINDINGS" not in row


@pytest.mark.parametrize("select", [["ID", "BINDINGS"], ["*", "BINDINGS"]])
def test_activity_list_answers_the_bindings_when_selected(bx, call_back, select):
    pk, contact = call_back
    (row,) = bx.ok("crm.activity.list", {"select": select})
    assert row["BINDINGS"] == [{"OWNER_TYPE_ID": "3", "OWNER_ID": str(contact)}]
    assert row["ID"] == str(pk)


def test_record_list_with_star_and_a_name_answers_the_has_flags(bx, classic_mode):
    pk = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": [{"VALUE": "+49 30 1234567"}]}})
    (row,) = bx.ok("crm.contact.list", {"select": ["*", "NAME"]})
    assert (row["ID"], row["HAS_PHONE"], row["HAS_EMAIL"]) == (str(pk), "Y", "N")
    assert "PHONE" not in row


# --- str_field: the activity text filters --------------------------------------------------------


@pytest.fixture
def two_activities(bx, classic_mode) -> tuple[int, int]:
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika"}})
    base = {"OWNER_TYPE_ID": 3, "OWNER_ID": contact, "TYPE_ID": 3}
    call = bx.ok("crm.activity.add", {"fields": {**base, "SUBJECT": "Call Erika", "DESCRIPTION": ""}})
    offer = bx.ok("crm.activity.add", {"fields": {**base, "SUBJECT": "Offer", "DESCRIPTION": "Prepare 100"}})
    return call, offer


@pytest.mark.parametrize(("flt", "which"), [
    ({"SUBJECT": "Offer"}, ["offer"]),
    ({"=SUBJECT": "Call Erika"}, ["call"]),
    ({"!SUBJECT": "Offer"}, ["call"]),
    ({"%SUBJECT": "erika"}, ["call"]),
    ({"!%SUBJECT": "erika"}, ["offer"]),
    ({"=%SUBJECT": "Off%"}, ["offer"]),
    ({"%DESCRIPTION": "100"}, ["offer"]),
    ({"DESCRIPTION": "Prepare 100"}, ["offer"]),
    ({"DESCRIPTION": ""}, ["call"]),
    ({"!DESCRIPTION": ""}, ["offer"]),
    ({"SUBJECT": ""}, []),
    ({"@SUBJECT": ["Offer", "Call Erika"]}, ["call", "offer"]),
])
def test_activity_text_filters(bx, two_activities, flt, which):
    call, offer = two_activities
    named = {"call": call, "offer": offer}
    got = bx.ok("crm.activity.list", {"filter": flt, "order": {"ID": "ASC"}, "select": ["ID"]})
    assert _ids(got) == [named[w] for w in which]


def test_activity_text_filters_take_a_number_as_text(bx, two_activities):
    bx.ok("crm.activity.update", {"id": two_activities[1], "fields": {"SUBJECT": "100"}})
    assert _ids(bx.ok("crm.activity.list", {"filter": {"SUBJECT": 100}, "select": ["ID"]})) == [two_activities[1]]


# --- batch: cmd and halt --------------------------------------------------------------------------


def test_batch_reads_cmd_as_documented_over_another_spelling(bx, classic_mode):
    # The documented name comes last: Bitrix24 (its keys upper-cased, the last one kept) agrees.
    out = bx.ok("batch", {"CMD": {"upper": "crm.lead.add?fields[TITLE]=Upper"},
                          "cmd": {"lower": "crm.lead.add?fields[TITLE]=lower"}})
    assert list(out["result"]) == ["lower"] and out["result_error"] == []
    assert list(Lead.objects.values_list("title", flat=True)) == ["lower"]


def test_batch_reads_halt_as_documented_over_another_spelling(bx, classic_mode):
    cmd = {"bad": "crm.lead.get?id=0", "after": "crm.lead.add?fields[TITLE]=After"}
    out = bx.ok("batch", {"HALT": 0, "halt": 1, "cmd": cmd})
    assert out["result"] == [] and list(out["result_error"]) == ["bad"]
    assert not Lead.objects.exists()

    out = bx.ok("batch", {"HALT": 1, "halt": 0, "cmd": cmd})
    assert list(out["result"]) == ["after"] and list(out["result_error"]) == ["bad"]
    assert list(Lead.objects.values_list("title", flat=True)) == ["After"]


def test_batch_reads_cmd_and_halt_in_upper_case_alone(bx, classic_mode):
    out = bx.ok("batch", {"HALT": 1, "CMD": {"bad": "crm.lead.get?id=0", "after": "crm.lead.add?fields[TITLE]=X"}})
    assert out["result"] == [] and out["result_error"] == {
        "bad": {"error": "", "error_description": "ID is not defined or invalid."}}
    assert not Lead.objects.exists()
