"""DSGVO: everything about one contact as JSON (Art. 15), and erasing it with its traces (Art. 17)."""

from __future__ import annotations

import json

import pytest

from kontor.crm.enums import CrmMode, EntityType
from kontor.crm.models import AuditLog, Communication, Contact, CrmSettings, Deal, DealContact, TimelineEntry
from kontor.crm.services import contact_create, deal_create, lead_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    CrmSettings.objects.filter(pk=1).update(mode=CrmMode.CLASSIC)  # the lead stays a lead
    contact = contact_create(data={"name": "Erika", "last_name": "Mustermann", "phones": ["+49 30 1111111"],
                                   "emails": ["erika@beispiel.de"], "address_city": "Berlin"})
    lead = lead_create(data={"title": "Anfrage Küche", "name": "Erika", "last_name": "Mustermann",
                             "address_city": "Berlin", "phones": ["030 1111111"]})  # the same phone, written otherwise
    TimelineEntry.objects.create(entity_type=EntityType.LEAD, entity_id=lead.pk, kind="updated",
                                 data={"changes": {"emails": [[], ["ERIKA@beispiel.de"]]}})
    deal = deal_create(data={"title": "Küche", "contact_ids": [contact.pk]})
    other = contact_create(data={"name": "Max", "last_name": "Andere", "emails": ["max@beispiel.de"]})
    return {"contact": contact, "lead": lead, "deal": deal, "other": other}


def test_personal_data_lists_everything_about_the_contact(admin_api, person):
    r = admin_api.get(f"/api/v1/contacts/{person['contact'].pk}/personal-data")
    assert r.status_code == 200, r.content
    doc = r.json()
    assert doc["contact"]["last_name"] == "Mustermann"
    assert [c["normalized"] for c in doc["contact"]["phones"]] == ["+49301111111"]
    assert [lead["id"] for lead in doc["leads"]] == [person["lead"].pk]  # found by the phone alone
    assert [d["id"] for d in doc["deals"]] == [person["deal"].pk]
    assert "max@beispiel.de" not in json.dumps(doc)
    assert AuditLog.objects.filter(action="contact_personal_data_exported",
                                   data__contact_id=person["contact"].pk).exists()


def test_erase_removes_the_contact_and_the_traces_of_its_phones_and_emails(admin_api, person):
    contact, lead, deal = person["contact"], person["lead"], person["deal"]
    r = admin_api.post(f"/api/v1/contacts/{contact.pk}/erase")
    assert r.status_code == 200, r.content
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not Communication.objects.filter(normalized__in=["+49301111111", "erika@beispiel.de"]).exists()
    lead.refresh_from_db()
    assert (lead.title, lead.name, lead.last_name, lead.address_city) == ("Anfrage Küche", "", "", "")
    assert Deal.objects.filter(pk=deal.pk).exists() and not DealContact.objects.filter(deal=deal).exists()
    for entry in TimelineEntry.objects.all():
        assert "erika" not in json.dumps(entry.data).lower()
    assert Contact.objects.filter(pk=person["other"].pk).exists()
    audit = AuditLog.objects.get(action="contact_erased")
    assert audit.data["contact_id"] == contact.pk and "erika" not in json.dumps(audit.data).lower()


def test_only_admins_and_known_contacts(manager_api, admin_api, person):
    pk = person["contact"].pk
    assert manager_api.get(f"/api/v1/contacts/{pk}/personal-data").status_code == 403
    assert manager_api.post(f"/api/v1/contacts/{pk}/erase").status_code == 403
    assert Contact.objects.filter(pk=pk).exists()
    assert admin_api.post("/api/v1/contacts/999999/erase").status_code == 404
