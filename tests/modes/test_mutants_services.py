"""Inquiry intake, conversion and simple-mode settings: behaviour the mutation run of
``kontor.modes.services`` found untested."""

from __future__ import annotations

import json

from kontor.crm.models import Contact, Deal
from kontor.events.models import WebhookDelivery

from .conftest import set_mode

URL = "/api/v1/inquiries"


def test_a_contact_without_a_name_is_named_after_the_inquiry_title(admin_api, simple):
    r = admin_api.post(URL, {"title": "Rückruf Dach", "company_title": "Dach AG", "emails": ["dach@example.de"]})
    assert r.status_code == 201, r.content
    assert Contact.objects.get(pk=r.json()["contact_id"]).name == "Rückruf Dach"


def test_without_a_title_the_company_then_the_phone_names_the_contact(admin_api, simple):
    by_company = admin_api.post(URL, {"company_title": "Dach AG", "emails": ["dach@example.de"]}).json()
    assert Contact.objects.get(pk=by_company["contact_id"]).name == "Dach AG"
    by_phone = admin_api.post(URL, {"phones": ["+49 30 555"], "emails": ["x@example.de"]}).json()
    assert Contact.objects.get(pk=by_phone["contact_id"]).name == "+49 30 555"
    with_last_name = admin_api.post(URL, {"title": "T", "last_name": "Muster"}).json()
    assert Contact.objects.get(pk=with_last_name["contact_id"]).name == ""


def test_a_contact_made_from_a_lead_with_only_a_last_name_gets_no_first_name(admin_api, classic):
    lead = admin_api.post("/api/v1/leads", {"title": "Anfrage Dach", "last_name": "Muster"}).json()
    r = admin_api.post(f"/api/v1/leads/{lead['id']}/convert", {"deal": None, "contact": "create"})
    assert r.status_code == 200, r.content
    contact = Contact.objects.get(pk=r.json()["contact_id"])
    assert (contact.name, contact.last_name) == ("", "Muster")


def test_conversion_tells_lead_updated_receivers_what_changed(admin_api, classic):
    hook = admin_api.post("/api/v1/webhooks/outgoing", {"url": "https://93.184.215.14/hook",
                                                         "events": ["lead.updated"]})
    assert hook.status_code == 201, hook.content
    lead = admin_api.post("/api/v1/leads", {"title": "Anfrage", "name": "Anna"}).json()
    r = admin_api.post(f"/api/v1/leads/{lead['id']}/convert", {"deal": None, "contact": "create"})
    assert r.status_code == 200, r.content
    delivery = WebhookDelivery.objects.get(event="lead.updated")
    assert (delivery.entity, delivery.record_id) == ("lead", lead["id"])
    body = json.loads(delivery.body)
    assert body["data"]["status_id"] == "CONVERTED"
    assert body["changes"] == {"status_id": ["NEW", "CONVERTED"], "contact_id": [None, r.json()["contact_id"]]}


def test_a_long_title_or_phone_naming_the_contact_is_cut_to_the_name_field(admin_api, simple):
    title = "Anfrage " + "x" * 150
    by_title = admin_api.post(URL, {"title": title, "emails": ["long@example.de"]}).json()
    assert Contact.objects.get(pk=by_title["contact_id"]).name == title[:100]
    typed = "bitte nach 17 Uhr anrufen, " + "sonst " * 30  # kept as typed: no phone number in it
    by_phone = admin_api.post(URL, {"phones": [typed]}).json()
    assert Contact.objects.get(pk=by_phone["contact_id"]).name == typed[:100]


# --- simple mode converts a new lead at once (lead_convert_simple through the lead.created hook) -----

def _lead(api, **body):
    body.setdefault("title", "API-Lead")
    r = api.post("/api/v1/leads", body)
    assert r.status_code == 201, r.content
    return r.json()


def test_simple_mode_leaves_a_lead_created_as_junk_alone(admin_api, simple):
    lead = _lead(admin_api, name="Jo", status_id="JUNK")
    assert (lead["status_id"], lead["deal_id"], lead["contact_id"]) == ("JUNK", None, None)


def test_simple_mode_keeps_the_contact_and_company_a_lead_names(admin_api, simple):
    named = admin_api.post("/api/v1/contacts", {"name": "Genannt"}).json()
    other = admin_api.post("/api/v1/contacts", {"name": "Andere", "phones": ["+49 30 777"]}).json()
    firm = admin_api.post("/api/v1/companies", {"title": "Firma"}).json()
    lead = _lead(admin_api, contact_id=named["id"], company_id=firm["id"], phones=["030 777"])
    assert lead["status_id"] == "CONVERTED"
    assert (lead["contact_id"], lead["company_id"]) == (named["id"], firm["id"])  # not the phone's contact
    deal = admin_api.get(f"/api/v1/deals/{lead['deal_id']}").json()
    assert (deal["contact_id"], deal["company_id"]) == (named["id"], firm["id"])
    assert other["id"] != named["id"]


def test_simple_mode_matches_a_new_leads_phone(admin_api, simple):
    known = admin_api.post("/api/v1/contacts", {"name": "Alt", "phones": ["+49 30 777"]}).json()
    lead = _lead(admin_api, name="Neu", phones=["030 777"])
    assert lead["contact_id"] == known["id"]


def test_simple_mode_without_matching_makes_a_new_contact(admin_api, db):
    set_mode("simple", match_existing_customers=False)
    known = admin_api.post("/api/v1/contacts", {"name": "Alt", "phones": ["+49 30 777"]}).json()
    lead = _lead(admin_api, name="Neu", phones=["030 777"])
    assert lead["status_id"] == "CONVERTED" and lead["contact_id"] not in (None, known["id"])
    assert Contact.objects.get(pk=lead["contact_id"]).name == "Neu"


def test_simple_mode_matches_a_new_leads_company_by_title_and_records_the_actor(admin_api, admin_user, db):
    set_mode("simple", create_company=True)
    firm = admin_api.post("/api/v1/companies", {"title": "Firma X"}).json()
    lead = _lead(admin_api, name="Neu", company_title="FIRMA  x")
    assert lead["status_id"] == "CONVERTED" and lead["company_id"] == firm["id"]
    assert Deal.objects.get(pk=lead["deal_id"]).created_by_id == admin_user.pk


def test_simple_mode_without_matching_makes_a_new_company_too(admin_api, db):
    set_mode("simple", create_company=True, match_existing_customers=False)
    firm = admin_api.post("/api/v1/companies", {"title": "Firma X"}).json()
    lead = _lead(admin_api, name="Neu", company_title="Firma X")
    assert lead["company_id"] not in (None, firm["id"])


def test_an_inquiry_keeps_a_typed_phone_it_cannot_read_as_written(admin_api, simple):
    r = admin_api.post(URL, {"name": "Anna", "phones": [{"value": "nach 17 Uhr", "type": "WORK"}]})
    assert r.status_code == 201, r.content
    contact = admin_api.get(f"/api/v1/contacts/{r.json()['contact_id']}").json()
    assert [(p["value"], p["type"], p["normalized"]) for p in contact["phones"]] == [("nach 17 Uhr", "WORK", "")]


def test_a_leads_messenger_address_is_no_e_mail_to_match_by(admin_api, simple):
    known = admin_api.post("/api/v1/contacts", {"name": "Alt", "emails": ["anna@example.de"]}).json()
    lead = _lead(admin_api, name="Neu", messengers=[{"value": "anna@example.de", "type": "TELEGRAM"}])
    assert lead["status_id"] == "CONVERTED" and lead["contact_id"] not in (None, known["id"])
