"""Simple-mode intake (``kontor.modes.intake``): behaviour the mutation run found untested."""

from __future__ import annotations

from kontor.crm.enums import EntityType, Semantic
from kontor.crm.models import Contact, CrmSettings, Deal, Pipeline
from kontor.crm.services import stage_create
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


def _deal_of(admin_api, **extra) -> Deal:
    r = admin_api.post(URL, {"name": "Anna", "emails": ["anna@example.de"], **extra})
    assert r.status_code == 201, r.content
    return Deal.objects.select_related("stage").get(pk=r.json()["deal_id"])


def test_without_a_chosen_pipeline_intake_takes_the_default_one_not_the_first_by_sort(admin_api, admin_user, simple):
    Pipeline.objects.filter(is_default=True).update(sort=900)
    pipeline_create(actor=admin_user, name="Vorne", sort=1)  # sorts before the default pipeline
    default = Pipeline.objects.get(is_default=True)
    assert _deal_of(admin_api).pipeline_id == default.pk


def test_without_a_default_pipeline_intake_takes_the_first_by_sort_then_id(admin_api, admin_user, simple):
    Pipeline.objects.filter(is_default=True).update(is_default=False, sort=900)
    later = pipeline_create(actor=admin_user, name="Zweite", sort=5)
    pipeline_create(actor=admin_user, name="Dritte", sort=5)
    assert _deal_of(admin_api).pipeline_id == later.pk


def test_without_any_pipeline_an_inquiry_is_refused_naming_the_pipeline(admin_api, simple):
    Pipeline.objects.all().delete()
    r = admin_api.post(URL, {"name": "Anna", "emails": ["anna@example.de"]})
    assert r.status_code == 422, r.content
    assert (r.json()["field"], r.json()["detail"]) == ("pipeline_id", "no pipeline exists")
    assert not Contact.objects.exists()


def test_intake_starts_at_the_first_in_progress_stage_even_behind_a_final_one(admin_api, admin_user, simple):
    odd = pipeline_create(actor=admin_user, name="Erst verloren", default_stages=False)
    stage_create(pipeline=odd, data={"code": "LOST", "name": "Verloren", "semantic": Semantic.FAILURE, "sort": 1})
    stage_create(pipeline=odd, data={"code": "OPEN", "name": "Offen", "semantic": Semantic.PROCESS, "sort": 50})
    CrmSettings.objects.filter(pk=1).update(simple_pipeline=odd)
    deal = _deal_of(admin_api)
    assert (deal.stage.code, deal.closed) == ("OPEN", False)


def test_the_refusal_names_the_first_missing_mandatory_field_by_sort(admin_api, admin_user, simple):
    for code, sort in (("UF_CRM_LATER", 20), ("UF_CRM_FIRST", 10)):
        custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code=code, type="string",
                            label_en=code, mandatory=True, sort=sort)
    r = admin_api.post(URL, {"name": "Anna", "emails": ["anna@example.de"]})
    assert r.status_code == 422, r.content
    assert r.json()["field"] == "uf_crm_first"
