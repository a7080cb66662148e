"""The methods integrations call next (issue 14): users and connection checks, timeline comments,
stage history, crm.item.*, record links, deal categories, telephony."""

from __future__ import annotations

import pytest

from kontor.bitrix.models import ExternalCall
from kontor.crm.enums import ActivityType, EntityType, TimelineKind
from kontor.crm.models import (
    Activity,
    ActivityBinding,
    Contact,
    ContactCompany,
    Deal,
    Lead,
    Pipeline,
    TimelineEntry,
)


def _err(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    return response.json()


# --- users, app.info, server.time --------------------------------------------------------------


def test_user_methods_and_connection_checks(bx, admin_user, manager_user):
    me = bx.ok("user.current")
    assert me["ID"] == str(admin_user.pk) and me["ACTIVE"] is True and me["NAME"] == "Ada"
    users = bx.call("user.get", {"FILTER": {"ACTIVE": True}, "sort": "ID", "order": "DESC"})
    assert [u["ID"] for u in users["result"]] == [str(manager_user.pk), str(admin_user.pk)] and users["total"] == 2
    assert [u["ID"] for u in bx.ok("user.get", {"ID": manager_user.pk})] == [str(manager_user.pk)]
    assert [u["LAST_NAME"] for u in bx.ok("user.search", {"FIND": "manag"})] == ["Manager"]
    assert "FOO" in _err(bx.post("user.get", {"FILTER": {"FOO": 1}}))["error_description"]
    info = bx.ok("app.info")
    assert info["INSTALLED"] is True and info["STATUS"] == "L"
    assert bx.ok("server.time")[10] == "T"
    assert {"user.current", "crm.item.list", "telephony.externalcall.register"} <= set(bx.ok("methods"))


# --- timeline comments and stage history ---------------------------------------------------------


def test_timeline_comments_are_the_notes(bx, classic_mode, admin_user):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    comment = bx.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal",
                                                            "COMMENT": "Called, wants an offer"}})
    entry = TimelineEntry.objects.get(pk=comment)
    assert (entry.kind, entry.data["text"], entry.actor_id, entry.entity_type) == (
        TimelineKind.COMMENT, "Called, wants an offer", admin_user.pk, EntityType.DEAL)
    got = bx.ok("crm.timeline.comment.get", {"id": comment})
    assert got["COMMENT"] == "Called, wants an offer" and got["ENTITY_TYPE"] == "deal"
    assert got["AUTHOR_ID"] == str(admin_user.pk) and got["ENTITY_ID"] == str(deal)
    assert bx.ok("crm.timeline.comment.update", {"id": comment, "ownerTypeId": 2, "ownerId": deal,
                                                 "fields": {"COMMENT": "Offer sent"}}) == comment
    listed = bx.call("crm.timeline.comment.list", {"filter": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal"},
                                                   "select": ["ID", "COMMENT"]})
    assert listed["result"] == [{"ID": str(comment), "COMMENT": "Offer sent"}] and listed["total"] == 1
    assert _err(bx.post("crm.timeline.comment.list", {"filter": {"ENTITY_ID": deal}}))
    assert _err(bx.post("crm.timeline.comment.add", {"fields": {"ENTITY_ID": 999, "ENTITY_TYPE": "deal",
                                                                "COMMENT": "x"}}))
    assert _err(bx.post("crm.timeline.comment.add", {"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal",
                                                                "COMMENT": ""}}))
    created = TimelineEntry.objects.get(entity_id=deal, kind=TimelineKind.CREATED)
    assert _err(bx.post("crm.timeline.comment.delete", {"id": created.pk}))["error_description"] == "Not found"
    assert bx.ok("crm.timeline.comment.delete", {"id": comment, "ownerTypeId": 2, "ownerId": deal}) is True
    assert not TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).exists()
    assert set(bx.ok("crm.timeline.comment.fields")) >= {"ID", "ENTITY_ID", "ENTITY_TYPE", "COMMENT", "AUTHOR_ID"}


def test_stage_history_from_the_timeline(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    bx.ok("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": "PREPARATION"}})
    bx.ok("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": "WON"}})
    out = bx.call("crm.stagehistory.list", {"entityTypeId": 2, "filter": {"OWNER_ID": deal},
                                            "order": {"ID": "ASC"}})
    rows = out["result"]["items"]
    assert [(r["TYPE_ID"], r["STAGE_ID"], r["STAGE_SEMANTIC_ID"]) for r in rows] == [
        (1, "NEW", "P"), (2, "PREPARATION", "P"), (3, "WON", "S")]
    assert out["total"] == 3 and all(r["OWNER_ID"] == deal and r["CATEGORY_ID"] == 0 for r in rows)
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "L"}})
    bx.ok("crm.lead.update", {"id": lead, "fields": {"STATUS_ID": "IN_PROCESS"}})
    rows = bx.ok("crm.stagehistory.list", {"entityTypeId": 1, "filter": {"OWNER_ID": lead}})["items"]
    assert [(r["TYPE_ID"], r["STATUS_ID"]) for r in rows] == [(1, "NEW"), (2, "IN_PROCESS")]
    assert _err(bx.post("crm.stagehistory.list", {"entityTypeId": 3}))


# --- crm.item.* --------------------------------------------------------------------------------


def test_crm_item_crud_in_camel_case(bx, classic_mode, admin_user):
    added = bx.ok("crm.item.add", {"entityTypeId": 2, "fields": {
        "title": "Item deal", "opportunity": 250.5, "currencyId": "EUR", "assignedById": admin_user.pk}})["item"]
    assert added["title"] == "Item deal" and added["opportunity"] == 250.5 and added["categoryId"] == 0
    assert added["assignedById"] == admin_user.pk and added["stageId"] == "NEW" and isinstance(added["id"], int)
    assert "createdTime" in added and "createdBy" in added and "ASSIGNED_BY_ID" not in added
    got = bx.ok("crm.item.get", {"entityTypeId": 2, "id": added["id"]})["item"]
    assert got["title"] == "Item deal"
    updated = bx.ok("crm.item.update", {"entityTypeId": 2, "id": added["id"], "fields": {"title": "Renamed"}})
    assert updated["item"]["title"] == "Renamed"
    listed = bx.call("crm.item.list", {"entityTypeId": 2, "select": ["id", "title"], "filter": {"%title": "Ren"},
                                       "order": {"id": "DESC"}})
    assert listed["result"] == {"items": [{"id": added["id"], "title": "Renamed"}]} and listed["total"] == 1
    assert "assignedById" in _err(bx.post("crm.item.add", {"entityTypeId": 2, "fields": {
        "title": "x", "assignedById": 999}}))["error_description"]
    assert "noSuchField" in _err(bx.post("crm.item.add", {"entityTypeId": 2, "fields": {
        "title": "x", "noSuchField": 1}}))["error_description"].replace("NOSUCHFIELD", "noSuchField")
    assert bx.ok("crm.item.delete", {"entityTypeId": 2, "id": added["id"]}) == []
    assert not Deal.objects.exists()
    assert _err(bx.post("crm.item.list", {"entityTypeId": 128}))["error"] == "NOT_FOUND"
    fields = bx.ok("crm.item.fields", {"entityTypeId": 1})["fields"]
    assert fields["assignedById"]["upperName"] == "ASSIGNED_BY_ID" and fields["statusId"]["upperName"] == "STATUS_ID"


def test_crm_item_contact_with_fm_and_user_field(bx, classic_mode):
    bx.ok("crm.contact.userfield.add", {"fields": {"FIELD_NAME": "REGION", "USER_TYPE_ID": "string"}})
    item = bx.ok("crm.item.add", {"entityTypeId": 3, "fields": {
        "name": "Erika", "lastName": "Muster", "ufCrm_REGION": "Nord",
        "fm": [{"typeId": "PHONE", "valueType": "WORK", "value": "+49 30 1234567"}]}})["item"]
    assert item["lastName"] == "Muster" and item["ufCrm_REGION"] == "Nord"
    assert item["fm"][0]["typeId"] == "PHONE" and item["fm"][0]["value"] == "+49 30 1234567"
    rows = bx.ok("crm.item.list", {"entityTypeId": 3, "filter": {"ufCrm_REGION": "Nord"},
                                   "select": ["id", "fm"]})["items"]
    assert rows[0]["id"] == item["id"] and rows[0]["fm"][0]["value"] == "+49 30 1234567"
    original = bx.ok("crm.item.get", {"entityTypeId": 3, "id": item["id"], "useOriginalUfNames": "Y"})["item"]
    assert original["UF_CRM_REGION"] == "Nord" and "ufCrm_REGION" not in original


def test_crm_item_category_id_moves_a_deal_to_another_pipeline(bx, admin_user):
    cat = bx.ok("crm.category.add", {"entityTypeId": 2, "fields": {"name": "Wholesale"}})["category"]["id"]
    deal = bx.ok("crm.item.add", {"entityTypeId": 2, "fields": {"title": "Move me"}})["item"]["id"]
    moved = bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"categoryId": cat}})["item"]
    assert moved["categoryId"] == cat and moved["stageId"] == f"C{cat}:NEW"
    assert Deal.objects.get(pk=deal).pipeline_id == Pipeline.objects.get(pk=cat).pk
    back = bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"categoryId": 0,
                                                                                "stageId": "PREPARATION"}})["item"]
    assert (back["categoryId"], back["stageId"]) == (0, "PREPARATION")
    assert _err(bx.post("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"categoryId": 999}}))


# --- links between records --------------------------------------------------------------------


def test_deal_contact_add_delete(bx):
    a = bx.ok("crm.contact.add", {"fields": {"NAME": "A"}})
    b = bx.ok("crm.contact.add", {"fields": {"NAME": "B"}})
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    assert bx.ok("crm.deal.contact.add", {"id": deal, "fields": {"CONTACT_ID": a}}) is True
    assert bx.ok("crm.deal.contact.add", {"id": deal, "fields": {"CONTACT_ID": b, "IS_PRIMARY": "Y"}}) is True
    assert [(i["CONTACT_ID"], i["IS_PRIMARY"]) for i in bx.ok("crm.deal.contact.items.get", {"id": deal})] == [
        (b, "Y"), (a, "N")]
    assert Deal.objects.get(pk=deal).contact_id == b
    assert bx.ok("crm.deal.contact.delete", {"id": deal, "fields": {"CONTACT_ID": b}}) is True
    assert Deal.objects.get(pk=deal).contact_id == a
    assert _err(bx.post("crm.deal.contact.add", {"id": deal, "fields": {"CONTACT_ID": 999}}))
    assert _err(bx.post("crm.deal.contact.delete", {"id": deal, "fields": {"CONTACT_ID": b}}))
    assert bx.ok("crm.deal.contact.items.delete", {"id": deal}) is True
    assert bx.ok("crm.deal.contact.items.get", {"id": deal}) == []
    assert "CONTACT_ID" in bx.ok("crm.deal.contact.fields")


def test_contact_company_and_company_contact_links(bx):
    c1 = bx.ok("crm.company.add", {"fields": {"TITLE": "One"}})
    c2 = bx.ok("crm.company.add", {"fields": {"TITLE": "Two"}})
    erika = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika"}})
    max_ = bx.ok("crm.contact.add", {"fields": {"NAME": "Max"}})
    assert bx.ok("crm.contact.company.add", {"id": erika, "fields": {"COMPANY_ID": c1}})
    assert bx.ok("crm.contact.company.items.set", {"id": erika, "items": [{"COMPANY_ID": c1},
                                                                          {"COMPANY_ID": c2, "IS_PRIMARY": "Y"}]})
    assert [i["COMPANY_ID"] for i in bx.ok("crm.contact.company.items.get", {"id": erika})] == [c2, c1]
    assert Contact.objects.get(pk=erika).company_id == c2
    assert bx.ok("crm.company.contact.add", {"id": c1, "fields": {"CONTACT_ID": max_}})
    assert sorted(i["CONTACT_ID"] for i in bx.ok("crm.company.contact.items.get", {"id": c1})) == [erika, max_]
    assert bx.ok("crm.company.contact.delete", {"id": c1, "fields": {"CONTACT_ID": erika}})
    assert not ContactCompany.objects.filter(contact_id=erika, company_id=c1).exists()
    assert bx.ok("crm.company.contact.items.set", {"id": c2, "items": [{"CONTACT_ID": max_}]})
    assert list(ContactCompany.objects.filter(company_id=c2).values_list("contact_id", flat=True)) == [max_]
    assert bx.ok("crm.contact.company.items.delete", {"id": max_})
    assert not ContactCompany.objects.filter(contact_id=max_).exists()


def test_lead_contact_links_hold_one_contact(bx, classic_mode):
    a = bx.ok("crm.contact.add", {"fields": {"NAME": "A"}})
    b = bx.ok("crm.contact.add", {"fields": {"NAME": "B"}})
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "L"}})
    assert bx.ok("crm.lead.contact.add", {"id": lead, "fields": {"CONTACT_ID": a}})
    assert Lead.objects.get(pk=lead).contact_id == a
    assert "at most 1" in _err(bx.post("crm.lead.contact.add", {"id": lead, "fields": {"CONTACT_ID": b}}))[
        "error_description"]
    assert bx.ok("crm.lead.contact.items.set", {"id": lead, "items": [{"CONTACT_ID": b}]})
    assert bx.ok("crm.lead.contact.items.get", {"id": lead}) == [
        {"CONTACT_ID": b, "SORT": 10, "ROLE_ID": 0, "IS_PRIMARY": "Y"}]
    assert bx.ok("crm.lead.contact.delete", {"id": lead, "fields": {"CONTACT_ID": b}})
    assert Lead.objects.get(pk=lead).contact_id is None


# --- deal categories, statuses -------------------------------------------------------------------


def test_dealcategory_update_delete_default_and_stage_ids(bx, bx_manager):
    cat = bx.ok("crm.dealcategory.add", {"fields": {"NAME": "Retail"}})
    assert bx.ok("crm.dealcategory.update", {"id": cat, "fields": {"NAME": "Retail 2", "SORT": 300}}) is True
    assert bx.ok("crm.dealcategory.get", {"id": cat})["NAME"] == "Retail 2"
    assert _err(bx_manager.post("crm.dealcategory.update", {"id": cat, "fields": {"NAME": "x"}}))
    default = bx.ok("crm.dealcategory.default.get")
    assert default["ID"] == "0"
    stages = bx.ok("crm.dealcategory.stage.list", {"id": cat})
    assert all(s["ID"] for s in stages)
    entry = bx.ok("crm.status.get", {"id": stages[0]["ID"]})
    assert entry["STATUS_ID"] == f"C{cat}:NEW" and entry["ID"] == stages[0]["ID"]
    statuses = bx.ok("crm.status.list", {"filter": {"ENTITY_ID": "STATUS"}})
    status = next(s for s in statuses if s["STATUS_ID"] == "NEW")
    assert bx.ok("crm.status.get", {"id": status["ID"]})["NAME"] == status["NAME"]
    assert _err(bx.post("crm.dealcategory.delete", {"id": 0}))
    assert bx.ok("crm.dealcategory.delete", {"id": cat}) is True
    assert not Pipeline.objects.filter(pk=cat).exists()


# --- telephony ---------------------------------------------------------------------------------


def test_pbx_call_lands_on_the_known_contact(bx, classic_mode, manager_user):
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Ivan", "PHONE": [{"VALUE": "+7 900 123-45-67"}]}})
    reg = bx.ok("telephony.externalcall.register", {"USER_ID": manager_user.pk, "PHONE_NUMBER": "79001234567",
                                                    "TYPE": 2, "CALL_START_DATE": "05.12.2026 10:00:00"})
    assert (reg["CRM_ENTITY_TYPE"], reg["CRM_ENTITY_ID"], reg["CRM_CREATED_LEAD"]) == ("CONTACT", contact, None)
    assert reg["CRM_CREATED_ENTITIES"] == [] and reg["CALL_ID"].startswith("externalCall.")
    activity = Activity.objects.get()
    assert activity.type == ActivityType.CALL and activity.responsible_id == manager_user.pk
    assert not activity.completed and activity.direction == 1
    assert list(ActivityBinding.objects.values_list("entity_type", "entity_id")) == [(EntityType.CONTACT, contact)]
    done = bx.ok("telephony.externalcall.finish", {"CALL_ID": reg["CALL_ID"], "USER_ID": manager_user.pk,
                                                   "DURATION": 65, "STATUS_CODE": "200"})
    assert done["CRM_ACTIVITY_ID"] == activity.pk and done["CALL_DURATION"] == 65
    activity.refresh_from_db()
    assert activity.completed and "65 s" in activity.description
    bx.ok("telephony.externalcall.attachRecord", {"CALL_ID": reg["CALL_ID"], "FILENAME": "call.mp3",
                                                  "RECORD_URL": "https://pbx.example/rec/1.mp3"})
    activity.refresh_from_db()
    assert "https://pbx.example/rec/1.mp3" in activity.description
    assert ExternalCall.objects.get().record_url == "https://pbx.example/rec/1.mp3"
    assert _err(bx.post("telephony.externalcall.finish", {"CALL_ID": reg["CALL_ID"], "USER_ID": manager_user.pk,
                                                          "DURATION": 1}))
    assert _err(bx.post("telephony.externalcall.attachRecord", {"CALL_ID": reg["CALL_ID"],
                                                                "FILE_CONTENT": "AAAA"}))


def test_unknown_caller_becomes_a_lead_in_classic_mode(bx, classic_mode, admin_user):
    reg = bx.ok("telephony.externalcall.register", {"USER_ID": admin_user.pk, "PHONE_NUMBER": "+49 30 9876543",
                                                    "TYPE": 2})
    lead = Lead.objects.get()
    assert reg["CRM_CREATED_LEAD"] == lead.pk and reg["CRM_ENTITY_TYPE"] == "LEAD"
    assert reg["CRM_CREATED_ENTITIES"] == [{"ENTITY_TYPE": "LEAD", "ENTITY_ID": lead.pk}]
    assert lead.source_id == "CALL" and lead.assigned_id == admin_user.pk
    assert ActivityBinding.objects.get().entity_id == lead.pk
    again = bx.ok("telephony.externalcall.register", {"USER_ID": admin_user.pk, "PHONE_NUMBER": "030 9876543",
                                                      "TYPE": 2})
    assert again["CRM_ENTITY_ID"] == lead.pk and Lead.objects.count() == 1


def test_unknown_caller_becomes_deal_and_contact_in_simple_mode(bx, simple_mode, admin_user):
    reg = bx.ok("telephony.externalcall.register", {"USER_ID": admin_user.pk, "PHONE_NUMBER": "+49 30 5555555",
                                                    "TYPE": 2, "CRM_CREATE": 1})
    contact, deal = Contact.objects.get(), Deal.objects.get()
    assert (reg["CRM_ENTITY_TYPE"], reg["CRM_ENTITY_ID"]) == ("CONTACT", contact.pk)
    assert {(e["ENTITY_TYPE"], e["ENTITY_ID"]) for e in reg["CRM_CREATED_ENTITIES"]} == {
        ("CONTACT", contact.pk), ("DEAL", deal.pk)}
    assert set(ActivityBinding.objects.values_list("entity_type", "entity_id")) == {
        (EntityType.CONTACT, contact.pk), (EntityType.DEAL, deal.pk)}


@pytest.mark.parametrize("params", [{"PHONE_NUMBER": "1", "TYPE": 2},
                                    {"USER_ID": 999, "PHONE_NUMBER": "1", "TYPE": 2},
                                    {"USER_ID": 1, "PHONE_NUMBER": "", "TYPE": 2},
                                    {"USER_ID": 1, "PHONE_NUMBER": "1", "TYPE": 9}])
def test_register_errors(bx, classic_mode, params):
    assert _err(bx.post("telephony.externalcall.register", params))["error"] == "ERROR_ARGUMENT"
    assert not Activity.objects.exists() and not Lead.objects.exists()


def test_register_without_crm_create_binds_nothing(bx, classic_mode, admin_user):
    reg = bx.ok("telephony.externalcall.register", {"USER_ID": admin_user.pk, "PHONE_NUMBER": "+49 30 5555555",
                                                    "TYPE": 2, "CRM_CREATE": 0})
    assert reg["CRM_ENTITY_ID"] is None and not Lead.objects.exists() and not Activity.objects.exists()
