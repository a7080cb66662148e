"""crm.activity.list ``filter``: written against the survivors of the exact run of 5 December over
``ActivityEntity.filter_fields`` of ``kontor.bitrix.methods.activities`` (var/mut-bx2).

Covered here: each filter field of an activity finds exactly the activities it names (ID, TYPE_ID as
Bitrix24's type number, PROVIDER_ID in any case, SUBJECT, DESCRIPTION, COMPLETED, RESPONSIBLE_ID,
AUTHOR_ID, PRIORITY, DIRECTION, CREATED, LAST_UPDATED); an unknown type number or provider finds nothing
and is no error; TYPE_ID, PROVIDER_ID and COMPLETED refuse the comparison operators; BINDINGS finds the
activities bound to any of the given records (by type and id), takes ``=`` like no operator, refuses every
other operator, items that are no objects, items without a type or id and ids out of range (the limits
themselves still accepted) — each refusal Bitrix24's ERROR_ARGUMENT word for word, naming ``filter``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kontor.crm.models import Activity

from .conftest import Wire, bitrix_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def acts(bx, classic_mode, manager_user) -> dict[str, int]:
    """Three activities: a call on deal A, a meeting on deal B (completed, the manager's, written by them),
    a to-do on a contact; their CREATED and LAST_UPDATED a day apart each."""
    deal_a = bx.ok("crm.deal.add", {"fields": {"TITLE": "Relaunch"}})
    deal_b = bx.ok("crm.deal.add", {"fields": {"TITLE": "Wartung"}})
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika"}})
    call = bx.ok("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 2, "OWNER_ID": deal_a, "TYPE_ID": 2, "SUBJECT": "Anruf Müller",
        "DESCRIPTION": "Rückruf erbeten", "PRIORITY": 3, "DIRECTION": 1, "COMPLETED": "N"}})
    meeting = bx.ok("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 2, "OWNER_ID": deal_b, "TYPE_ID": 1, "SUBJECT": "Termin vor Ort",
        "DESCRIPTION": "Angebot zeigen", "PRIORITY": 1, "DIRECTION": 2, "COMPLETED": "Y",
        "RESPONSIBLE_ID": manager_user.pk}})
    todo = bx.ok("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 3, "OWNER_ID": contact, "PROVIDER_ID": "CRM_TODO", "SUBJECT": "Erinnerung"}})
    Activity.objects.filter(pk=meeting).update(author_id=manager_user.pk)
    for day, pk in enumerate((call, meeting, todo), start=1):
        Activity.objects.filter(pk=pk).update(created_at=datetime(2030, 1, day, 12, tzinfo=UTC),
                                              updated_at=datetime(2030, 2, day, 12, tzinfo=UTC))
    return {"call": call, "meeting": meeting, "todo": todo, "deal_a": deal_a, "deal_b": deal_b,
            "contact": contact}


def _found(bx: Wire, acts: dict[str, int], flt: dict) -> list[str]:
    """The activities a filter finds, by their names in ``acts``, in id order."""
    names = {str(pk): name for name, pk in acts.items() if name in ("call", "meeting", "todo")}
    rows = bx.ok("crm.activity.list", {"filter": flt, "order": {"ID": "ASC"}, "select": ["ID"]})
    return [names[row["ID"]] for row in rows]


def _refused(bx: Wire, flt: dict) -> tuple[str, str]:
    response = bx.post("crm.activity.list", {"filter": flt})
    assert response.json().get("argument") == "filter", response.content
    return bitrix_error(response)


# --- the plain fields ----------------------------------------------------------------------------


@pytest.mark.parametrize(("flt", "found"), [
    ({"TYPE_ID": 2}, ["call"]),
    ({"type_id": "1"}, ["meeting"]),
    ({"@TYPE_ID": [1, 6]}, ["meeting", "todo"]),
    ({"!TYPE_ID": 2}, ["meeting", "todo"]),
    ({"TYPE_ID": 5}, []),  # no such type: nothing, no error
    ({"TYPE_ID": "Anruf"}, []),
    ({"PROVIDER_ID": "CRM_TODO"}, ["todo"]),
    ({"provider_id": "voximplant_call"}, ["call"]),
    ({"@PROVIDER_ID": ["CRM_MEETING", "VOXIMPLANT_CALL"]}, ["call", "meeting"]),
    ({"PROVIDER_ID": "IMOPENLINES_SESSION"}, []),
    ({"!PROVIDER_ID": "IMOPENLINES_SESSION"}, ["call", "meeting", "todo"]),
    ({"SUBJECT": "Erinnerung"}, ["todo"]),
    ({"%subject": "vor"}, ["meeting"]),
    ({"DESCRIPTION": "Angebot zeigen"}, ["meeting"]),
    ({"%description": "ruf"}, ["call"]),
    ({"COMPLETED": "Y"}, ["meeting"]),
    ({"completed": "N"}, ["call", "todo"]),
    ({"PRIORITY": 3}, ["call"]),
    ({">priority": 1}, ["call", "todo"]),
    ({"DIRECTION": 2}, ["meeting"]),
    ({"direction": 1}, ["call"]),
    ({">=CREATED": "2030-01-02T00:00:00+00:00"}, ["meeting", "todo"]),
    ({"<created": "2030-01-02T00:00:00+00:00"}, ["call"]),
    ({"<LAST_UPDATED": "2030-02-03T00:00:00+00:00"}, ["call", "meeting"]),
    ({">last_updated": "2030-02-02T13:00:00+00:00"}, ["todo"]),
])
def test_each_field_finds_the_activities_it_names(bx, acts, flt, found):
    assert _found(bx, acts, flt) == found


def test_ids_and_users_find_their_activities(bx, acts, admin_user, manager_user):
    assert _found(bx, acts, {"ID": acts["meeting"]}) == ["meeting"]
    assert _found(bx, acts, {"id": str(acts["todo"])}) == ["todo"]
    assert _found(bx, acts, {">ID": acts["call"]}) == ["meeting", "todo"]
    assert _found(bx, acts, {"RESPONSIBLE_ID": manager_user.pk}) == ["meeting"]
    assert _found(bx, acts, {"responsible_id": admin_user.pk}) == ["call", "todo"]
    assert _found(bx, acts, {"AUTHOR_ID": manager_user.pk}) == ["meeting"]
    assert _found(bx, acts, {"author_id": admin_user.pk}) == ["call", "todo"]


@pytest.mark.parametrize(("op", "name", "value"), [
    (">", "TYPE_ID", 1), ("<=", "PROVIDER_ID", "CRM_TODO"), (">=", "COMPLETED", "N")])
def test_type_provider_and_completed_take_no_comparison(bx, acts, op, name, value):
    assert _refused(bx, {op + name: value}) == ("ERROR_ARGUMENT", f"Filter field '{name}' does not support '{op}'.")


# --- BINDINGS ------------------------------------------------------------------------------------


def test_bindings_find_the_activities_of_any_given_record(bx, acts):
    deal_a, deal_b = {"OWNER_TYPE_ID": 2, "OWNER_ID": acts["deal_a"]}, {"OWNER_TYPE_ID": 2, "OWNER_ID": acts["deal_b"]}
    assert _found(bx, acts, {"BINDINGS": [deal_b]}) == ["meeting"]
    assert _found(bx, acts, {"=BINDINGS": [deal_a]}) == ["call"]
    assert _found(bx, acts, {"bindings": [deal_a, deal_b]}) == ["call", "meeting"]
    assert _found(bx, acts, {"BINDINGS": [{"owner_type_id": "3", "owner_id": str(acts["contact"])}, deal_b]}) == [
        "meeting", "todo"]
    # the record's type counts as much as its id
    assert _found(bx, acts, {"BINDINGS": [{"OWNER_TYPE_ID": 3, "OWNER_ID": acts["deal_b"]}]}) == []


@pytest.mark.parametrize("key", ["!BINDINGS", "@BINDINGS", ">BINDINGS", "!=BINDINGS"])
def test_bindings_take_equality_only(bx, acts, key):
    deal = {"OWNER_TYPE_ID": 2, "OWNER_ID": acts["deal_a"]}
    assert _refused(bx, {key: [deal]}) == ("ERROR_ARGUMENT", "Filter field 'BINDINGS' supports only equality.")


BAD_BINDINGS = "BINDINGS must be a list of {OWNER_TYPE_ID, OWNER_ID}."


@pytest.mark.parametrize("items", [
    ["2", "5"],
    [{"OWNER_TYPE_ID": 2, "OWNER_ID": 1}, 7],
    [{"OWNER_TYPE_ID": 2}],
    [{"OWNER_ID": 1}],
    [{"OWNER_TYPE_ID": "Deal", "OWNER_ID": 1}],
    [{"OWNER_TYPE_ID": 2, "OWNER_ID": 2**62 + 1}],
    [{"OWNER_TYPE_ID": 2, "OWNER_ID": -(2**62) - 1}],
    [{"OWNER_TYPE_ID": 2**15 + 1, "OWNER_ID": 1}],
])
def test_bindings_refuse_items_that_name_no_record(bx, acts, items):
    assert _refused(bx, {"BINDINGS": items}) == ("ERROR_ARGUMENT", BAD_BINDINGS)


@pytest.mark.parametrize(("type_", "pk"), [(2, 2**62), (2, -(2**62)), (2, 125), (2**15, 1), (31, 1)])
def test_bindings_at_the_limits_are_read_and_find_nothing(bx, acts, type_, pk):
    assert _found(bx, acts, {"BINDINGS": [{"OWNER_TYPE_ID": type_, "OWNER_ID": pk}]}) == []
