"""References kept without a database foreign key (crm 0006) still never point at a deleted record.

Django applies ``on_delete`` itself, so deleting a contact, company, deal or user through Kontor
clears every reference to it; the API refuses ids that do not exist.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from kontor.crm.models import Deal, Lead

from .conftest import make_lead


def _converted(api) -> dict:
    lead = make_lead(api, title="Anfrage Carport", name="Ida", company_title="Holz GmbH", emails=["ida@example.org"])
    r = api.post(f"/api/v1/leads/{lead['id']}/convert", {"deal": {}, "contact": "create", "company": "create"})
    assert r.status_code == 200, r.content
    return r.json()


def test_deleting_what_a_lead_became_clears_the_lead(admin_api, classic):
    lead = _converted(admin_api)
    for kind, key in (("contacts", "contact_id"), ("companies", "company_id"), ("deals", "deal_id")):
        assert admin_api.delete(f"/api/v1/{kind}/{lead[key]}").status_code == 204
        assert admin_api.get(f"/api/v1/leads/{lead['id']}").json()[key] is None
    assert Lead.objects.filter(pk=lead["id"], contact__isnull=True, company__isnull=True, deal__isnull=True).exists()


def test_deleting_the_origin_lead_clears_the_deal(admin_api, classic):
    lead = _converted(admin_api)
    assert admin_api.get(f"/api/v1/deals/{lead['deal_id']}").json()["lead_id"] == lead["id"]
    assert admin_api.delete(f"/api/v1/leads/{lead['id']}").status_code == 204
    assert admin_api.get(f"/api/v1/deals/{lead['deal_id']}").json()["lead_id"] is None
    assert admin_api.get(f"/api/v1/contacts/{lead['contact_id']}").json()["lead_id"] is None


def test_deleting_a_user_clears_assigned_and_creator(admin_api, classic):
    user = get_user_model().objects.create_user("leaver", password="x")
    deal = admin_api.post("/api/v1/deals", {"title": "Zaun", "assigned_id": user.pk}).json()
    assert deal["assigned_id"] == user.pk
    Deal.objects.filter(pk=deal["id"]).update(created_by=user)
    user.delete()
    assert admin_api.get(f"/api/v1/deals/{deal['id']}").json()["assigned_id"] is None
    assert Deal.objects.get(pk=deal["id"]).created_by_id is None


def test_an_unknown_user_or_source_is_refused(admin_api, classic):
    for body, field in (({"title": "x", "assigned_id": 999999}, "assigned_id"),
                        ({"title": "x", "source": "NOPE"}, "source")):
        r = admin_api.post("/api/v1/deals", body)
        assert r.status_code == 422, r.content
        assert field in r.content.decode()
    assert not Deal.objects.exists()
