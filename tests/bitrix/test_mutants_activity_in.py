"""What crm.activity.add / update / delete and crm.activity.todo.add take, written against the survivors
of the run of 5 December over ``kontor.bitrix.methods.activities`` (var/mut-bx2): the owner binding and its
refusals, COMMUNICATIONS (empty and zero record references, bad ones, a missing VALUE), DESCRIPTION,
TYPE_ID / PROVIDER_ID, empty DEADLINE / RESPONSIBLE_ID / PRIORITY, the exact refusals of bad values,
who the caller is for add, update and delete (rights, author), service errors of update in Bitrix24's
field names, and the documented camelCase parameters of crm.activity.todo.add winning over other spellings.
"""

from __future__ import annotations

from typing import Any

import pytest

from kontor.crm.models import Activity, Deal

from .conftest import Wire, bitrix_error

pytestmark = pytest.mark.django_db

NO_BINDING = "Could not build binding. Please ensure that owner info and communications are defined."
BAD_COMMUNICATION = "COMMUNICATIONS[0]: ENTITY_TYPE_ID and ENTITY_ID must name a lead, deal, contact or company."


def _add(bx: Wire, deal: int, **fields: Any) -> int:
    return bx.ok("crm.activity.add", {"fields": {"OWNER_TYPE_ID": 2, "OWNER_ID": deal, "SUBJECT": "Call back",
                                                 **fields}})


def _refused_add(bx: Wire, fields: dict[str, Any]) -> tuple[str, str]:
    before = Activity.objects.count()
    answer = bitrix_error(bx.post("crm.activity.add", {"fields": fields}))
    assert Activity.objects.count() == before
    return answer


# --- the owner binding -------------------------------------------------------------------------


@pytest.mark.parametrize("owner_type, owner_id", [(9, 5), (0, 5), (2, "x"), (2, 0), (2, -1), (2, None)])
def test_a_bad_owner_is_refused_with_bitrix24s_text(bx, deal, owner_type, owner_id):
    fields = {"OWNER_TYPE_ID": owner_type, "OWNER_ID": deal if owner_id == 5 else owner_id, "SUBJECT": "X"}
    assert _refused_add(bx, fields) == ("", NO_BINDING)
    params = {"ownerTypeId": owner_type, "ownerId": deal if owner_id == 5 else owner_id, "title": "X"}
    assert bitrix_error(bx.post("crm.activity.todo.add", params)) == ("", NO_BINDING)


def test_an_activity_bound_to_nothing_is_refused(bx, deal):
    assert _refused_add(bx, {"SUBJECT": "Lost"}) == ("", NO_BINDING)
    assert _refused_add(bx, {"SUBJECT": "Lost", "COMMUNICATIONS": [{"TYPE": "PHONE", "VALUE": "+4930"}]}) \
        == ("", NO_BINDING)


@pytest.mark.parametrize("half", [{"OWNER_TYPE_ID": 2}, {"OWNER_ID": "DEAL"}])
def test_half_an_owner_is_refused_even_with_other_bindings(bx, deal, half):
    half = {k: deal if v == "DEAL" else v for k, v in half.items()}
    fields = {"SUBJECT": "Half", **half, "BINDINGS": [{"OWNER_TYPE_ID": 2, "OWNER_ID": deal}]}
    assert _refused_add(bx, fields) == ("", NO_BINDING)
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika"}})
    fields = {"SUBJECT": "Half", **half,
              "COMMUNICATIONS": [{"TYPE": "PHONE", "VALUE": "+4930", "ENTITY_TYPE_ID": 3, "ENTITY_ID": contact}]}
    assert _refused_add(bx, fields) == ("", NO_BINDING)


# --- COMMUNICATIONS ----------------------------------------------------------------------------


@pytest.mark.parametrize("ref", [{}, {"ENTITY_TYPE_ID": "", "ENTITY_ID": ""}, {"ENTITY_TYPE_ID": 0, "ENTITY_ID": 0},
                                 {"ENTITY_TYPE_ID": "0", "ENTITY_ID": "0"},
                                 {"ENTITY_TYPE_ID": None, "ENTITY_ID": None}])
def test_a_communication_without_a_record_is_kept_as_such(bx, deal, ref):
    pk = _add(bx, deal, COMMUNICATIONS=[{"TYPE": "PHONE", "VALUE": "+49 30 1234", **ref}])
    assert bx.ok("crm.activity.get", {"id": pk})["COMMUNICATIONS"] == [
        {"ID": "1", "TYPE": "PHONE", "VALUE": "+49 30 1234", "ENTITY_ID": "0", "ENTITY_TYPE_ID": "0"}]


def test_a_communication_without_a_value_has_an_empty_one(bx, deal):
    pk = _add(bx, deal, COMMUNICATIONS=[{"TYPE": "EMAIL"}])
    assert Activity.objects.get(pk=pk).communications == [
        {"type": "EMAIL", "value": "", "entity_type": None, "entity_id": None}]


@pytest.mark.parametrize("ref", [{"ENTITY_TYPE_ID": 9, "ENTITY_ID": 5}, {"ENTITY_TYPE_ID": "x"},
                                 {"ENTITY_TYPE_ID": 3, "ENTITY_ID": "abc"}, {"ENTITY_TYPE_ID": 3, "ENTITY_ID": -3},
                                 {"ENTITY_TYPE_ID": 3, "ENTITY_ID": "00"}, {"ENTITY_ID": "abc"}])
def test_a_communication_naming_no_record_kind_or_id_is_refused(bx, deal, ref):
    fields = {"OWNER_TYPE_ID": 2, "OWNER_ID": deal, "SUBJECT": "X",
              "COMMUNICATIONS": [{"TYPE": "PHONE", "VALUE": "+4930", **ref}]}
    assert _refused_add(bx, fields) == ("", BAD_COMMUNICATION)


def test_a_communication_that_is_no_object_is_refused(bx, deal):
    fields = {"OWNER_TYPE_ID": 2, "OWNER_ID": deal, "SUBJECT": "X", "COMMUNICATIONS": ["+4930"]}
    assert _refused_add(bx, fields) == ("", "COMMUNICATIONS[0] must be an object with VALUE and TYPE.")


# --- plain fields ------------------------------------------------------------------------------


def test_description_is_stored_on_add_and_update(bx, deal):
    pk = _add(bx, deal, DESCRIPTION="Ask for the offer")
    assert bx.ok("crm.activity.get", {"id": pk})["DESCRIPTION"] == "Ask for the offer"
    assert bx.ok("crm.activity.update", {"id": pk, "fields": {"DESCRIPTION": 42}}) is True
    assert Activity.objects.get(pk=pk).description == "42"


@pytest.mark.parametrize("fields, type_id", [
    ({"TYPE_ID": 99}, "6"), ({"TYPE_ID": "2"}, "2"), ({"TYPE_ID": "", "PROVIDER_ID": "CRM_EMAIL"}, "4"),
    ({"PROVIDER_ID": "crm_meeting"}, "1"), ({"PROVIDER_ID": "CRM_EMAIL"}, "4"), ({}, "6"),
    ({"PROVIDER_ID": "REST_APP"}, "6"),
])
def test_type_comes_from_type_id_else_from_provider_id(bx, deal, fields, type_id):
    pk = _add(bx, deal, **fields)
    assert bx.ok("crm.activity.get", {"id": pk})["TYPE_ID"] == type_id


@pytest.mark.parametrize("fields, message", [
    ({"TYPE_ID": "call"}, "The field TYPE_ID is not defined or invalid."),
    ({"COMPLETED": "maybe"}, "The field COMPLETED must be Y or N."),
    ({"PRIORITY": "high"}, "The field PRIORITY must be 1, 2 or 3."),
])
def test_bad_values_are_refused_with_bitrix24s_texts(bx, deal, fields, message):
    assert _refused_add(bx, {"OWNER_TYPE_ID": 2, "OWNER_ID": deal, "SUBJECT": "X", **fields}) == ("", message)


def test_empty_values_mean_no_value(bx, deal, admin_user):
    pk = _add(bx, deal, TYPE_ID="2", DEADLINE="", START_TIME="", END_TIME="", RESPONSIBLE_ID="", PRIORITY="")
    got = bx.ok("crm.activity.get", {"id": pk})
    assert (got["RESPONSIBLE_ID"], got["AUTHOR_ID"]) == (str(admin_user.pk), str(admin_user.pk))
    obj = Activity.objects.get(pk=pk)
    assert (obj.start_time, obj.end_time) == (None, None)
    assert bx.ok("crm.activity.update", {"id": pk, "fields": {"DEADLINE": "", "RESPONSIBLE_ID": "",
                                                              "PRIORITY": ""}}) is True
    assert Activity.objects.get(pk=pk).responsible_id == admin_user.pk


# --- the caller's rights -----------------------------------------------------------------------


def test_add_update_delete_act_as_the_caller(bx, deal, role_client):
    _, restricted = role_client({"read": "all", "add": "none", "edit": "none", "delete": "none"})
    pk = _add(bx, deal, DESCRIPTION="Before")
    assert bitrix_error(restricted.post("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 2, "OWNER_ID": deal, "SUBJECT": "Mine"}})) == ("", "Access denied.")
    assert bitrix_error(restricted.post("crm.activity.update", {"id": pk, "fields": {"DESCRIPTION": "After"}})) \
        == ("", "Access denied.")
    assert bitrix_error(restricted.post("crm.activity.delete", {"id": pk})) == ("", "Access denied.")
    assert list(Activity.objects.values_list("pk", "description")) == [(pk, "Before")]


def test_update_names_service_errors_with_bitrix24_fields(bx, deal):
    pk = _add(bx, deal)
    error, text = bitrix_error(bx.post("crm.activity.update", {"id": pk, "fields": {"RESPONSIBLE_ID": 999999}}))
    assert error == "" and text.startswith("RESPONSIBLE_ID")
    assert Deal.objects.filter(pk=deal).exists()


# --- crm.activity.todo.add ---------------------------------------------------------------------


def test_todo_add_reads_the_documented_camelcase_names_first(bx, deal, admin_user, manager_user):
    params = {"ownerTypeId": 2, "ownerId": deal, "OWNERTYPEID": 9, "ownertypeid": 9, "OWNERID": 0, "ownerid": 0,
              "title": "Call back", "TITLE": "Wrong", "description": "Notes", "DESCRIPTION": "Wrong",
              "deadline": "2030-01-02T10:00:00+00:00", "DEADLINE": "never",
              "responsibleId": manager_user.pk, "responsibleid": 999999, "RESPONSIBLEID": 999999}
    pk = bx.ok("crm.activity.todo.add", params)["id"]
    got = bx.ok("crm.activity.get", {"id": pk})
    assert (got["OWNER_TYPE_ID"], got["OWNER_ID"], got["SUBJECT"], got["DESCRIPTION"], got["RESPONSIBLE_ID"]) \
        == ("2", str(deal), "Call back", "Notes", str(manager_user.pk))
    assert got["DEADLINE"].startswith("2030-01-02")


def test_todo_add_takes_the_description_as_title_when_there_is_none(bx, deal):
    params = {"ownerTypeId": 2, "ownerId": deal, "description": "Notes", "DESCRIPTION": "Wrong"}
    pk = bx.ok("crm.activity.todo.add", params)["id"]
    assert Activity.objects.filter(pk=pk).values_list("subject", "description").get() == ("Notes", "Notes")


def test_todo_add_empty_other_spellings_do_not_hide_deadline_or_responsible(bx, deal, manager_user):
    params = {"ownerTypeId": 2, "ownerId": deal, "title": "Call back",
              "deadline": "2030-01-02T10:00:00+00:00", "DEADLINE": "",
              "responsibleId": manager_user.pk, "responsibleid": "", "RESPONSIBLEID": ""}
    pk = bx.ok("crm.activity.todo.add", params)["id"]
    got = bx.ok("crm.activity.get", {"id": pk})
    assert got["DEADLINE"].startswith("2030-01-02") and got["RESPONSIBLE_ID"] == str(manager_user.pk)
