"""Simple-mode intake (``kontor.modes.intake``): behaviour the mutation run found untested."""

from __future__ import annotations

from kontor.crm.enums import EntityType
from kontor.crm.models import Contact, CrmSettings, Deal
from kontor.crm.services.custom_fields import custom_field_create
from kontor.crm.services.pipelines import pipeline_create

URL = "/api/v1/inquiries"


def test_a_mandatory_deal_field_refuses_simple_intake(admin_api, admin_user, simple):
    custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="UF_CRM_ORDER", type="string",
                        label_en="Order", mandatory=True)
    r = admin_api.post(URL, {"name": "Anna", "emails": ["anna@example.de"]})
    assert r.status_code == 422, r.content
    assert (r.json()["field"], r.json()["detail"]) == ("uf_crm_order", "uf_crm_order is required")
    assert not Deal.objects.exists() and not Contact.objects.exists()


def test_a_mandatory_contact_field_refuses_a_new_customer_only(admin_api, admin_user, simple):
    known = admin_api.post("/api/v1/contacts", {"name": "Alt", "emails": ["alt@example.de"]}).json()
    custom_field_create(actor=admin_user, entity_type=EntityType.CONTACT, code="UF_CRM_VIP", type="string",
                        label_en="VIP", mandatory=True)
    new = admin_api.post(URL, {"name": "Neu", "emails": ["neu@example.de"]})
    assert new.status_code == 422, new.content
    assert (new.json()["field"], new.json()["detail"]) == ("uf_crm_vip", "uf_crm_vip is required")
    again = admin_api.post(URL, {"name": "Alt", "emails": ["ALT@example.de"]})
    assert again.status_code == 201, again.content  # the known contact is not written
    assert again.json()["contact_id"] == known["id"]
    assert Contact.objects.count() == 1 and Deal.objects.count() == 1


def test_a_simple_pipeline_without_stages_is_named_in_the_refusal(admin_api, admin_user, simple):
    empty = pipeline_create(actor=admin_user, name="Leer", default_stages=False)
    CrmSettings.objects.filter(pk=1).update(simple_pipeline=empty)
    r = admin_api.post(URL, {"name": "Anna", "emails": ["anna@example.de"]})
    assert r.status_code == 422, r.content
    assert (r.json()["field"], r.json()["detail"]) == ("pipeline_id", f"pipeline {empty.pk} has no stages")
    assert not Deal.objects.exists()


def test_simple_intake_records_who_took_the_inquiry_in(admin_api, admin_user, simple):
    r = admin_api.post(URL, {"name": "Anna", "emails": ["anna@example.de"]})
    assert r.status_code == 201, r.content
    deal = Deal.objects.get(pk=r.json()["deal_id"])
    contact = Contact.objects.get(pk=r.json()["contact_id"])
    assert deal.created_by_id == contact.created_by_id == admin_user.pk
