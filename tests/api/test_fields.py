"""Every standard field of the record specs and custom fields through the native API: written,
read back, filtered; bad values and undefined custom fields are 422s naming the field."""

from __future__ import annotations

import pytest

from kontor.crm.enums import EntityType
from kontor.crm.fields import STANDARD
from kontor.crm.models import Company, Contact, Deal, Lead
from kontor.crm.services.custom_fields import custom_field_create

pytestmark = pytest.mark.django_db

ADDRESS = {
    "address": "Hauptstraße 1", "address_2": "Hinterhaus", "address_postal_code": "10115", "address_city": "Berlin",
    "address_region": "Mitte", "address_province": "Berlin", "address_country": "Deutschland",
    "address_country_code": "DE",
}
UTM = {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring", "utm_content": "ad1", "utm_term": "crm"}
ORIGIN = {"originator_id": "shop", "origin_id": "SO-77"}
WEB_IM = {"websites": [{"value": "https://example.de", "type": "WORK"}],
          "messengers": [{"value": "@erika", "type": "TELEGRAM"}]}


def _roundtrip(api, collection: str, data: dict) -> dict:
    created = api.post(f"/api/v1/{collection}", data)
    assert created.status_code == 201, created.content
    record = created.json()
    assert api.get(f"/api/v1/{collection}/{record['id']}").json() == record
    for name, value in data.items():
        if name in ("websites", "messengers"):
            assert [(c["value"], c["type"]) for c in record[name]] == [(c["value"], c["type"]) for c in value], name
        else:
            assert record[name] == value, name
    return record


def test_lead_with_every_new_field_round_trips(admin_api, classic_mode):
    lead = _roundtrip(admin_api, "leads", {
        "title": "Anfrage", "honorific": "HNR_EN_1", "name": "Erika", "birthdate": "1980-05-17",
        "status_description": "rief an", "opportunity": "12500.50", "currency": "EUR", "opened": False,
        **ADDRESS, **UTM, **ORIGIN, **WEB_IM,
    })
    assert lead["has_phone"] is False and lead["has_email"] is False
    assert Lead.objects.get(pk=lead["id"]).utm_source == "google"


def test_deal_with_every_new_field_round_trips(admin_api, make_contact):
    first, second = make_contact(name="A"), make_contact(name="B")
    deal = _roundtrip(admin_api, "deals", {
        "title": "Auftrag", "type_id": "SERVICES", "begindate": "2026-01-10", "closedate": "2026-03-31",
        "probability": 60, "opportunity": "99.90", "contact_ids": [first["id"], second["id"]],
        "source_description": "Messe", **UTM, **ORIGIN,
    })
    assert deal["contact_id"] == first["id"]
    assert Deal.objects.get(pk=deal["id"]).probability == 60


def test_contact_with_every_new_field_round_trips(admin_api, make_company):
    first, second = make_company(title="Eins"), make_company(title="Zwei")
    contact = _roundtrip(admin_api, "contacts", {
        "name": "Erika", "honorific": "HNR_EN_2", "birthdate": "1975-12-01", "type_id": "CLIENT",
        "company_ids": [first["id"], second["id"]], "source_description": "Empfehlung", "export": False,
        **ADDRESS, **UTM, **ORIGIN, **WEB_IM,
    })
    assert contact["company_id"] == first["id"]
    assert set(Contact.objects.get(pk=contact["id"]).companies.values_list("pk", flat=True)) == {
        first["id"], second["id"]}


def test_company_with_every_new_field_round_trips(admin_api):
    company = _roundtrip(admin_api, "companies", {
        "title": "Muster AG", "company_type": "CUSTOMER", "industry": "IT", "employees": "EMPLOYEES_2",
        "revenue": "1000000.00", "currency": "CHF", "banking_details": "IBAN DE00 1234", **ADDRESS, **UTM, **ORIGIN,
        **WEB_IM,
    })
    assert str(Company.objects.get(pk=company["id"]).revenue) == "1000000.00"


@pytest.mark.parametrize("entity", list(STANDARD))
def test_answers_carry_every_standard_field(admin_api, classic_mode, entity):
    collection = {EntityType.LEAD: "leads", EntityType.DEAL: "deals", EntityType.CONTACT: "contacts",
                  EntityType.COMPANY: "companies"}[entity]
    created = admin_api.post(f"/api/v1/{collection}", {"title": "x", "name": "x"} if entity == EntityType.LEAD else
                             {"name": "x"} if entity == EntityType.CONTACT else {"title": "x"})
    assert set(created.json()) == {s.name for s in STANDARD[entity]}


@pytest.mark.parametrize(("body", "field"), [
    ({"honorific": "HNR_NOPE"}, "honorific"),
    ({"birthdate": "17.13.1980"}, "birthdate"),
    ({"utm_source": "x" * 256}, "utm_source"),
    ({"address_country_code": "DEU"}, "address_country_code"),
])
def test_bad_new_field_is_422_naming_it(admin_api, classic_mode, body, field):
    response = admin_api.post("/api/v1/leads", {"title": "x", **body})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Lead.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"probability": 101}, "probability"), ({"type_id": "BARTER"}, "type_id"), ({"closedate": "soon"}, "closedate"),
])
def test_bad_new_deal_field_is_422_naming_it(admin_api, body, field):
    response = admin_api.post("/api/v1/deals", {"title": "x", **body})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Deal.objects.exists()


def test_filters_on_new_fields(admin_api, classic_mode, make_deal, make_company):
    a = admin_api.post("/api/v1/leads", {"title": "A", "utm_source": "google", "origin_id": "X-1",
                                         "address_city": "Berlin", "opportunity": 100}).json()
    b = admin_api.post("/api/v1/leads", {"title": "B", "utm_source": "newsletter", "origin_id": "X-2",
                                         "address_city": "Bern", "opportunity": 900, "phones": ["030 1234567"]}).json()

    def ids(collection="leads", **params):
        response = admin_api.get(f"/api/v1/{collection}", **params)
        assert response.status_code == 200, response.content
        return sorted(x["id"] for x in response.json()["items"])

    assert ids(utm_source="google") == [a["id"]]
    assert ids(origin_id="X-1,X-2") == []  # a comma is part of a text value
    assert ids(origin_id__in="X-1,X-2") == [a["id"], b["id"]]
    assert ids(utm_source__ne="google") == [b["id"]]
    assert ids(address_city__contains="ber") == [a["id"], b["id"]]
    assert ids(address_city__like="Ber_") == [b["id"]]
    assert ids(opportunity__gte="500") == [b["id"]]
    assert ids(opportunity__lt=500, utm_source="google") == [a["id"]]
    assert ids(has_phone="true") == [b["id"]]
    assert [x["id"] for x in admin_api.get("/api/v1/leads", order="-opportunity").json()["items"]] == [b["id"], a["id"]]

    early = make_deal(title="early", type_id="SALE", begindate="2026-01-01", probability=10)
    late = make_deal(title="late", type_id="GOODS", begindate="2026-06-01", probability=90)
    assert ids("deals", begindate__gte="2026-03-01") == [late["id"]]
    assert ids("deals", type_id="sale,goods") == [early["id"], late["id"]]
    assert ids("deals", probability__lte=50) == [early["id"]]
    assert ids("deals", type_id__not_in="SALE") == [late["id"]]

    company = make_company(title="Firma", industry="IT", employees="EMPLOYEES_1")
    make_company(title="Other", industry="BANKING")
    assert ids("companies", industry="it") == [company["id"]]
    contact = admin_api.post("/api/v1/contacts", {"name": "In zwei", "company_ids": [company["id"]]}).json()
    admin_api.post("/api/v1/contacts", {"name": "Ohne"})
    assert ids("contacts", company_ids=company["id"]) == [contact["id"]]


@pytest.mark.parametrize(("params", "field"), [
    ({"opportunity__gte": "lots"}, "opportunity"),
    ({"title__between": "a"}, "title__between"),
    ({"status_id__gt": "NEW"}, "status_id"),
    ({"birthdate": "yesterday-ish"}, "birthdate"),
])
def test_bad_filter_is_422_naming_it(admin_api, params, field):
    response = admin_api.get("/api/v1/leads", **params)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field


# --- custom fields --------------------------------------------------------------------------------


@pytest.fixture
def deal_fields(db):
    custom_field_create(entity_type=EntityType.DEAL, code="shop_order", type="string", label_en="Shop order")
    custom_field_create(entity_type=EntityType.DEAL, code="weight", type="double", label_en="Weight")
    custom_field_create(entity_type=EntityType.DEAL, code="color", type="enumeration", items=["red", "blue"])
    custom_field_create(entity_type=EntityType.DEAL, code="due", type="date")


def test_custom_values_round_trip_as_flat_keys(admin_api, deal_fields):
    created = admin_api.post("/api/v1/deals", {"title": "x", "uf_crm_shop_order": "SO-1", "uf_crm_weight": "12.5",
                                               "uf_crm_color": "blue", "uf_crm_due": "2026-12-05"})
    assert created.status_code == 201, created.content
    deal = created.json()
    blue = next(i for i in admin_api.get("/api/v1/custom-fields", entity="deal").json() if i["code"] == "UF_CRM_COLOR")
    blue_id = next(i["id"] for i in blue["items"] if i["value"] == "blue")
    assert (deal["uf_crm_shop_order"], deal["uf_crm_weight"], deal["uf_crm_color"], deal["uf_crm_due"]) == (
        "SO-1", 12.5, blue_id, "2026-12-05")
    assert admin_api.get(f"/api/v1/deals/{deal['id']}").json() == deal
    other = admin_api.post("/api/v1/deals", {"title": "empty"}).json()
    assert other["uf_crm_shop_order"] is None and other["uf_crm_weight"] is None  # every defined field, null
    changed = admin_api.patch(f"/api/v1/deals/{deal['id']}", {"uf_crm_shop_order": None}).json()
    assert changed["uf_crm_shop_order"] is None
    assert changed["uf_crm_weight"] == 12.5
    listed = admin_api.get("/api/v1/deals").json()["items"]
    assert {d["id"]: d["uf_crm_weight"] for d in listed} == {deal["id"]: 12.5, other["id"]: None}


def test_filters_on_custom_fields(admin_api, deal_fields):
    a = admin_api.post("/api/v1/deals", {"title": "A", "uf_crm_shop_order": "SO-1", "uf_crm_weight": 4}).json()
    b = admin_api.post("/api/v1/deals", {"title": "B", "uf_crm_shop_order": "SO-2", "uf_crm_weight": 10}).json()
    c = admin_api.post("/api/v1/deals", {"title": "C", "uf_crm_weight": 25.5, "uf_crm_color": "red"}).json()

    def ids(**params):
        response = admin_api.get("/api/v1/deals", **params)
        assert response.status_code == 200, response.content
        return sorted(x["id"] for x in response.json()["items"])

    assert ids(uf_crm_shop_order="SO-1") == [a["id"]]
    assert ids(uf_crm_weight__gte=10) == [b["id"], c["id"]]
    assert ids(uf_crm_weight__lt="10", uf_crm_shop_order__contains="so") == [a["id"]]
    assert ids(uf_crm_color="red") == [c["id"]]
    assert ids(uf_crm_shop_order="SO-1", title="B") == []
    response = admin_api.get("/api/v1/deals", uf_crm_weight__gte="heavy")
    assert response.status_code == 422
    assert response.json()["field"] == "uf_crm_weight"


@pytest.mark.parametrize(("body", "field"), [
    ({"uf_crm_weight": "heavy"}, "uf_crm_weight"),
    ({"uf_crm_color": "green"}, "uf_crm_color"),
    ({"uf_crm_due": "someday"}, "uf_crm_due"),
    ({"uf_crm_shop_order": ["a", "b"]}, "uf_crm_shop_order"),
    ({"uf_crm_nothing": "x"}, "uf_crm_nothing"),
    ({"UF_CRM_SHOP_ORDER": "x"}, "UF_CRM_SHOP_ORDER"),
])
def test_bad_or_undefined_custom_value_is_422_naming_it(admin_api, deal_fields, body, field):
    response = admin_api.post("/api/v1/deals", {"title": "x", **body})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert response.json()["code"] == "validation_error"
    assert not Deal.objects.exists()


def test_undefined_custom_field_filter_is_422(admin_api, deal_fields):
    response = admin_api.get("/api/v1/deals", uf_crm_nothing="1")
    assert response.status_code == 422
    assert response.json()["field"] == "uf_crm_nothing"


@pytest.mark.parametrize("create_missing", [True, False])
def test_conversion_carries_custom_values_and_says_which_fields_it_made(admin_api, make_lead, create_missing):
    custom_field_create(entity_type=EntityType.LEAD, code="shop_order", type="string", label_en="Shop order")
    lead = make_lead(title="Shop", name="Eva", uf_crm_shop_order="SO-1")
    body = {"contact": "none"} if create_missing else {"contact": "none", "create_missing_fields": False}
    response = admin_api.post(f"/api/v1/leads/{lead['id']}/convert", body)
    assert response.status_code == 200, response.content
    converted = response.json()
    assert converted["uf_crm_shop_order"] == "SO-1"
    deal = admin_api.get(f"/api/v1/deals/{converted['deal_id']}").json()
    if create_missing:
        assert converted["fields_created"] == [{"entity": "deal", "code": "UF_CRM_SHOP_ORDER",
                                                "key": "uf_crm_shop_order"}]
        assert deal["uf_crm_shop_order"] == "SO-1"
    else:
        assert converted["fields_created"] == []
        assert "uf_crm_shop_order" not in deal
