"""crm.activity.*: START_TIME and END_TIME kept apart from DEADLINE, COMMUNICATIONS stored and read back
as Bitrix24 answers them — through the wire and through the real fast-bitrix24 and b24pysdk clients."""

from __future__ import annotations

from datetime import datetime

import pytest

from kontor.crm.models import Activity


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_call_keeps_start_end_and_deadline_apart(bx, admin_user, classic_mode):
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Ivan", "PHONE": [{"VALUE": "+79001234567"}]}})
    act = bx.ok("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 3, "OWNER_ID": contact, "TYPE_ID": 2, "SUBJECT": "Incoming call", "DIRECTION": 1,
        "START_TIME": "2030-05-01T10:00:00+02:00", "END_TIME": "2030-05-01T10:05:00+02:00",
        "COMMUNICATIONS": [{"VALUE": "+79001234567", "TYPE": "PHONE", "ENTITY_TYPE_ID": 3, "ENTITY_ID": contact}],
    }})
    got = bx.ok("crm.activity.get", {"id": act})
    assert _when(got["START_TIME"]) == _when("2030-05-01T10:00:00+02:00")
    assert _when(got["END_TIME"]) == _when("2030-05-01T10:05:00+02:00")
    # Bitrix24: a call's deadline is its start.
    assert _when(got["DEADLINE"]) == _when("2030-05-01T10:00:00+02:00")
    assert got["COMMUNICATIONS"] == [{"ID": "1", "TYPE": "PHONE", "VALUE": "+79001234567",
                                      "ENTITY_ID": str(contact), "ENTITY_TYPE_ID": "3"}]

    # A task's deadline is its end.
    task = bx.ok("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 3, "OWNER_ID": contact, "TYPE_ID": 3, "SUBJECT": "Prepare offer",
        "START_TIME": "2030-05-02T09:00:00+02:00", "END_TIME": "2030-05-03T17:00:00+02:00"}})
    got = bx.ok("crm.activity.get", {"id": task})
    assert _when(got["DEADLINE"]) == _when("2030-05-03T17:00:00+02:00")
    assert _when(got["START_TIME"]) == _when("2030-05-02T09:00:00+02:00")
    assert got["COMMUNICATIONS"] == []

    # update moves the end only; the start and the deadline stay.
    assert bx.ok("crm.activity.update", {"id": act, "fields": {"END_TIME": "2030-05-01T10:20:00+02:00"}}) is True
    got = bx.ok("crm.activity.get", {"id": act})
    assert _when(got["START_TIME"]) == _when("2030-05-01T10:00:00+02:00")
    assert _when(got["END_TIME"]) == _when("2030-05-01T10:20:00+02:00")
    assert _when(got["DEADLINE"]) == _when("2030-05-01T10:00:00+02:00")

    # Lists filter and order by the start and the end; COMMUNICATIONS when selected.
    rows = bx.ok("crm.activity.list", {"filter": {">=END_TIME": "2030-05-01T10:10:00+02:00"},
                                       "order": {"START_TIME": "ASC"}, "select": ["ID", "COMMUNICATIONS"]})
    assert [r["ID"] for r in rows] == [str(act), str(task)]
    assert rows[0]["COMMUNICATIONS"][0]["VALUE"] == "+79001234567"
    assert "COMMUNICATIONS" not in bx.ok("crm.activity.list", {"select": ["ID"]})[0]


def test_communications_bind_an_activity_without_owner(bx, classic_mode):
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Eva"}})
    act = bx.ok("crm.activity.add", {"fields": {
        "TYPE_ID": 4, "SUBJECT": "Mail", "DIRECTION": 2,
        "COMMUNICATIONS": [{"VALUE": "eva@example.org", "TYPE": "EMAIL", "ENTITY_TYPE_ID": 3, "ENTITY_ID": contact}],
    }})
    got = bx.ok("crm.activity.get", {"id": act})
    assert (got["OWNER_TYPE_ID"], got["OWNER_ID"]) == ("3", str(contact))
    assert got["COMMUNICATIONS"][0]["VALUE"] == "eva@example.org"
    bad = bx.post("crm.activity.add", {"fields": {"OWNER_TYPE_ID": 3, "OWNER_ID": contact, "SUBJECT": "x",
                                                  "COMMUNICATIONS": [{"VALUE": "1", "ENTITY_TYPE_ID": 3,
                                                                      "ENTITY_ID": 999999}]}})
    assert bad.status_code == 400 and "999999" in bad.json()["error_description"]
    assert Activity.objects.count() == 1


def test_native_deadline_reads_back_as_start_and_end(bx, admin_user, classic_mode):
    from kontor.crm import services

    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "Native"}})
    activity = services.activity_create(actor=admin_user, data={
        "type": "call", "subject": "Native call", "deadline": "2030-06-01T08:00:00+00:00",
        "bindings": [{"entity": "deal", "id": deal}]})
    got = bx.ok("crm.activity.get", {"id": activity.pk})
    assert got["START_TIME"] == got["END_TIME"] == got["DEADLINE"]
    rows = bx.ok("crm.activity.list", {"filter": {"<=START_TIME": "2030-06-01T09:00:00+00:00"}, "select": ["ID"]})
    assert [r["ID"] for r in rows] == [str(activity.pk)]


@pytest.mark.django_db(transaction=True)
def test_fast_bitrix24_call_with_start_end_and_communications(live_server, seeded, admin_user):
    from fast_bitrix24 import Bitrix

    from kontor.bitrix.services import webhook_create, webhook_path

    webhook, raw = webhook_create(user=admin_user)
    bx = Bitrix(live_server.url + webhook_path(webhook, raw), verbose=False)
    contact = bx.call("crm.contact.add", {"fields": {"NAME": "Pbx"}}, raw=True)["result"]
    act = bx.call("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 3, "OWNER_ID": contact, "TYPE_ID": 2, "SUBJECT": "Call", "DIRECTION": 1,
        "START_TIME": "2030-05-01T10:00:00+02:00", "END_TIME": "2030-05-01T10:05:00+02:00",
        "COMMUNICATIONS": [{"VALUE": "+79001234567", "TYPE": "PHONE", "ENTITY_TYPE_ID": 3, "ENTITY_ID": contact}],
    }}, raw=True)["result"]
    got = bx.call("crm.activity.get", {"ID": act}, raw=True)["result"]
    assert _when(got["START_TIME"]) != _when(got["END_TIME"])
    assert _when(got["END_TIME"]) == _when("2030-05-01T10:05:00+02:00")
    assert got["COMMUNICATIONS"][0]["VALUE"] == "+79001234567"
    assert got["COMMUNICATIONS"][0]["ENTITY_ID"] == str(contact)
    rows = bx.get_all("crm.activity.list", {"filter": {"OWNER_ID": contact},
                                            "select": ["ID", "START_TIME", "END_TIME", "COMMUNICATIONS"]})
    assert rows[0]["COMMUNICATIONS"][0]["TYPE"] == "PHONE"
    assert _when(rows[0]["START_TIME"]) == _when("2030-05-01T10:00:00+02:00")
