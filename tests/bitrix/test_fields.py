"""Bitrix24's standard fields and user fields on the facade: stored, returned, filtered, described;
nothing answered with success is lost."""

from __future__ import annotations

import re

import pytest

from kontor.crm.models import Company, Contact, CustomField, Deal, Lead

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def _error(response, code: str = "") -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error"] == code, body
    return body["error_description"]


def _ids(bx, entity: str, flt: dict) -> list[int]:
    return sorted(int(r["ID"]) for r in bx.ok(f"crm.{entity}.list", {"filter": flt, "select": ["ID"]}))


@pytest.fixture
def shop_order(bx) -> int:
    return bx.ok("crm.lead.userfield.add", {"fields": {
        "FIELD_NAME": "SHOP_ORDER", "USER_TYPE_ID": "string", "EDIT_FORM_LABEL": {"de": "Bestellung", "en": "Order"},
        "LIST_COLUMN_LABEL": "Order"}})


LEAD = {
    "TITLE": "Shop inquiry", "HONORIFIC": "HNR_EN_4", "NAME": "Ada", "LAST_NAME": "Lovelace",
    "BIRTHDATE": "10.12.1985", "UTM_SOURCE": "newsletter", "UTM_MEDIUM": "email", "UTM_CAMPAIGN": "spring",
    "UTM_CONTENT": "banner", "UTM_TERM": "crm", "ORIGINATOR_ID": "shop", "ORIGIN_ID": "order-4711",
    "ADDRESS": "Hauptstraße 1", "ADDRESS_2": "Hinterhaus", "ADDRESS_CITY": "Berlin", "ADDRESS_POSTAL_CODE": "10115",
    "ADDRESS_REGION": "Mitte", "ADDRESS_PROVINCE": "Berlin", "ADDRESS_COUNTRY": "Deutschland",
    "ADDRESS_COUNTRY_CODE": "DE", "STATUS_DESCRIPTION": "waits for a call", "SOURCE_DESCRIPTION": "web shop",
    "OPENED": "N", "WEB": [{"VALUE": "https://ada.example", "VALUE_TYPE": "WORK"}],
    "IM": [{"VALUE": "@ada", "VALUE_TYPE": "TELEGRAM"}], "UF_CRM_SHOP_ORDER": "SO-4711",
}


def test_lead_add_stores_and_returns_every_standard_and_user_field(bx, classic_mode, shop_order):
    lead_id = bx.ok("crm.lead.add", {"fields": LEAD})
    lead = bx.ok("crm.lead.get", {"id": lead_id})
    for key, value in LEAD.items():
        if key in ("BIRTHDATE", "WEB", "IM"):
            continue
        assert lead[key] == value, key
    assert lead["BIRTHDATE"].startswith("1985-12-10T00:00:00") and ISO.match(lead["BIRTHDATE"])
    assert [(w["VALUE"], w["VALUE_TYPE"], w["TYPE_ID"]) for w in lead["WEB"]] == [("https://ada.example", "WORK",
                                                                                 "WEB")]
    assert [(m["VALUE"], m["VALUE_TYPE"], m["TYPE_ID"]) for m in lead["IM"]] == [("@ada", "TELEGRAM", "IM")]
    stored = Lead.objects.get(pk=lead_id)
    assert stored.uf == {"uf_crm_shop_order": "SO-4711"} and stored.utm_source == "newsletter"
    assert str(stored.birthdate) == "1985-12-10" and stored.opened is False
    # A date as ISO 8601 is a date too.
    bx.ok("crm.lead.update", {"id": lead_id, "fields": {"BIRTHDATE": "1985-12-11", "UF_CRM_SHOP_ORDER": ""}})
    lead = bx.ok("crm.lead.get", {"id": lead_id})
    assert lead["BIRTHDATE"].startswith("1985-12-11T00:00:00") and lead["UF_CRM_SHOP_ORDER"] is None


def test_unknown_fields_are_400_naming_them_and_store_nothing(bx, classic_mode, shop_order):
    before = Lead.objects.count()
    assert "UF_CRM_NOT_DEFINED" in _error(bx.post("crm.lead.add", {"fields": {
        "TITLE": "x", "UF_CRM_NOT_DEFINED": "lost"}}), "ERROR_ARGUMENT")
    assert "FAVOURITE_COLOUR" in _error(bx.post("crm.lead.add", {"fields": {
        "TITLE": "x", "FAVOURITE_COLOUR": "blue"}}), "ERROR_ARGUMENT")
    assert "BIRTHDATE" in _error(bx.post("crm.lead.add", {"fields": {"TITLE": "x", "BIRTHDATE": "someday"}}))
    assert "HONORIFIC" in _error(bx.post("crm.lead.add", {"fields": {"TITLE": "x", "HONORIFIC": "KING"}}))
    assert Lead.objects.count() == before
    # Read-only fields are ignored, as Bitrix24 ignores them.
    lead_id = bx.ok("crm.lead.add", {"fields": {"TITLE": "x", "ID": 5, "DATE_CREATE": "2001-01-01",
                                                "HAS_PHONE": "Y", "STATUS_SEMANTIC_ID": "S"}})
    assert bx.ok("crm.lead.get", {"id": lead_id})["HAS_PHONE"] == "N"


def test_deal_type_dates_probability(bx):
    deal_id = bx.ok("crm.deal.add", {"fields": {"TITLE": "D", "TYPE_ID": "SERVICES", "BEGINDATE": "01.03.2026",
                                                "CLOSEDATE": "2026-03-31T00:00:00+02:00", "PROBABILITY": "40",
                                                "UTM_SOURCE": "fair", "ORIGIN_ID": "d-1"}})
    deal = bx.ok("crm.deal.get", {"id": deal_id})
    assert (deal["TYPE_ID"], deal["PROBABILITY"], deal["UTM_SOURCE"], deal["ORIGIN_ID"]) == ("SERVICES", "40", "fair",
                                                                                             "d-1")
    assert deal["BEGINDATE"].startswith("2026-03-01T00:00:00") and ISO.match(deal["BEGINDATE"])
    assert deal["CLOSEDATE"].startswith("2026-03-31T00:00:00")
    assert bx.ok("crm.deal.update", {"id": deal_id, "fields": {"PROBABILITY": 90}})
    assert Deal.objects.get(pk=deal_id).probability == 90
    assert "PROBABILITY" in _error(bx.post("crm.deal.update", {"id": deal_id, "fields": {"PROBABILITY": 101}}))
    other = bx.ok("crm.deal.add", {"fields": {"TITLE": "E", "TYPE_ID": "SALE", "BEGINDATE": "2026-05-01"}})
    assert _ids(bx, "deal", {"TYPE_ID": "SERVICES"}) == [deal_id]
    assert _ids(bx, "deal", {"!TYPE_ID": "SERVICES"}) == [other]
    assert _ids(bx, "deal", {">=BEGINDATE": "2026-04-01"}) == [other]
    assert _ids(bx, "deal", {"<BEGINDATE": "2026-04-01"}) == [deal_id]
    rows = bx.ok("crm.deal.list", {"order": {"BEGINDATE": "DESC"}, "select": ["ID", "BEGINDATE"]})
    assert [int(r["ID"]) for r in rows] == [other, deal_id]


def test_contact_in_several_companies(bx):
    a = bx.ok("crm.company.add", {"fields": {"TITLE": "A"}})
    b = bx.ok("crm.company.add", {"fields": {"TITLE": "B"}})
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "COMPANY_IDS": [a, b], "TYPE_ID": "PARTNER",
                                                   "HONORIFIC": "HNR_EN_2", "BIRTHDATE": "1970-01-31"}})
    got = bx.ok("crm.contact.get", {"id": contact})
    assert got["COMPANY_IDS"] == [a, b] and got["COMPANY_ID"] == str(a)
    assert (got["TYPE_ID"], got["HONORIFIC"]) == ("PARTNER", "HNR_EN_2")
    assert _ids(bx, "contact", {"COMPANY_IDS": b}) == [contact]
    bx.ok("crm.contact.update", {"id": contact, "fields": {"COMPANY_IDS": [b]}})
    assert bx.ok("crm.contact.get", {"id": contact})["COMPANY_IDS"] == [b]
    assert Contact.objects.get(pk=contact).company_id == b


def test_company_standard_fields(bx):
    fields = {"TITLE": "Muster GmbH", "COMPANY_TYPE": "SUPPLIER", "REVENUE": "1250000.5", "CURRENCY_ID": "EUR",
              "ADDRESS": "Am Markt 2", "ADDRESS_CITY": "Köln", "INDUSTRY": "MANUFACTURING",
              "EMPLOYEES": "EMPLOYEES_2", "BANKING_DETAILS": "IBAN DE02 1203 0000 0000 2020 51"}
    company = bx.ok("crm.company.add", {"fields": fields})
    got = bx.ok("crm.company.get", {"id": company})
    assert {k: got[k] for k in fields} == {**fields, "REVENUE": "1250000.50"}
    assert Company.objects.get(pk=company).industry == "MANUFACTURING"
    assert _ids(bx, "company", {"INDUSTRY": "MANUFACTURING", ">REVENUE": 1000}) == [company]
    assert "INDUSTRY" in _error(bx.post("crm.company.add", {"fields": {"TITLE": "X", "INDUSTRY": "Steel"}}))


def test_filters_on_new_standard_fields(bx, classic_mode):
    first = bx.ok("crm.lead.add", {"fields": {"TITLE": "A", "ORIGIN_ID": "o-1", "UTM_SOURCE": "google",
                                              "UTM_CAMPAIGN": "spring", "OPENED": "Y",
                                              "PHONE": [{"VALUE": "+49 30 1234567"}]}})
    second = bx.ok("crm.lead.add", {"fields": {"TITLE": "B", "ORIGIN_ID": "o-2", "UTM_SOURCE": "newsletter",
                                               "OPENED": "N", "EMAIL": [{"VALUE": "b@example.org"}]}})
    assert _ids(bx, "lead", {"ORIGIN_ID": "o-1"}) == [first]
    assert _ids(bx, "lead", {"@ORIGIN_ID": ["o-1", "o-2"]}) == [first, second]
    assert _ids(bx, "lead", {"UTM_SOURCE": "newsletter"}) == [second]
    assert _ids(bx, "lead", {"%UTM_SOURCE": "goo"}) == [first]
    assert _ids(bx, "lead", {"UTM_CAMPAIGN": "spring"}) == [first]
    assert _ids(bx, "lead", {"OPENED": "N"}) == [second]
    assert _ids(bx, "lead", {"OPENED": "Y"}) == [first]
    assert _ids(bx, "lead", {"HAS_PHONE": "Y"}) == [first]
    assert _ids(bx, "lead", {"HAS_EMAIL": "Y"}) == [second]
    assert _ids(bx, "lead", {"HAS_EMAIL": "N"}) == [first]
    description = _error(bx.post("crm.lead.list", {"filter": {"OPENED": "maybe"}}), "ERROR_ARGUMENT")
    assert "OPENED" in description
    assert "BIRTHDATE" in _error(bx.post("crm.lead.list", {"filter": {">BIRTHDATE": "never"}}), "ERROR_ARGUMENT")
    assert "UTM_SOURCE" in _error(bx.post("crm.lead.list", {"filter": {">UTM_SOURCE": "a"}}), "ERROR_ARGUMENT")


def test_user_fields_filter_select_order(bx, classic_mode):
    bx.ok("crm.lead.userfield.add", {"fields": {"FIELD_NAME": "UF_CRM_PIECES", "USER_TYPE_ID": "integer"}})
    bx.ok("crm.lead.userfield.add", {"fields": {"FIELD_NAME": "COLOUR", "USER_TYPE_ID": "enumeration",
                                                "LIST": [{"VALUE": "red"}, {"VALUE": "blue", "DEF": "Y"}]}})
    bx.ok("crm.lead.userfield.add", {"fields": {"FIELD_NAME": "VIP", "USER_TYPE_ID": "boolean"}})
    colours = {f["VALUE"]: f["ID"] for f in bx.ok("crm.lead.fields")["UF_CRM_COLOUR"]["items"]}
    a = bx.ok("crm.lead.add", {"fields": {"TITLE": "A", "UF_CRM_PIECES": 3, "UF_CRM_COLOUR": colours["red"],
                                          "UF_CRM_VIP": "Y"}})
    b = bx.ok("crm.lead.add", {"fields": {"TITLE": "B", "UF_CRM_PIECES": "12", "UF_CRM_COLOUR": "blue",
                                          "UF_CRM_VIP": 0}})
    got = bx.ok("crm.lead.get", {"id": a})
    assert (got["UF_CRM_PIECES"], got["UF_CRM_COLOUR"], got["UF_CRM_VIP"]) == ("3", colours["red"], "1")
    assert _ids(bx, "lead", {">UF_CRM_PIECES": 5}) == [b]
    assert _ids(bx, "lead", {"<=UF_CRM_PIECES": 3}) == [a]
    assert _ids(bx, "lead", {"UF_CRM_COLOUR": colours["blue"]}) == [b]
    assert _ids(bx, "lead", {"UF_CRM_VIP": 1}) == [a]
    assert _ids(bx, "lead", {"!UF_CRM_VIP": "Y"}) == [b]
    assert "UF_CRM_PIECES" in _error(bx.post("crm.lead.list", {"filter": {">UF_CRM_PIECES": "many"}}),
                                     "ERROR_ARGUMENT")
    assert "UF_CRM_PIECES" in _error(bx.post("crm.lead.add", {"fields": {"TITLE": "C", "UF_CRM_PIECES": "x"}}))
    rows = bx.ok("crm.lead.list", {"select": ["ID", "UF_*"], "order": {"ID": "ASC"}})
    assert set(rows[0]) == {"ID", "UF_CRM_PIECES", "UF_CRM_COLOUR", "UF_CRM_VIP"}
    rows = bx.ok("crm.lead.list", {"select": ["*"]})
    assert "TITLE" in rows[0] and not any(k.startswith("UF_") for k in rows[0])
    rows = bx.ok("crm.lead.list", {"select": ["UF_CRM_PIECES"], "filter": {"ID": b}})
    assert rows == [{"ID": str(b), "UF_CRM_PIECES": "12"}]
    assert set(bx.ok("crm.lead.list")[0]) >= {"TITLE", "UF_CRM_PIECES"}  # empty select: * and UF_*


def test_fields_describe_standard_and_user_fields(bx, shop_order):
    fields = bx.ok("crm.lead.fields")
    for name in ("UTM_SOURCE", "ORIGIN_ID", "ADDRESS_CITY", "WEB", "IM", "HONORIFIC", "BIRTHDATE", "OPENED",
                 "STATUS_SEMANTIC_ID"):
        assert name in fields, name
    assert fields["HONORIFIC"]["type"] == "crm_status" and fields["HONORIFIC"]["statusType"] == "HONORIFIC"
    assert fields["BIRTHDATE"]["type"] == "date" and fields["WEB"]["isMultiple"] is True
    uf = fields["UF_CRM_SHOP_ORDER"]
    assert uf["type"] == "string" and uf["isDynamic"] is True
    assert uf["listLabel"] in ("Order", "Bestellung") and uf["formLabel"] == uf["filterLabel"] == uf["listLabel"]
    assert bx.ok("crm.company.fields")["INDUSTRY"]["statusType"] == "INDUSTRY"
    deal = bx.ok("crm.deal.fields")
    assert deal["TYPE_ID"]["statusType"] == "DEAL_TYPE" and deal["CATEGORY_ID"]["isImmutable"] is True
    assert deal["STAGE_ID"]["statusType"] == "DEAL_STAGE" and deal["PROBABILITY"]["type"] == "integer"


def test_userfield_methods(bx, bx_manager):
    field_id = bx.ok("crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": "DELIVERY", "USER_TYPE_ID": "enumeration", "MULTIPLE": "N", "MANDATORY": "N", "SORT": 50,
        "EDIT_FORM_LABEL": {"de": "Lieferung", "en": "Delivery"}, "SHOW_FILTER": "E", "SHOW_IN_LIST": "Y",
        "XML_ID": "delivery", "LIST": [{"VALUE": "Pickup", "SORT": 10}, {"VALUE": "Post", "SORT": 20, "DEF": "Y"}]}})
    assert isinstance(field_id, int)
    got = bx.ok("crm.deal.userfield.get", {"id": field_id})
    assert (got["ID"], got["ENTITY_ID"], got["FIELD_NAME"], got["USER_TYPE_ID"]) == (
        str(field_id), "CRM_DEAL", "UF_CRM_DELIVERY", "enumeration")
    assert (got["SORT"], got["MULTIPLE"], got["MANDATORY"], got["XML_ID"]) == ("50", "N", "N", "delivery")
    assert got["EDIT_FORM_LABEL"] == {"de": "Lieferung", "en": "Delivery"}
    assert [(i["VALUE"], i["DEF"]) for i in got["LIST"]] == [("Pickup", "N"), ("Post", "Y")]
    listed = bx.ok("crm.deal.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_DELIVERY", "LANG": "de"}})
    assert [f["ID"] for f in listed] == [str(field_id)] and listed[0]["EDIT_FORM_LABEL"] == "Lieferung"
    assert bx.ok("crm.lead.userfield.list") == []
    pickup = got["LIST"][0]["ID"]
    assert bx.ok("crm.deal.userfield.update", {"id": field_id, "fields": {
        "EDIT_FORM_LABEL": "Versand", "MANDATORY": "Y", "LIST": [{"ID": pickup, "DEL": "Y"}, {"VALUE": "Courier"}]}})
    got = bx.ok("crm.deal.userfield.get", {"id": field_id})
    assert got["MANDATORY"] == "Y" and got["EDIT_FORM_LABEL"]["en"] == "Versand"
    assert [i["VALUE"] for i in got["LIST"]] == ["Post", "Courier"]
    assert "type" in _error(bx.post("crm.deal.userfield.update", {"id": field_id,
                                                                  "fields": {"USER_TYPE_ID": "string"}}))
    assert _error(bx.post("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "DELIVERY",
                                                                "USER_TYPE_ID": "string"}}))
    assert _error(bx.post("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "X", "USER_TYPE_ID": "file"}}))
    assert "NOPE" in _error(bx.post("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "Y", "USER_TYPE_ID": "string",
                                                                          "NOPE": 1}}), "ERROR_ARGUMENT")
    # Settings: a manager's webhook reads, but cannot change them.
    assert _error(bx_manager.post("crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": "Z", "USER_TYPE_ID": "string"}})) == "Access denied."
    assert _error(bx_manager.post("crm.deal.userfield.delete", {"id": field_id})) == "Access denied."
    assert bx_manager.ok("crm.deal.userfield.get", {"id": field_id})["FIELD_NAME"] == "UF_CRM_DELIVERY"
    assert bx.ok("crm.deal.userfield.delete", {"id": field_id}) is True
    assert not CustomField.objects.exists()
    assert _error(bx.post("crm.deal.userfield.get", {"id": field_id})) == "Not found"


def test_new_directories_in_crm_status(bx, bx_manager):
    types = {t["ID"] for t in bx.ok("crm.status.entity.types")}
    assert {"HONORIFIC", "CONTACT_TYPE", "COMPANY_TYPE", "DEAL_TYPE", "INDUSTRY", "EMPLOYEES"} <= types
    items = bx.ok("crm.status.entity.items", {"entityId": "DEAL_TYPE"})
    assert [i["STATUS_ID"] for i in items][:2] == ["SALE", "COMPLEX"]
    listed = bx.ok("crm.status.list", {"filter": {"ENTITY_ID": "INDUSTRY"}})
    assert {e["ENTITY_ID"] for e in listed} == {"INDUSTRY"} and "IT" in {e["STATUS_ID"] for e in listed}
    ref = bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "INDUSTRY", "STATUS_ID": "SHIPPING", "NAME": "Shipping",
                                              "SORT": 200}})
    assert _error(bx_manager.post("crm.status.update", {"id": ref, "fields": {"NAME": "x"}})) == "Access denied."
    assert bx.ok("crm.status.update", {"id": ref, "fields": {"NAME": "Shipping & logistics"}})
    items = {i["STATUS_ID"]: i for i in bx.ok("crm.status.entity.items", {"entityId": "INDUSTRY"})}
    assert items["SHIPPING"] == {"NAME": "Shipping & logistics", "SORT": 200, "STATUS_ID": "SHIPPING"}
    company = bx.ok("crm.company.add", {"fields": {"TITLE": "Carrier", "INDUSTRY": "SHIPPING"}})
    assert _error(bx.post("crm.status.delete", {"id": ref}))  # in use
    bx.ok("crm.company.delete", {"id": company})
    assert bx.ok("crm.status.delete", {"id": ref}) is True
    assert "SHIPPING" not in {i["STATUS_ID"] for i in bx.ok("crm.status.entity.items", {"entityId": "INDUSTRY"})}


def test_web_and_im_follow_the_multifield_update_rules(bx, classic_mode):
    company = bx.ok("crm.company.add", {"fields": {"TITLE": "Web", "WEB": [
        {"VALUE": "https://a.example", "VALUE_TYPE": "WORK"}, {"VALUE": "https://b.example", "VALUE_TYPE": "HOME"}],
        "IM": [{"VALUE": "@muster"}]}})
    got = bx.ok("crm.company.get", {"id": company})
    first, second = (w["ID"] for w in got["WEB"])
    assert got["IM"][0]["VALUE_TYPE"] == "OTHER"  # messengers have no WORK type
    bx.ok("crm.company.update", {"id": company, "fields": {"WEB": [
        {"ID": first, "DELETE": "Y"}, {"VALUE": "https://c.example"}]}})
    webs = bx.ok("crm.company.get", {"id": company})["WEB"]
    assert [w["VALUE"] for w in webs] == ["https://b.example", "https://c.example"] and webs[0]["ID"] == second
    assert _ids(bx, "company", {"WEB": "HTTPS://C.example"}) == [company]
