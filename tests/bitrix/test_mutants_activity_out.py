"""crm.activity.get and crm.activity.list answers written against the survivors of the run of 5 December
over ``kontor.bitrix.methods.activities`` (var/mut-bx2): every field of an activity as Bitrix24 answers it
(the constant fields, STATUS of open and completed activities, DIRECTION without a direction, the author
and editor, the creation and change times), BINDINGS in full answers and when selected, a narrow
``select`` answering only what it names, the ``0`` of a communication that names no record, and
START_TIME / END_TIME filters over activities whose start or end is their deadline.
"""

from __future__ import annotations

from typing import Any

import pytest

from kontor.bitrix.mapping import dt
from kontor.crm.models import Activity

from .conftest import Wire

pytestmark = pytest.mark.django_db


def _expected(obj: Activity, *, type_id: str, provider: str, provider_type: str) -> dict[str, Any]:
    """The whole answer Bitrix24 gives for ``obj`` (COMMUNICATIONS and BINDINGS aside)."""
    return {
        "ID": str(obj.pk), "OWNER_ID": str(obj.owner_id), "OWNER_TYPE_ID": str(obj.owner_type),
        "TYPE_ID": type_id, "PROVIDER_ID": provider, "PROVIDER_TYPE_ID": provider_type,
        "PROVIDER_GROUP_ID": None, "ASSOCIATED_ENTITY_ID": "0", "SUBJECT": obj.subject,
        "CREATED": dt(obj.created_at), "LAST_UPDATED": dt(obj.updated_at),
        "START_TIME": dt(obj.start_time or obj.deadline), "END_TIME": dt(obj.end_time or obj.deadline),
        "DEADLINE": dt(obj.deadline), "COMPLETED": "Y" if obj.completed else "N",
        "STATUS": "2" if obj.completed else "1", "RESPONSIBLE_ID": str(obj.responsible_id),
        "PRIORITY": str(obj.priority), "NOTIFY_TYPE": "0", "NOTIFY_VALUE": "0",
        "DESCRIPTION": obj.description, "DESCRIPTION_TYPE": "1", "DIRECTION": str(obj.direction or 0),
        "LOCATION": "", "SETTINGS": [], "ORIGINATOR_ID": None, "ORIGIN_ID": None,
        "AUTHOR_ID": str(obj.author_id), "EDITOR_ID": str(obj.author_id), "IS_INCOMING_CHANNEL": "N",
    }


@pytest.fixture
def contact(bx) -> int:
    return bx.ok("crm.contact.add", {"fields": {"NAME": "Erika"}})


def test_get_and_list_answer_every_field_of_an_open_task(bx, admin_user, deal, contact):
    pk = bx.ok("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 2, "OWNER_ID": deal, "BINDINGS": [{"OWNER_TYPE_ID": 3, "OWNER_ID": contact}],
        "TYPE_ID": 3, "SUBJECT": "Prepare offer", "DESCRIPTION": "Draft and send",
        "START_TIME": "2030-05-02T09:00:00+02:00", "END_TIME": "2030-05-03T17:00:00+02:00"}})
    obj = Activity.objects.get(pk=pk)
    assert (obj.direction, obj.completed, obj.author_id, obj.responsible_id) == (
        None, False, admin_user.pk, admin_user.pk)
    bindings = [{"OWNER_TYPE_ID": "2", "OWNER_ID": str(deal)}, {"OWNER_TYPE_ID": "3", "OWNER_ID": str(contact)}]
    expected = {**_expected(obj, type_id="3", provider="CRM_TASKS_TASK", provider_type="TASK"),
                "BINDINGS": bindings}
    assert expected["DIRECTION"] == "0" and expected["STATUS"] == "1"
    assert expected["CREATED"] != "" and expected["AUTHOR_ID"] == str(admin_user.pk)

    assert bx.ok("crm.activity.get", {"id": pk}) == {**expected, "COMMUNICATIONS": []}
    assert bx.ok("crm.activity.list", {"filter": {"ID": pk}}) == [expected]


def test_a_completed_call_answers_status_2(bx, admin_user, contact):
    pk = bx.ok("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 3, "OWNER_ID": contact, "TYPE_ID": 2, "SUBJECT": "Called back", "DIRECTION": 2,
        "COMPLETED": "Y", "START_TIME": "2030-05-01T10:00:00+02:00", "END_TIME": "2030-05-01T10:05:00+02:00",
        "COMMUNICATIONS": [{"VALUE": "+4930123456", "TYPE": "PHONE", "ENTITY_TYPE_ID": 3, "ENTITY_ID": contact}]}})
    obj = Activity.objects.get(pk=pk)
    expected = {**_expected(obj, type_id="2", provider="VOXIMPLANT_CALL", provider_type="CALL"),
                "BINDINGS": [{"OWNER_TYPE_ID": "3", "OWNER_ID": str(contact)}]}
    assert expected["STATUS"] == "2" and expected["COMPLETED"] == "Y" and expected["DIRECTION"] == "2"

    assert bx.ok("crm.activity.get", {"id": pk}) == {**expected, "COMMUNICATIONS": [
        {"ID": "1", "TYPE": "PHONE", "VALUE": "+4930123456", "ENTITY_ID": str(contact), "ENTITY_TYPE_ID": "3"}]}
    assert bx.ok("crm.activity.list", {"filter": {"ID": pk}}) == [expected]


def test_a_communication_naming_no_record_answers_zero_ids(bx, deal):
    pk = bx.ok("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 2, "OWNER_ID": deal, "TYPE_ID": 4, "SUBJECT": "Mail", "DIRECTION": 2,
        "COMMUNICATIONS": [{"VALUE": "info@example.org", "TYPE": "EMAIL"},
                           {"VALUE": "+4930999", "TYPE": "PHONE", "ENTITY_TYPE_ID": 2, "ENTITY_ID": deal}]}})
    expected = [{"ID": "1", "TYPE": "EMAIL", "VALUE": "info@example.org", "ENTITY_ID": "0", "ENTITY_TYPE_ID": "0"},
                {"ID": "2", "TYPE": "PHONE", "VALUE": "+4930999", "ENTITY_ID": str(deal), "ENTITY_TYPE_ID": "2"}]
    assert bx.ok("crm.activity.get", {"id": pk})["COMMUNICATIONS"] == expected
    assert bx.ok("crm.activity.list", {"filter": {"ID": pk}, "select": ["ID", "COMMUNICATIONS"]}) == [
        {"ID": str(pk), "COMMUNICATIONS": expected}]


def _activity(bx: Wire, deal: int, contact: int) -> int:
    return bx.ok("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 2, "OWNER_ID": deal, "BINDINGS": [{"OWNER_TYPE_ID": 3, "OWNER_ID": contact}],
        "TYPE_ID": 6, "SUBJECT": "Follow up", "DEADLINE": "2030-06-01T12:00:00+02:00"}})


def test_list_answers_only_the_selected_fields(bx, deal, contact):
    pk = _activity(bx, deal, contact)
    assert bx.ok("crm.activity.list", {"filter": {"ID": pk}, "select": ["ID", "SUBJECT"]}) == [
        {"ID": str(pk), "SUBJECT": "Follow up"}]


def test_list_answers_bindings_when_selected(bx, deal, contact):
    pk = _activity(bx, deal, contact)
    bindings = [{"OWNER_TYPE_ID": "2", "OWNER_ID": str(deal)}, {"OWNER_TYPE_ID": "3", "OWNER_ID": str(contact)}]
    assert bx.ok("crm.activity.list", {"filter": {"ID": pk}, "select": ["ID", "BINDINGS"]}) == [
        {"ID": str(pk), "BINDINGS": bindings}]
    assert bx.ok("crm.activity.list", {"filter": {"ID": pk}, "select": ["*", "BINDINGS"]})[0]["BINDINGS"] == bindings
    assert "BINDINGS" not in bx.ok("crm.activity.list", {"filter": {"ID": pk}, "select": ["*"]})[0]


def test_start_and_end_filters_fall_back_to_the_deadline(bx, deal, contact):
    # A to-do with only a deadline starts and ends at it.
    todo = _activity(bx, deal, contact)
    # A task's deadline is its end: its own start differs from it.
    task = bx.ok("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 2, "OWNER_ID": deal, "TYPE_ID": 3, "SUBJECT": "Prepare offer",
        "START_TIME": "2030-05-02T09:00:00+02:00", "END_TIME": "2030-05-03T17:00:00+02:00"}})
    obj = Activity.objects.get(pk=todo)
    assert obj.start_time is None and obj.end_time is None

    def ids(filter_: dict[str, Any]) -> list[str]:
        return [r["ID"] for r in bx.ok("crm.activity.list", {"filter": filter_, "select": ["ID"],
                                                             "order": {"ID": "ASC"}})]

    assert ids({"END_TIME": "2030-06-01T12:00:00+02:00"}) == [str(todo)]
    assert ids({"START_TIME": "2030-06-01T12:00:00+02:00"}) == [str(todo)]
    assert ids({"START_TIME": "2030-05-02T09:00:00+02:00"}) == [str(task)]
    assert ids({"<START_TIME": "2030-05-03T00:00:00+02:00"}) == [str(task)]
    assert ids({">=END_TIME": "2030-05-03T17:00:00+02:00"}) == [str(todo), str(task)]
