"""``/api/v1/deals`` through HTTP."""

from __future__ import annotations

import pytest

from kontor.crm.models import Deal, Pipeline, Stage

pytestmark = pytest.mark.django_db


def _stage(pipeline: Pipeline, code: str) -> Stage:
    return pipeline.stages.get(code=code)


def test_create_deal_defaults_to_first_stage_of_default_pipeline(admin_api, default_pipeline, admin_user):
    response = admin_api.post("/api/v1/deals", {"title": "Dachsanierung", "opportunity": 12000})
    assert response.status_code == 201, response.content
    deal = response.json()
    assert deal["pipeline_id"] == default_pipeline.pk
    assert deal["stage_id"] == _stage(default_pipeline, "NEW").pk
    assert deal["opportunity"] == "12000.00"  # money is a decimal string, never a float
    assert deal["closed"] is False
    assert deal["assigned_id"] == admin_user.pk
    assert deal["contact_ids"] == []
    assert {"contact_id", "company_id", "lead_id", "currency", "created_at"} <= set(deal)


def test_create_deal_with_contacts_and_company(admin_api, make_contact, make_company):
    anna, ben = make_contact(name="Anna"), make_contact(name="Ben")
    company = make_company()
    response = admin_api.post("/api/v1/deals", {
        "title": "Wartungsvertrag", "contact_ids": [anna["id"], ben["id"]], "contact_id": ben["id"],
        "company_id": company["id"],
    })
    assert response.status_code == 201
    deal = response.json()
    assert deal["contact_id"] == ben["id"]
    assert deal["contact_ids"] == [ben["id"], anna["id"]]
    assert deal["company_id"] == company["id"]


def test_create_deal_in_won_stage_is_closed(admin_api, default_pipeline):
    response = admin_api.post("/api/v1/deals", {"title": "Won", "stage_id": _stage(default_pipeline, "WON").pk})
    assert response.status_code == 201
    assert response.json()["closed"] is True


@pytest.mark.parametrize(("body", "field"), [
    ({"pipeline_id": 999999}, "pipeline_id"),
    ({"stage_id": 999999}, "stage_id"),
    ({"contact_ids": [999999]}, "contact_ids"),
    ({"company_id": 999999}, "company_id"),
    ({"opportunity": "zwölf"}, "opportunity"),
    ({"contact_ids": "1,2"}, "contact_ids"),
    ({"pipeline_id": 0}, "pipeline_id"),
])
def test_create_deal_invalid_is_422(admin_api, body, field):
    response = admin_api.post("/api/v1/deals", {"title": "x", **body})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Deal.objects.exists()


def test_stage_of_another_pipeline_is_422(admin_api, default_pipeline):
    other = admin_api.post("/api/v1/pipelines", {"name": "Service"}).json()
    response = admin_api.post("/api/v1/deals", {"title": "x", "pipeline_id": default_pipeline.pk,
                                                 "stage_id": other["stages"][0]["id"]})
    assert response.status_code == 422
    assert response.json()["field"] == "stage_id"


def test_patch_deal_moves_stage_and_closes(admin_api, make_deal, default_pipeline):
    deal = make_deal()
    response = admin_api.patch(f"/api/v1/deals/{deal['id']}", {"stage_id": _stage(default_pipeline, "LOSE").pk})
    assert response.status_code == 200
    moved = response.json()
    assert moved["stage_id"] == _stage(default_pipeline, "LOSE").pk
    assert moved["closed"] is True
    assert moved["closed_at"] is not None
    reopened = admin_api.patch(f"/api/v1/deals/{deal['id']}",
                               {"stage_id": _stage(default_pipeline, "EXECUTING").pk}).json()
    assert reopened["closed"] is False


def test_patch_deal_to_other_pipeline_lands_on_its_first_stage(admin_api, make_deal):
    other = admin_api.post("/api/v1/pipelines", {"name": "Service"}).json()
    deal = make_deal()
    moved = admin_api.patch(f"/api/v1/deals/{deal['id']}", {"pipeline_id": other["id"]}).json()
    assert moved["pipeline_id"] == other["id"]
    assert moved["stage_id"] == other["stages"][0]["id"]


def test_patch_deal_empty_title_is_422(admin_api, make_deal):
    deal = make_deal()
    response = admin_api.patch(f"/api/v1/deals/{deal['id']}", {"title": ""})
    assert response.status_code == 422
    assert response.json()["field"] == "title"


def test_get_and_delete_deal(admin_api, make_deal):
    deal = make_deal()
    assert admin_api.get(f"/api/v1/deals/{deal['id']}").json() == deal
    assert admin_api.delete(f"/api/v1/deals/{deal['id']}").status_code == 204
    assert admin_api.get(f"/api/v1/deals/{deal['id']}").status_code == 404
    assert admin_api.patch(f"/api/v1/deals/{deal['id']}", {"title": "x"}).status_code == 404
    assert admin_api.delete(f"/api/v1/deals/{deal['id']}").status_code == 404


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/deals"), ("post", "/api/v1/deals"), ("get", "/api/v1/deals/1"),
    ("patch", "/api/v1/deals/1"), ("delete", "/api/v1/deals/1"),
])
def test_deals_need_credentials(anon_api, method, path):
    assert getattr(anon_api, method)(path).status_code == 401
