"""Inquiry intake through ``POST /api/v1/inquiries`` in both modes, with duplicate matching."""

from __future__ import annotations

import pytest

from kontor.crm.enums import CrmMode
from kontor.crm.models import Company, Contact, Deal, Lead

from .conftest import set_mode

URL = "/api/v1/inquiries"


def test_classic_inquiry_makes_a_lead(admin_api, classic):
    r = admin_api.post(URL, {"name": "Anna", "last_name": "Muster", "phones": ["030 1234567"],
                             "company_title": "Muster GmbH", "source": "web", "opportunity": 1200})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["mode"] == "classic"
    assert body["deal_id"] is None and body["contact_id"] is None and body["company_id"] is None
    lead = admin_api.get(f"/api/v1/leads/{body['lead_id']}").json()
    assert lead["status_id"] == "NEW"
    assert lead["name"] == "Anna" and lead["company_title"] == "Muster GmbH"
    assert lead["phones"][0]["normalized"] == "+49301234567"
    assert Deal.objects.count() == 0


def test_classic_inquiry_from_known_customer_is_a_repeat_lead(admin_api, classic):
    contact = admin_api.post("/api/v1/contacts", {"name": "Anna", "phones": ["+49 30 1234567"]}).json()
    r = admin_api.post(URL, {"name": "Anna", "phones": ["0049 (30) 123-4567"]})
    body = r.json()
    assert body["contact_matched"] is True and body["contact_id"] == contact["id"]
    lead = admin_api.get(f"/api/v1/leads/{body['lead_id']}").json()
    assert lead["contact_id"] == contact["id"] and lead["is_return_customer"] is True


def test_simple_inquiry_makes_deal_and_contact(admin_api, simple):
    r = admin_api.post(URL, {"title": "Website", "name": "Bob", "last_name": "Baum", "emails": ["Bob@Example.org"],
                             "company_title": "Baum AG", "opportunity": "99.50", "currency": "usd"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["mode"] == "simple" and body["lead_id"] is None
    assert body["company_id"] is None  # create_company is off by default
    deal = admin_api.get(f"/api/v1/deals/{body['deal_id']}").json()
    assert deal["contact_id"] == body["contact_id"] and deal["title"] == "Website"
    assert deal["opportunity"] == "99.50" and deal["currency"] == "USD"
    pipelines = admin_api.get("/api/v1/pipelines").json()
    default = (pipelines["items"] if isinstance(pipelines, dict) else pipelines)[0]
    assert deal["pipeline_id"] == default["id"]
    contact = admin_api.get(f"/api/v1/contacts/{body['contact_id']}").json()
    assert contact["name"] == "Bob" and contact["emails"][0]["normalized"] == "bob@example.org"
    assert Lead.objects.count() == 0


@pytest.mark.parametrize("first,second", [
    ({"phones": ["030 1234567"]}, {"phones": ["+49 (0)30 123 45 67"]}),
    ({"phones": ["+49 30 1234567"]}, {"phones": ["0049-30-1234567"]}),
    ({"emails": ["Max.Mustermann@Example.DE"]}, {"emails": ["max.mustermann@example.de"]}),
    ({"emails": ["a@x.de"], "phones": ["0301111111"]}, {"emails": ["other@y.de"], "phones": ["+49 30 111 1111"]}),
])
def test_simple_inquiries_match_an_existing_contact(admin_api, simple, first, second):
    a = admin_api.post(URL, {"name": "Max", **first}).json()
    b = admin_api.post(URL, {"name": "Maximilian", **second}).json()
    assert b["contact_matched"] is True and b["contact_id"] == a["contact_id"]
    assert a["deal_id"] != b["deal_id"]
    assert Contact.objects.count() == 1 and Deal.objects.count() == 2


def test_no_matching_when_switched_off(admin_api, db):
    set_mode(CrmMode.SIMPLE, match_existing_customers=False)
    a = admin_api.post(URL, {"name": "Max", "emails": ["max@x.de"]}).json()
    b = admin_api.post(URL, {"name": "Max", "emails": ["MAX@x.de"]}).json()
    assert b["contact_matched"] is False and a["contact_id"] != b["contact_id"]


def test_simple_inquiry_with_company_setting(admin_api, simple):
    r = admin_api.patch("/api/v1/crm-mode/simple-mode", {"create_company": True})
    assert r.status_code == 200 and r.json()["create_company"] is True
    a = admin_api.post(URL, {"name": "A", "company_title": "Müller  GmbH", "emails": ["a@m.de"]}).json()
    b = admin_api.post(URL, {"name": "B", "company_title": "MÜLLER GMBH", "emails": ["b@m.de"]}).json()
    c = admin_api.post(URL, {"name": "C", "emails": ["c@m.de"]}).json()
    assert a["company_id"] and a["company_matched"] is False
    assert b["company_id"] == a["company_id"] and b["company_matched"] is True
    assert c["company_id"] is None
    assert Company.objects.count() == 1
    contact = admin_api.get(f"/api/v1/contacts/{a['contact_id']}").json()
    assert contact["company_id"] == a["company_id"]


def test_simple_inquiry_goes_to_the_configured_pipeline(admin_api, simple):
    pipeline = admin_api.post("/api/v1/pipelines", {"name": "Web"}).json()
    assert admin_api.patch("/api/v1/crm-mode/simple-mode", {"pipeline_id": pipeline["id"]}).status_code == 200
    body = admin_api.post(URL, {"name": "X", "phones": ["0301234567"]}).json()
    deal = admin_api.get(f"/api/v1/deals/{body['deal_id']}").json()
    assert deal["pipeline_id"] == pipeline["id"]
    stages = admin_api.get(f"/api/v1/pipelines/{pipeline['id']}/stages").json()
    first = stages["items"][0] if isinstance(stages, dict) else stages[0]
    assert deal["stage_id"] == first["id"]


@pytest.mark.parametrize("payload,field", [
    ({}, "name"),
    ({"name": "X", "phones": [{"value": "030 1234567", "type": "NOPE"}]}, "phones"),
    ({"name": "X", "emails": [""]}, "emails"),
    ({"name": "X", "source": "NOPE"}, "source"),
    ({"name": "X", "opportunity": -1}, "opportunity"),
    ({"name": "X", "unknown": 1}, None),
])
def test_bad_inquiries_are_rejected_without_writing(admin_api, simple, payload, field):
    r = admin_api.post(URL, payload)
    assert r.status_code == 422, r.content
    assert r.json()["code"] in ("validation_error", "invalid_phone", "invalid_email")
    if field:
        assert r.json().get("field") == field
    assert Contact.objects.count() == 0 and Deal.objects.count() == 0


def test_inquiries_need_credentials(anon_api):
    assert anon_api.post(URL, {"name": "X"}).status_code == 401


def test_manager_may_submit_inquiries(manager_api, simple):
    assert manager_api.post(URL, {"name": "X"}).status_code == 201
