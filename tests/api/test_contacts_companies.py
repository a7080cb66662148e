"""``/api/v1/contacts`` and ``/api/v1/companies`` through HTTP, with phone/e-mail normalisation."""

from __future__ import annotations

import pytest
from django.test import override_settings

from kontor.crm.models import Communication, Company, Contact

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("typed", "e164"), [
    ("030 1234567", "+49301234567"),  # German national format
    ("(030) 123-45-67", "+49301234567"),
    ("0176/12345678", "+4917612345678"),
    ("+49 (0)30 1234567", "+49301234567"),
    ("0049 30 1234567", "+49301234567"),
    ("+1 (212) 555-0100", "+12125550100"),  # international
    ("+44 20 7946 0958", "+442079460958"),
    ("+43 1 5555555", "+4315555555"),
])
def test_contact_phones_are_normalised(admin_api, typed, e164):
    response = admin_api.post("/api/v1/contacts", {"name": "Karl", "phones": [typed]})
    assert response.status_code == 201, response.content
    phone = response.json()["phones"][0]
    assert phone["value"] == typed
    assert phone["normalized"] == e164


@pytest.mark.parametrize("garbage", ["hello", "12", "+49", "030-ABC-DEF", "1" * 30, ""])
def test_garbage_phone_is_422(admin_api, garbage):
    response = admin_api.post("/api/v1/contacts", {"name": "Karl", "phones": [garbage]})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "phones"
    assert not Contact.objects.exists()


@override_settings(KONTOR_DEFAULT_PHONE_REGION="GB")
def test_default_region_reads_national_numbers(admin_api):
    response = admin_api.post("/api/v1/contacts", {"name": "Liz", "phones": ["020 7946 0958"]})
    assert response.json()["phones"][0]["normalized"] == "+442079460958"


@pytest.mark.parametrize(("typed", "normalized"), [
    ("Max.Mustermann@Example.DE", "max.mustermann@example.de"),
    (" info@müller-bau.de ", "info@müller-bau.de"),
])
def test_emails_are_normalised(admin_api, typed, normalized):
    response = admin_api.post("/api/v1/contacts", {"name": "Max", "emails": [{"value": typed, "type": "home"}]})
    assert response.status_code == 201, response.content
    email = response.json()["emails"][0]
    assert email["normalized"] == normalized
    assert email["type"] == "HOME"


@pytest.mark.parametrize("garbage", ["max", "max@", "@example.de", "max@@example.de", "max example@x.de"])
def test_garbage_email_is_422(admin_api, garbage):
    response = admin_api.post("/api/v1/contacts", {"name": "Max", "emails": [garbage]})
    assert response.status_code == 422
    assert response.json() | {"detail": ""} == {"detail": "", "code": "invalid_email", "field": "emails"}


def test_bad_phone_type_is_422(admin_api):
    response = admin_api.post("/api/v1/contacts", {"name": "Max", "phones": [{"value": "030 1234567",
                                                                              "type": "CARRIER_PIGEON"}]})
    assert response.status_code == 422
    assert response.json()["field"] == "phones"


def test_contact_crud(admin_api, make_company):
    company = make_company(title="Bäckerei Schulz")
    created = admin_api.post("/api/v1/contacts", {
        "name": "Sabine", "last_name": "Schulz", "post": "Inhaberin", "company_id": company["id"],
        "source": "CALL", "phones": ["0221 998877"],
    })
    assert created.status_code == 201
    contact = created.json()
    assert contact["company_id"] == company["id"]
    assert contact["source"] == "CALL"
    assert admin_api.get(f"/api/v1/contacts/{contact['id']}").json() == contact

    changed = admin_api.patch(f"/api/v1/contacts/{contact['id']}", {"post": "Geschäftsführerin", "phones": []})
    assert changed.status_code == 200
    assert changed.json()["post"] == "Geschäftsführerin"
    assert changed.json()["phones"] == []
    assert changed.json()["last_name"] == "Schulz"

    assert admin_api.delete(f"/api/v1/contacts/{contact['id']}").status_code == 204
    assert admin_api.get(f"/api/v1/contacts/{contact['id']}").status_code == 404
    assert not Communication.objects.filter(entity_id=contact["id"], entity_type=3).exists()


def test_contact_needs_a_name(admin_api, make_contact):
    response = admin_api.post("/api/v1/contacts", {"post": "CEO"})
    assert response.status_code == 422
    assert response.json()["field"] == "name"
    contact = make_contact(name="Only", last_name="")
    response = admin_api.patch(f"/api/v1/contacts/{contact['id']}", {"name": ""})
    assert response.status_code == 422
    assert admin_api.get(f"/api/v1/contacts/{contact['id']}").json()["name"] == "Only"


def test_contact_unknown_company_is_422(admin_api):
    response = admin_api.post("/api/v1/contacts", {"name": "X", "company_id": 424242})
    assert response.status_code == 422
    assert response.json()["field"] == "company_id"


def test_contact_unknown_is_404(admin_api):
    assert admin_api.get("/api/v1/contacts/424242").status_code == 404
    assert admin_api.patch("/api/v1/contacts/424242", {"name": "x"}).status_code == 404
    assert admin_api.delete("/api/v1/contacts/424242").status_code == 404


def test_company_crud(admin_api):
    created = admin_api.post("/api/v1/companies", {
        "title": "Acme Ltd", "industry": "Manufacturing", "phones": ["+44 161 496 0000"],
        "emails": ["sales@acme.example"],
    })
    assert created.status_code == 201
    company = created.json()
    assert company["phones"][0]["normalized"] == "+441614960000"
    assert admin_api.get(f"/api/v1/companies/{company['id']}").json() == company
    changed = admin_api.patch(f"/api/v1/companies/{company['id']}", {"title": "Acme Limited"}).json()
    assert changed["title"] == "Acme Limited"
    assert changed["emails"] == company["emails"]
    assert admin_api.delete(f"/api/v1/companies/{company['id']}").status_code == 204
    assert not Company.objects.filter(pk=company["id"]).exists()


def test_company_needs_a_title(admin_api):
    response = admin_api.post("/api/v1/companies", {"industry": "IT"})
    assert response.status_code == 422
    assert response.json()["field"] == "title"


def test_company_unknown_is_404(admin_api):
    assert admin_api.get("/api/v1/companies/424242").status_code == 404
    assert admin_api.patch("/api/v1/companies/424242", {"title": "x"}).status_code == 404
    assert admin_api.delete("/api/v1/companies/424242").status_code == 404


@pytest.mark.parametrize("collection", ["contacts", "companies"])
@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("post", ""), ("get", "/1"), ("patch", "/1"),
                                                ("delete", "/1")])
def test_contacts_and_companies_need_credentials(anon_api, collection, method, suffix):
    assert getattr(anon_api, method)(f"/api/v1/{collection}{suffix}").status_code == 401


def test_overlong_email_is_422_not_a_database_error(admin_api):
    long_email = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "de"  # a valid address, wider than the column
    response = admin_api.post("/api/v1/companies", {"title": "x", "emails": [long_email]})
    assert response.status_code == 422
    assert response.json()["field"] == "emails"
    assert not Company.objects.exists()


def test_too_large_body_is_413_json(admin_api):
    response = admin_api.post("/api/v1/companies", {"title": "x", "comments": "a" * 3_000_000})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_malformed_json_is_400_json(admin_api):
    response = admin_api.post("/api/v1/companies", "{not json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
