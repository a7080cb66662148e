"""``/api/v1/leads`` through HTTP."""

from __future__ import annotations

import pytest

from kontor.crm.models import Lead

pytestmark = pytest.mark.django_db


def test_create_lead_answers_201_with_wire_fields(admin_api, classic_mode, admin_user):
    response = admin_api.post("/api/v1/leads", {
        "title": "Anfrage Küche", "name": "Jürgen", "last_name": "Weiß", "company_title": "Weiß Bau GmbH",
        "phones": ["030 1234567", {"value": "+44 20 7946 0958", "type": "MOBILE"}],
        "emails": ["Juergen.Weiss@Example.DE"], "source": "web", "opportunity": "1500.50", "currency": "eur",
        "comments": "Ruft morgen zurück",
    })
    assert response.status_code == 201, response.content
    lead = response.json()
    assert lead["title"] == "Anfrage Küche"
    assert lead["status_id"] == "NEW"
    assert lead["source"] == "WEB"
    assert lead["opportunity"] == "1500.50"  # money is a decimal string, never a float
    assert lead["currency"] == "EUR"
    assert lead["assigned_id"] == admin_user.pk
    assert [p["normalized"] for p in lead["phones"]] == ["+49301234567", "+442079460958"]
    assert [p["type"] for p in lead["phones"]] == ["WORK", "MOBILE"]
    assert lead["phones"][0]["value"] == "030 1234567"
    assert lead["emails"][0]["normalized"] == "juergen.weiss@example.de"
    assert {"contact_id", "company_id", "deal_id", "is_return_customer", "created_at", "updated_at"} <= set(lead)
    assert lead["deal_id"] is None
    assert Lead.objects.filter(pk=lead["id"]).exists()


def test_create_lead_title_made_from_name(admin_api, classic_mode):
    response = admin_api.post("/api/v1/leads", {"name": "Anna", "last_name": "Schmidt"})
    assert response.status_code == 201
    assert response.json()["title"] == "Anna Schmidt"


def test_create_lead_without_title_or_name_is_422(admin_api, classic_mode):
    response = admin_api.post("/api/v1/leads", {"comments": "nothing else"})
    assert response.status_code == 422
    assert response.json()["field"] == "title"


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"title": "x", "phones": ["not a phone"]}, "phones", "invalid_phone"),
    ({"title": "x", "phones": ["12"]}, "phones", "invalid_phone"),
    ({"title": "x", "emails": ["nobody@"]}, "emails", "invalid_email"),
    ({"title": "x", "status_id": "NOPE"}, "status_id", "validation_error"),
    ({"title": "x", "status_id": "CONVERTED"}, "status_id", "validation_error"),
    ({"title": "x", "source": "PIGEON"}, "source", "validation_error"),
    ({"title": "x", "assigned_id": 999999}, "assigned_id", "validation_error"),
    ({"title": "x", "contact_id": 999999}, "contact_id", "validation_error"),
    ({"title": "x", "opportunity": "lots"}, "opportunity", "validation_error"),
    ({"title": "x", "opportunity": -5}, "opportunity", "validation_error"),
    ({"title": "x", "currency": "EURO"}, "currency", "validation_error"),
    ({"title": 42}, "title", "validation_error"),
    ({"title": "x", "assigned_id": "abc"}, "assigned_id", "validation_error"),
    ({"title": "x", "unknown_field": 1}, "unknown_field", "validation_error"),
    ({"title": "x\u0000y"}, "title", "validation_error"),
])
def test_create_lead_invalid_input_is_422_naming_the_field(admin_api, classic_mode, body, field, code):
    before = Lead.objects.count()
    response = admin_api.post("/api/v1/leads", body)
    assert response.status_code == 422, response.content
    error = response.json()
    assert error["code"] == code
    assert error["field"] == field
    assert error["detail"]
    assert Lead.objects.count() == before


def test_bad_phone_after_good_fields_writes_nothing(admin_api, classic_mode):
    response = admin_api.post("/api/v1/leads", {"title": "half", "phones": ["+49 30 1234567", "garbage"]})
    assert response.status_code == 422
    assert not Lead.objects.filter(title="half").exists()


def test_get_lead(admin_api, make_lead):
    lead = make_lead(title="Messe-Kontakt", phones=["+1 212 555 0100"])
    response = admin_api.get(f"/api/v1/leads/{lead['id']}")
    assert response.status_code == 200
    assert response.json() == lead


def test_get_unknown_lead_is_404(admin_api):
    response = admin_api.get("/api/v1/leads/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_non_numeric_id_is_422(admin_api):
    assert admin_api.get("/api/v1/leads/abc").status_code == 422


def test_patch_lead_changes_only_given_fields(admin_api, make_lead):
    lead = make_lead(title="Alt", name="Eva", phones=["0176 12345678"])
    response = admin_api.patch(f"/api/v1/leads/{lead['id']}", {"title": "Neu", "status_id": "IN_PROCESS"})
    assert response.status_code == 200
    changed = response.json()
    assert changed["title"] == "Neu"
    assert changed["status_id"] == "IN_PROCESS"
    assert changed["name"] == "Eva"
    assert changed["phones"] == lead["phones"]


def test_patch_lead_replaces_phones_keeping_ids(admin_api, make_lead):
    lead = make_lead(phones=["030 1111111", "030 2222222"])
    first = lead["phones"][0]
    response = admin_api.patch(f"/api/v1/leads/{lead['id']}", {
        "phones": [{"id": first["id"], "value": first["value"], "type": "HOME"}, "+43 1 5555555"],
    })
    assert response.status_code == 200
    phones = response.json()["phones"]
    assert phones[0]["id"] == first["id"]
    assert phones[0]["type"] == "HOME"
    assert [p["normalized"] for p in phones] == ["+49301111111", "+4315555555"]


def test_patch_converted_lead_is_409(admin_api, make_lead):
    lead = make_lead()
    Lead.objects.filter(pk=lead["id"]).update(status_id="CONVERTED")
    response = admin_api.patch(f"/api/v1/leads/{lead['id']}", {"title": "changed"})
    assert response.status_code == 409
    assert response.json()["code"] == "read_only"
    assert Lead.objects.get(pk=lead["id"]).title == lead["title"]


def test_patch_unknown_lead_is_404(admin_api):
    assert admin_api.patch("/api/v1/leads/999999", {"title": "x"}).status_code == 404


def test_patch_lead_with_bad_email_is_422_and_unchanged(admin_api, make_lead):
    lead = make_lead(title="Stays")
    response = admin_api.patch(f"/api/v1/leads/{lead['id']}", {"title": "Changed", "emails": ["a@b@c"]})
    assert response.status_code == 422
    assert response.json()["field"] == "emails"
    assert admin_api.get(f"/api/v1/leads/{lead['id']}").json()["title"] == "Stays"


def test_delete_lead(admin_api, make_lead):
    lead = make_lead()
    response = admin_api.delete(f"/api/v1/leads/{lead['id']}")
    assert response.status_code == 204
    assert admin_api.get(f"/api/v1/leads/{lead['id']}").status_code == 404
    assert admin_api.delete(f"/api/v1/leads/{lead['id']}").status_code == 404


def test_lead_created_in_simple_mode_answers_what_the_database_holds(admin_api):
    # Simple mode is the default: the lead may be converted at once; the answer must say so.
    response = admin_api.post("/api/v1/leads", {"title": "Simple", "name": "Lena", "phones": ["089 123456"]})
    assert response.status_code == 201
    lead = response.json()
    assert admin_api.get(f"/api/v1/leads/{lead['id']}").json() == lead
    stored = Lead.objects.get(pk=lead["id"])
    assert (lead["status_id"], lead["deal_id"], lead["contact_id"]) == (
        stored.status_id, stored.deal_id, stored.contact_id)
    # SPEC §4: converted at once, into a deal and a contact
    assert lead["status_id"] == "CONVERTED"
    assert lead["deal_id"] is not None
    assert lead["contact_id"] is not None
    deal = admin_api.get(f"/api/v1/deals/{lead['deal_id']}").json()
    assert deal["lead_id"] == lead["id"]
    assert deal["contact_id"] == lead["contact_id"]
    assert admin_api.patch(f"/api/v1/leads/{lead['id']}", {"title": "x"}).status_code == 409


def test_manager_may_work_with_leads(manager_api, classic_mode, manager_user):
    response = manager_api.post("/api/v1/leads", {"title": "Manager lead"})
    assert response.status_code == 201
    assert response.json()["assigned_id"] == manager_user.pk


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/leads"), ("post", "/api/v1/leads"), ("get", "/api/v1/leads/1"),
    ("patch", "/api/v1/leads/1"), ("delete", "/api/v1/leads/1"),
])
def test_leads_need_credentials(anon_api, method, path):
    response = getattr(anon_api, method)(path)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_wrong_token_is_401(anon_api):
    anon_api.token = "ktr_not-a-token"
    assert anon_api.get("/api/v1/leads").status_code == 401
