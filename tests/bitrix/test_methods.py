"""Facade methods against Kontor's services: field names and formats, rules, permissions."""

from __future__ import annotations

import re

import pytest

from kontor.crm.models import Activity, Communication, Contact, Deal, DealContact, Lead, Pipeline, Stage

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


# --- leads ---------------------------------------------------------------------------------------


def test_lead_crud_and_formats(bx, classic_mode, admin_user):
    lead_id = bx.ok("crm.lead.add", {"fields": {
        "TITLE": "Web shop inquiry", "NAME": "Ada", "LAST_NAME": "Lovelace", "OPPORTUNITY": 1500.5,
        "CURRENCY_ID": "EUR", "SOURCE_ID": "WEB", "COMMENTS": "call back", "OPENED": "Y",
        "STATUS_SEMANTIC_ID": "S", "DATE_CREATE": "2001-01-01T00:00:00+00:00", "ASSIGNED_BY_ID": str(admin_user.pk),
        "PHONE": [{"VALUE": "030 1234567", "VALUE_TYPE": "WORK"}],
        "EMAIL": [{"VALUE": "ada@example.org", "VALUE_TYPE": "HOME"}],
    }})
    assert isinstance(lead_id, int)
    lead = bx.ok("crm.lead.get", {"id": lead_id})
    assert lead["ID"] == str(lead_id)
    assert lead["OPPORTUNITY"] == "1500.50" and lead["CURRENCY_ID"] == "EUR"
    assert (lead["STATUS_ID"], lead["STATUS_SEMANTIC_ID"]) == ("NEW", "P")
    assert lead["SOURCE_ID"] == "WEB" and lead["COMMENTS"] == "call back"
    assert lead["ASSIGNED_BY_ID"] == str(admin_user.pk) and lead["OPENED"] == "Y"
    assert ISO.match(lead["DATE_CREATE"]) and ISO.match(lead["DATE_MODIFY"])
    assert lead["IS_RETURN_CUSTOMER"] == "N" and lead["HAS_PHONE"] == "Y" and lead["HAS_EMAIL"] == "Y"
    assert lead["EMAIL"][0]["VALUE_TYPE"] == "HOME"

    assert bx.ok("crm.lead.update", {"id": lead_id, "fields": {"STATUS_ID": "IN_PROCESS", "TITLE": "Qualified"}})
    lead = bx.ok("crm.lead.get", {"id": lead_id})
    assert (lead["TITLE"], lead["STATUS_ID"]) == ("Qualified", "IN_PROCESS")

    assert bx.ok("crm.lead.delete", {"id": lead_id}) is True
    assert bx.post("crm.lead.get", {"id": lead_id}).status_code == 400
    assert not Communication.objects.filter(entity_type=1, entity_id=lead_id).exists()


def test_lead_with_contact_is_a_return_customer(bx, classic_mode):
    contact_id = bx.ok("crm.contact.add", {"fields": {"NAME": "Bob"}})
    lead_id = bx.ok("crm.lead.add", {"fields": {"TITLE": "Again", "CONTACT_ID": contact_id}})
    lead = bx.ok("crm.lead.get", {"id": lead_id})
    assert lead["IS_RETURN_CUSTOMER"] == "Y" and lead["CONTACT_ID"] == str(contact_id)


def test_multifield_update_rules(bx, classic_mode):
    contact_id = bx.ok("crm.contact.add", {"fields": {"NAME": "Multi", "PHONE": [
        {"VALUE": "+49 30 1111111", "VALUE_TYPE": "WORK"},
        {"VALUE": "+49 30 2222222", "VALUE_TYPE": "MOBILE"},
        {"VALUE": "+49 30 3333333", "VALUE_TYPE": "HOME"},
    ]}})
    phones = bx.ok("crm.contact.get", {"id": contact_id})["PHONE"]
    first, second, third = (p["ID"] for p in phones)
    bx.ok("crm.contact.update", {"id": contact_id, "fields": {"PHONE": [
        {"VALUE": "+49 30 4444444", "VALUE_TYPE": "FAX"},  # no ID: added, the others stay
        {"ID": first, "VALUE": "+49 30 1111112"},  # ID + VALUE: overwritten
        {"ID": second, "DELETE": "Y"},  # deleted
    ]}})
    phones = {p["ID"]: p for p in bx.ok("crm.contact.get", {"id": contact_id})["PHONE"]}
    assert phones[first]["VALUE"] == "+49 30 1111112" and phones[first]["VALUE_TYPE"] == "WORK"
    assert second not in phones and third in phones
    assert [p["VALUE_TYPE"] for p in phones.values()].count("FAX") == 1
    bx.ok("crm.contact.update", {"id": contact_id, "fields": {"PHONE": [{"ID": third, "VALUE": ""}]}})
    assert third not in {p["ID"] for p in bx.ok("crm.contact.get", {"id": contact_id})["PHONE"]}
    assert Communication.objects.get(pk=first).normalized == "+49301111112"


def test_simple_mode_lead_add_converts(bx, simple_mode):
    lead_id = bx.ok("crm.lead.add", {"fields": {"TITLE": "Shop order", "NAME": "Ada",
                                                "PHONE": [{"VALUE": "+49 30 5555555", "VALUE_TYPE": "WORK"}]}})
    lead = bx.ok("crm.lead.get", {"id": lead_id})
    assert lead["STATUS_ID"] == "CONVERTED" and lead["STATUS_SEMANTIC_ID"] == "S"
    deals = bx.ok("crm.deal.list", {"filter": {"LEAD_ID": lead_id}, "select": ["ID", "LEAD_ID", "CATEGORY_ID"]})
    assert len(deals) == 1 and deals[0]["LEAD_ID"] == str(lead_id)
    assert bx.ok("crm.settings.mode.get") == 2


# --- deals, pipelines, stages ------------------------------------------------------------------


def test_deal_in_pipelines_and_stages(bx, admin_user):
    category = bx.ok("crm.category.add", {"entityTypeId": 2, "fields": {"name": "Wholesale", "sort": 200}})
    cat_id = category["category"]["id"]
    assert cat_id > 0 and category["category"]["isDefault"] == "N"
    cats = bx.ok("crm.category.list", {"entityTypeId": 2})["categories"]
    assert cats[0]["id"] == 0 and cats[0]["isDefault"] == "Y"
    assert {c["id"] for c in cats} == {0, cat_id}

    deal_id = bx.ok("crm.deal.add", {"fields": {"TITLE": "Big", "CATEGORY_ID": cat_id, "OPPORTUNITY": "100"}})
    deal = bx.ok("crm.deal.get", {"id": deal_id})
    assert deal["CATEGORY_ID"] == str(cat_id) and deal["STAGE_ID"] == f"C{cat_id}:NEW"
    assert deal["STAGE_SEMANTIC_ID"] == "P" and deal["CLOSED"] == "N" and deal["OPPORTUNITY"] == "100.00"
    assert bx.ok("crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": f"C{cat_id}:WON", "CATEGORY_ID": 0}})
    deal = bx.ok("crm.deal.get", {"id": deal_id})
    assert (deal["STAGE_ID"], deal["STAGE_SEMANTIC_ID"], deal["CLOSED"]) == (f"C{cat_id}:WON", "S", "Y")
    assert deal["CATEGORY_ID"] == str(cat_id)  # immutable in crm.deal.update
    assert bx.post("crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": "PREPARATION"}}).status_code == 400

    default_deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "Small", "STAGE_ID": "PREPARATION"}})
    assert bx.ok("crm.deal.get", {"id": default_deal})["CATEGORY_ID"] == "0"
    in_cat = bx.ok("crm.deal.list", {"filter": {"CATEGORY_ID": cat_id}, "select": ["ID"]})
    assert in_cat == [{"ID": str(deal_id)}]
    by_stage = bx.ok("crm.deal.list", {"filter": {"STAGE_ID": "PREPARATION"}, "select": ["ID"]})
    assert by_stage == [{"ID": str(default_deal)}]
    won = bx.ok("crm.deal.list", {"filter": {"STAGE_SEMANTIC_ID": "S"}, "select": ["ID"]})
    assert won == [{"ID": str(deal_id)}]
    assert bx.post("crm.deal.add", {"fields": {"STAGE_ID": "C999:NEW"}}).status_code == 400

    stages = bx.ok("crm.dealcategory.stage.list", {"id": cat_id})
    assert stages[0]["STATUS_ID"] == f"C{cat_id}:NEW" and stages[0]["ENTITY_ID"] == f"DEAL_STAGE_{cat_id}"
    assert bx.ok("crm.dealcategory.stage.list", {"id": 0})[0]["STATUS_ID"] == "NEW"
    assert bx.ok("crm.dealcategory.list")[0]["NAME"] == "Wholesale"
    assert bx.ok("crm.dealcategory.get", {"id": cat_id})["ID"] == str(cat_id)
    dc_id = bx.ok("crm.dealcategory.add", {"fields": {"NAME": "Retail"}})
    assert Pipeline.objects.get(pk=dc_id).stages.count() == 8

    assert bx.ok("crm.category.update", {"entityTypeId": 2, "id": dc_id, "fields": {"name": "Retail 2"}})
    assert bx.ok("crm.category.get", {"entityTypeId": 2, "id": dc_id})["category"]["name"] == "Retail 2"
    assert bx.ok("crm.category.delete", {"entityTypeId": 2, "id": dc_id}) is True
    assert bx.post("crm.category.delete", {"entityTypeId": 2, "id": cat_id}).status_code == 400  # has deals
    assert bx.post("crm.category.delete", {"entityTypeId": 2, "id": 0}).status_code == 400  # default
    assert bx.post("crm.category.list", {"entityTypeId": 1}).status_code == 400


def test_deal_contacts(bx):
    a = bx.ok("crm.contact.add", {"fields": {"NAME": "A"}})
    b = bx.ok("crm.contact.add", {"fields": {"NAME": "B"}})
    company = bx.ok("crm.company.add", {"fields": {"TITLE": "ACME"}})
    deal_id = bx.ok("crm.deal.add", {"fields": {"TITLE": "D", "CONTACT_IDS": [a, b], "COMPANY_ID": company}})
    deal = bx.ok("crm.deal.get", {"id": deal_id})
    assert deal["CONTACT_ID"] == str(a) and deal["CONTACT_IDS"] == [a, b] and deal["COMPANY_ID"] == str(company)
    items = bx.ok("crm.deal.contact.items.get", {"id": deal_id})
    assert items == [{"CONTACT_ID": a, "SORT": 10, "ROLE_ID": 0, "IS_PRIMARY": "Y"},
                     {"CONTACT_ID": b, "SORT": 20, "ROLE_ID": 0, "IS_PRIMARY": "N"}]
    assert bx.ok("crm.deal.contact.items.set", {"id": deal_id, "items": [
        {"CONTACT_ID": a, "SORT": 10}, {"CONTACT_ID": b, "SORT": 20, "IS_PRIMARY": "Y"}]}) is True
    assert Deal.objects.get(pk=deal_id).contact_id == b
    assert list(DealContact.objects.filter(deal_id=deal_id).order_by("sort").values_list("contact_id", flat=True)) \
        == [b, a]
    bx.ok("crm.deal.contact.items.set", {"id": deal_id, "items": []})
    assert bx.ok("crm.deal.contact.items.get", {"id": deal_id}) == []
    second = bx.ok("crm.deal.add", {"fields": {"TITLE": "Again", "COMPANY_ID": company}})
    assert bx.ok("crm.deal.get", {"id": second})["IS_RETURN_CUSTOMER"] == "Y"


# --- contacts, companies -------------------------------------------------------------------------


def test_contact_and_company(bx):
    company = bx.ok("crm.company.add", {"fields": {"TITLE": "Muster GmbH", "INDUSTRY": "IT",
                                                   "EMAIL": [{"VALUE": "info@muster.de", "VALUE_TYPE": "WORK"}]}})
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "LAST_NAME": "Mustermann",
                                                   "COMPANY_ID": company, "POST": "CEO"}})
    got = bx.ok("crm.contact.get", {"id": contact})
    assert (got["NAME"], got["LAST_NAME"], got["COMPANY_ID"], got["POST"]) == ("Erika", "Mustermann", str(company),
                                                                               "CEO")
    assert "PHONE" not in got and got["HAS_PHONE"] == "N"
    assert bx.ok("crm.company.get", {"id": company})["EMAIL"][0]["VALUE"] == "info@muster.de"
    found = bx.ok("crm.contact.list", {"filter": {"COMPANY_ID": company, "%LAST_NAME": "muster"}})
    assert [c["ID"] for c in found] == [str(contact)]
    by_mail = bx.ok("crm.company.list", {"filter": {"EMAIL": "INFO@muster.de"}, "select": ["ID", "EMAIL"]})
    assert by_mail[0]["ID"] == str(company) and by_mail[0]["EMAIL"][0]["VALUE"] == "info@muster.de"
    assert bx.ok("crm.company.update", {"id": company, "fields": {"TITLE": "Muster AG"}})
    assert bx.ok("crm.company.get", {"id": company})["TITLE"] == "Muster AG"
    assert bx.post("crm.contact.update", {"id": contact, "fields": {"NAME": "", "LAST_NAME": ""}}).status_code == 400
    assert bx.ok("crm.company.delete", {"id": company}) and bx.ok("crm.contact.delete", {"id": contact})
    assert not Contact.objects.exists()


@pytest.mark.parametrize("entity", ["lead", "deal", "contact", "company", "activity"])
def test_fields_describe_entities(bx, entity):
    fields = bx.ok(f"crm.{entity}.fields")
    assert fields["ID"] == {"type": "integer", "isRequired": False, "isReadOnly": True, "isImmutable": False,
                            "isMultiple": False, "isDynamic": False, "title": "ID"}


# --- activities ----------------------------------------------------------------------------------


def test_activity_crud_and_list(bx, admin_user, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "With calls"}})
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Callee"}})
    act = bx.ok("crm.activity.add", {"fields": {
        "OWNER_TYPE_ID": 2, "OWNER_ID": deal, "TYPE_ID": 2, "SUBJECT": "Call back", "DIRECTION": 2,
        "START_TIME": "2030-05-01T10:00:00+02:00", "END_TIME": "2030-05-01T10:30:00+02:00",
        "RESPONSIBLE_ID": admin_user.pk, "COMPLETED": "N", "PRIORITY": 3,
        "BINDINGS": [{"OWNER_TYPE_ID": 3, "OWNER_ID": contact}],
        "COMMUNICATIONS": [{"VALUE": "+49 30 1234567", "ENTITY_ID": contact, "ENTITY_TYPE_ID": 3}],
    }})
    got = bx.ok("crm.activity.get", {"id": act})
    assert (got["TYPE_ID"], got["OWNER_TYPE_ID"], got["OWNER_ID"], got["SUBJECT"]) == ("2", "2", str(deal),
                                                                                       "Call back")
    assert got["COMPLETED"] == "N" and got["DIRECTION"] == "2" and got["PRIORITY"] == "3"
    assert ISO.match(got["DEADLINE"])
    assert {(b["OWNER_TYPE_ID"], b["OWNER_ID"]) for b in got["BINDINGS"]} == {("2", str(deal)), ("3", str(contact))}
    assert bx.ok("crm.activity.update", {"id": act, "fields": {"COMPLETED": "Y"}}) is True
    assert Activity.objects.get(pk=act).completed
    todo = bx.ok("crm.activity.todo.add", {"ownerTypeId": 2, "ownerId": deal, "title": "Send offer",
                                           "deadline": "2030-05-02T09:00:00+02:00"})
    assert isinstance(todo["id"], int)
    rows = bx.ok("crm.activity.list", {"filter": {"OWNER_TYPE_ID": 2, "OWNER_ID": deal}, "order": {"ID": "ASC"},
                                       "select": ["ID", "TYPE_ID", "PROVIDER_ID", "COMPLETED"]})
    assert [(r["TYPE_ID"], r["PROVIDER_ID"], r["COMPLETED"]) for r in rows] == [("2", "VOXIMPLANT_CALL", "Y"),
                                                                                 ("6", "CRM_TODO", "N")]
    by_binding = bx.ok("crm.activity.list", {"filter": {"BINDINGS": [{"OWNER_TYPE_ID": 3, "OWNER_ID": contact}]}})
    assert [r["ID"] for r in by_binding] == [str(act)]
    open_ = bx.ok("crm.activity.list", {"filter": {"COMPLETED": "N"}})
    assert [r["ID"] for r in open_] == [str(todo["id"])]
    assert bx.post("crm.activity.add", {"fields": {"SUBJECT": "No owner"}}).status_code == 400
    assert bx.post("crm.activity.add", {"fields": {"OWNER_TYPE_ID": 2, "OWNER_ID": 99999,
                                                   "SUBJECT": "x"}}).status_code == 400
    assert bx.ok("crm.activity.delete", {"id": act}) is True
    body = bx.post("crm.activity.get", {"id": act}).json()
    assert body["error"] == "" and body["error_description"] == "Activity is not found"


# --- statuses ------------------------------------------------------------------------------------


def test_status_directories(bx, bx_manager):
    statuses = bx.ok("crm.status.list", {"filter": {"ENTITY_ID": "STATUS"}, "order": {"SORT": "ASC"}})
    codes = [s["STATUS_ID"] for s in statuses]
    assert codes[:1] == ["NEW"] and "CONVERTED" in codes and "JUNK" in codes
    converted = next(s for s in statuses if s["STATUS_ID"] == "CONVERTED")
    assert converted["SEMANTICS"] == "S" and converted["EXTRA"]["SEMANTICS"] == "success"
    assert bx.post("crm.status.list", {"filter": {"ENTITY_ID": ["STATUS"]}}).status_code == 400
    sources = bx.ok("crm.status.entity.items", {"entityId": "SOURCE"})
    assert {"NAME": sources[0]["NAME"], "SORT": sources[0]["SORT"], "STATUS_ID": "CALL"} == sources[0]
    types = {t["ID"]: t for t in bx.ok("crm.status.entity.types")}
    assert {"STATUS", "SOURCE", "DEAL_STAGE"} <= set(types)

    new_id = bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "STATUS", "STATUS_ID": "CALLBACK_LATER",
                                                 "NAME": "Call back later", "SORT": 25}})
    assert isinstance(new_id, int)
    assert bx.ok("crm.status.update", {"id": new_id, "fields": {"NAME": "Later"}}) is True
    names = {s["STATUS_ID"]: s for s in bx.ok("crm.status.list", {"filter": {"ENTITY_ID": "STATUS"}})}
    assert names["CALLBACK_LATER"]["NAME"] == "Later" and names["CALLBACK_LATER"]["ID"] == str(new_id)
    assert bx_manager.post("crm.status.delete", {"id": new_id}).status_code == 400
    assert bx.ok("crm.status.delete", {"id": new_id}) is True

    cat_id = bx.ok("crm.category.add", {"entityTypeId": 2, "fields": {"name": "Projects"}})["category"]["id"]
    stage_ref = bx.ok("crm.status.add", {"fields": {"ENTITY_ID": f"DEAL_STAGE_{cat_id}", "STATUS_ID": "REVIEW",
                                                    "NAME": "Review", "SORT": 15}})
    stage = Stage.objects.get(pipeline_id=cat_id, code="REVIEW")
    assert stage.sort == 15
    items = bx.ok("crm.status.entity.items", {"entityId": f"DEAL_STAGE_{cat_id}"})
    assert f"C{cat_id}:REVIEW" in [i["STATUS_ID"] for i in items]
    deal = bx.ok("crm.deal.add", {"fields": {"CATEGORY_ID": cat_id, "STAGE_ID": f"C{cat_id}:REVIEW"}})
    assert bx.ok("crm.deal.get", {"id": deal})["STAGE_ID"] == f"C{cat_id}:REVIEW"
    assert bx.post("crm.status.delete", {"id": stage_ref}).status_code == 400  # a deal is in it


# --- mode, enums, duplicates, profile ---------------------------------------------------------


def test_mode_enums_profile(bx, classic_mode, admin_user):
    assert bx.ok("crm.settings.mode.get") == 1
    assert bx.ok("crm.enum.settings.mode") == [{"ID": 1, "NAME": "Classic CRM"}, {"ID": 2, "NAME": "Simple CRM"}]
    assert [t["SYMBOL_CODE"] for t in bx.ok("crm.enum.ownertype")] == ["LEAD", "DEAL", "CONTACT", "COMPANY"]
    profile = bx.ok("profile")
    assert profile["ID"] == str(admin_user.pk) and profile["ADMIN"] is True
    methods = bx.ok("methods")
    assert "crm.lead.list" in methods and "batch" in methods
    assert "crm" in bx.ok("scope")


def test_duplicate_findbycomm(bx, classic_mode):
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "L", "PHONE": [{"VALUE": "+49 (30) 123-4567"}]}})
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "C", "PHONE": [{"VALUE": "030 1234567"}],
                                                   "EMAIL": [{"VALUE": "Dup@Example.org"}]}})
    found = bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": ["+4930 1234567"]})
    assert found == {"LEAD": [lead], "CONTACT": [contact]}
    assert bx.ok("crm.duplicate.findbycomm", {"type": "EMAIL", "values": ["dup@example.org"],
                                              "entity_type": "CONTACT"}) == {"CONTACT": [contact]}
    assert bx.ok("crm.duplicate.findbycomm", {"type": "EMAIL", "values": ["none@example.org"]}) == []
    for params in ({}, {"type": "PHONE"}, {"type": "FAX", "values": ["1"]}):
        response = bx.post("crm.duplicate.findbycomm", params)
        assert response.status_code == 400 and response.json()["error"] == ""


# --- batch ---------------------------------------------------------------------------------------


def test_batch_sections_halt_and_references(bx, classic_mode):
    Lead.objects.bulk_create([Lead(title=f"B{i}") for i in range(60)])
    out = bx.ok("batch", {"halt": 0, "cmd": {
        "list": "crm.lead.list?select[]=ID&order[ID]=ASC",
        "page2": "crm.lead.list?select[]=ID&order[ID]=ASC&start=$next[list]",
        "count": "crm.lead.get?id=$result[list][0][ID]",
        "bad": "crm.lead.get?id=0",
        "total": "crm.lead.list?filter[>ID]=$total[list]&select[]=ID",
    }})
    assert set(out) == {"result", "result_error", "result_total", "result_next", "result_time"}
    assert len(out["result"]["list"]) == 50 and len(out["result"]["page2"]) == 10
    # $total[list] (60) as an id bound: how many leads lie above it depends on the ids the database hands
    # out (PostgreSQL's sequences go on across tests), so the expectation is counted, not assumed.
    above = Lead.objects.filter(pk__gt=60).count()
    assert out["result_total"] == {"list": 60, "page2": 60, "total": above}
    assert len(out["result"]["total"]) == min(above, 50)
    assert out["result_next"] == {"list": 50, **({"total": 50} if above > 50 else {})}
    assert out["result"]["count"]["ID"] == out["result"]["list"][0]["ID"]
    assert out["result_error"]["bad"]["error"] == "" and "bad" not in out["result"]
    assert set(out["result_time"]["list"]) == {"start", "finish", "duration", "processing", "date_start",
                                               "date_finish", "operating", "operating_reset_at"}

    halted = bx.ok("batch", {"halt": 1, "cmd": ["crm.lead.get?id=0", "crm.settings.mode.get"]})
    assert halted["result"] == [] and halted["result_error"][0]["error"] == ""  # keys 0..n-1: a JSON list
    assert halted["result_total"] == [] and halted["result_next"] == [] and halted["result_time"] == []
    as_list = bx.ok("batch", {"cmd": ["crm.settings.mode.get?", "crm.enum.settings.mode"]})
    assert as_list["result"] == [1, [{"ID": 1, "NAME": "Classic CRM"}, {"ID": 2, "NAME": "Simple CRM"}]]
    string_false = bx.ok("batch", {"halt": "false", "cmd": ["crm.lead.get?id=0", "crm.settings.mode.get"]})
    assert string_false["result"] == []  # PHP's (bool)"false" is true


def test_batch_limits_and_nesting(bx):
    cmd = {f"c{i}": "crm.settings.mode.get" for i in range(52)}
    out = bx.ok("batch", {"cmd": cmd})
    assert len(out["result"]) == 50
    assert out["result_error"]["c50"]["error"] == "ERROR_BATCH_LENGTH_EXCEEDED"
    assert set(out["result_error"]) == {"c50", "c51"}
    nested = bx.ok("batch", {"cmd": {"inner": "batch?cmd[a]=profile", "missing": "crm.nope"}})
    assert nested["result_error"]["inner"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"
    assert nested["result_error"]["missing"]["error"] == "ERROR_METHOD_NOT_FOUND"
    assert bx.post("batch", {"cmd": "crm.lead.list"}).status_code == 400


def test_batch_form_encoded_double_encoding(bx, classic_mode):
    from urllib.parse import quote

    inner = "fields[TITLE]=" + quote("A&B + C") + "&fields[PHONE][0][VALUE]=" + quote("+49 30 7777777")
    body = "halt=0&cmd[add]=" + quote("crm.lead.add?" + inner) + "&cmd[get]=" + quote("crm.lead.get?id=$result[add]")
    result = bx.form("batch", body).json()["result"]
    assert result["result"]["get"]["TITLE"] == "A&B + C"
    assert result["result"]["get"]["PHONE"][0]["VALUE"] == "+49 30 7777777"


def test_source_directory_writes(bx, bx_manager, classic_mode):
    ref = bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "FAIR_2026", "NAME": "Fair",
                                              "SORT": 300}})
    items = {i["STATUS_ID"]: i for i in bx.ok("crm.status.entity.items", {"entityId": "SOURCE"})}
    assert items["FAIR_2026"] == {"NAME": "Fair", "SORT": 300, "STATUS_ID": "FAIR_2026"}
    assert bx_manager.post("crm.status.update", {"id": ref, "fields": {"NAME": "x"}}).status_code == 400
    assert bx.ok("crm.status.update", {"id": ref, "fields": {"NAME": "Trade fair 2026"}}) is True
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "From the fair", "SOURCE_ID": "FAIR_2026"}})
    assert bx.ok("crm.lead.list", {"filter": {"SOURCE_ID": "FAIR_2026"}, "select": ["ID"]}) == [{"ID": str(lead)}]
    assert bx.post("crm.status.delete", {"id": ref}).status_code == 400  # still in use
    bx.ok("crm.lead.delete", {"id": lead})
    assert bx.ok("crm.status.delete", {"id": ref}) is True
    assert "FAIR_2026" not in {i["STATUS_ID"] for i in bx.ok("crm.status.entity.items", {"entityId": "SOURCE"})}
