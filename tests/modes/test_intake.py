"""Inquiry intake: configuration cached per process but never stale, lenient phones and e-mails,
and the timeline/event behaviour of the fast simple-mode path."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from kontor.crm.enums import CommType, CrmMode, EntityType
from kontor.crm.models import Communication, Contact, Deal, Pipeline, Stage, TimelineEntry

from .conftest import set_mode

URL = "/api/v1/inquiries"


def _in_other_connection(sql: str, params: list) -> None:
    """Run ``sql`` on a connection of another thread: nothing in this process hears of it."""
    def run() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute(sql, params)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)


@pytest.mark.django_db(transaction=True)
def test_a_new_first_stage_set_by_another_connection_is_used_by_the_next_inquiry(admin_api):
    set_mode(CrmMode.SIMPLE)
    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("sort", "id"))
    first = admin_api.post(URL, {"name": "Erste"}).json()
    assert Deal.objects.get(pk=first["deal_id"]).stage_id == stages[0].pk  # cached from here on
    # Plain SQL from another connection: no signal, no ORM, no Python code in this process runs.
    _in_other_connection("UPDATE crm_stage SET sort = %s WHERE id = %s", [-100, stages[1].pk])
    second = admin_api.post(URL, {"name": "Zweite"}).json()
    assert Deal.objects.get(pk=second["deal_id"]).stage_id == stages[1].pk


@pytest.mark.django_db(transaction=True)
def test_switching_matching_off_in_another_connection_takes_effect_at_once(admin_api):
    set_mode(CrmMode.SIMPLE)
    known = admin_api.post(URL, {"name": "Kunde", "emails": ["kunde@example.org"]}).json()
    again = admin_api.post(URL, {"name": "Kunde", "emails": ["kunde@example.org"]}).json()
    assert again["contact_matched"] is True and again["contact_id"] == known["contact_id"]
    _in_other_connection("UPDATE crm_crmsettings SET match_existing_customers = %s WHERE id = 1", [False])
    third = admin_api.post(URL, {"name": "Kunde", "emails": ["kunde@example.org"]}).json()
    assert third["contact_matched"] is False and third["contact_id"] != known["contact_id"]


def test_a_rolled_back_configuration_change_is_not_kept(admin_api, simple):
    from django.db import transaction

    pipeline = Pipeline.objects.get(is_default=True)
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("sort", "id"))
    with pytest.raises(RuntimeError), transaction.atomic():
        Stage.objects.filter(pk=stages[1].pk).update(sort=-100)
        inside = admin_api.post(URL, {"name": "Drinnen"}).json()
        assert Deal.objects.get(pk=inside["deal_id"]).stage_id == stages[1].pk
        raise RuntimeError("roll back")
    after = admin_api.post(URL, {"name": "Danach"}).json()
    assert Deal.objects.get(pk=after["deal_id"]).stage_id == stages[0].pk


def test_an_unreadable_phone_is_kept_as_typed_and_never_matched(admin_api, simple):
    r = admin_api.post(URL, {"name": "Rückruf", "phones": ["call me after 5pm"], "emails": ["kein-at-zeichen"]})
    assert r.status_code == 201, r.content
    contact = admin_api.get(f"/api/v1/contacts/{r.json()['contact_id']}").json()
    assert [(p["value"], p["normalized"]) for p in contact["phones"]] == [("call me after 5pm", "")]
    assert [(e["value"], e["normalized"]) for e in contact["emails"]] == [("kein-at-zeichen", "")]
    again = admin_api.post(URL, {"name": "Rückruf", "phones": ["call me after 5pm"]})
    assert again.status_code == 201 and again.json()["contact_matched"] is False
    assert again.json()["contact_id"] != contact["id"]


def test_an_inquiry_with_only_a_junk_phone_is_taken(admin_api, simple):
    r = admin_api.post(URL, {"phones": ["bitte zurückrufen"]})
    assert r.status_code == 201, r.content
    assert Contact.objects.get(pk=r.json()["contact_id"]).name == "bitte zurückrufen"


def test_junk_phone_beside_a_good_one_still_matches_by_the_good_one(admin_api, simple):
    first = admin_api.post(URL, {"name": "Anna", "phones": ["030 1234567"]}).json()
    second = admin_api.post(URL, {"name": "Anna", "phones": ["abends", "+49 30 1234567"]}).json()
    assert second["contact_matched"] is True and second["contact_id"] == first["contact_id"]


def test_classic_inquiry_keeps_a_junk_phone_on_the_lead(admin_api, classic):
    r = admin_api.post(URL, {"name": "Bert", "phones": ["nach 17 Uhr"]})
    assert r.status_code == 201, r.content
    lead = admin_api.get(f"/api/v1/leads/{r.json()['lead_id']}").json()
    assert [(p["value"], p["normalized"]) for p in lead["phones"]] == [("nach 17 Uhr", "")]


def test_simple_inquiry_writes_timeline_and_links_as_before(admin_api, simple):
    new = admin_api.post(URL, {"name": "Clara", "phones": ["030 5550000"], "emails": ["c@example.org"]}).json()
    deal = Deal.objects.get(pk=new["deal_id"])
    assert deal.contact_id == new["contact_id"] and not deal.is_return_customer
    assert list(deal.deal_contacts.values_list("contact_id", "is_primary")) == [(new["contact_id"], True)]
    assert sorted(Communication.objects.filter(entity_type=EntityType.CONTACT, entity_id=new["contact_id"])
                  .values_list("type", "normalized")) == [(CommType.EMAIL, "c@example.org"),
                                                          (CommType.PHONE, "+49305550000")]
    entries = TimelineEntry.objects.filter(kind="created")
    assert entries.get(entity_type=EntityType.DEAL, entity_id=deal.pk).data == {"title": "Clara", "stage": "NEW"}
    assert entries.filter(entity_type=EntityType.CONTACT, entity_id=new["contact_id"]).count() == 1
    repeat = admin_api.post(URL, {"title": "Noch eine", "emails": ["C@EXAMPLE.ORG"]}).json()
    assert repeat["contact_matched"] is True
    assert Deal.objects.get(pk=repeat["deal_id"]).is_return_customer is True
    assert entries.filter(entity_type=EntityType.CONTACT, entity_id=new["contact_id"]).count() == 1


def test_an_inquiry_without_a_title_gets_the_deal_number(admin_api, simple):
    r = admin_api.post(URL, {"emails": ["nur@example.org"]}).json()
    assert Deal.objects.get(pk=r["deal_id"]).title == f"Deal #{r['deal_id']}"


def test_statements_per_inquiry_stay_few(admin_api, simple):
    """The fast path's statement budget: a known customer, then a new one (not a timing)."""
    from django.test.utils import CaptureQueriesContext

    admin_api.post(URL, {"name": "Warm", "emails": ["warm@example.org"]})
    with CaptureQueriesContext(connection) as known:
        admin_api.post(URL, {"title": "Wieder", "emails": ["warm@example.org"]})
    with CaptureQueriesContext(connection) as new:
        admin_api.post(URL, {"name": "Neu", "phones": ["030 4440000"], "emails": ["neu@example.org"]})
    assert len(known.captured_queries) <= 10, [q["sql"][:80] for q in known.captured_queries]
    assert len(new.captured_queries) <= 13, [q["sql"][:80] for q in new.captured_queries]


def test_empty_keys_neither_match_nor_lock(admin_api, simple):
    from kontor.modes.matching import contact_match, customer_keys

    junk = admin_api.post(URL, {"name": "Ohne", "phones": ["ruft zurück"], "emails": ["keine"]}).json()
    assert Communication.objects.filter(entity_id=junk["contact_id"], normalized="").count() == 2
    assert contact_match(phones=[""], emails=[""]) is None
    assert customer_keys(phones=["", "+49301234567"], emails=[""]) == ["phone:+49301234567"]
