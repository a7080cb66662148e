"""``/api/v1/pipelines`` (with stages) and ``/api/v1/lead-statuses``: readable by all, written by admins."""

from __future__ import annotations

import pytest

from kontor.crm.models import AuditLog, LeadStatus, Pipeline

pytestmark = pytest.mark.django_db

BITRIX_STAGES = ["NEW", "PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING", "FINAL_INVOICE", "WON", "LOSE", "APOLOGY"]


def test_manager_reads_pipelines_with_stages(manager_api):
    response = manager_api.get("/api/v1/pipelines")
    assert response.status_code == 200
    [default] = response.json()
    assert default["is_default"] is True
    assert [s["code"] for s in default["stages"]] == BITRIX_STAGES
    assert {s["code"]: s["semantic"] for s in default["stages"]}["WON"] == "success"
    assert {s["code"]: s["semantic"] for s in default["stages"]}["LOSE"] == "failure"
    assert manager_api.get(f"/api/v1/pipelines/{default['id']}").json() == default
    stages = manager_api.get(f"/api/v1/pipelines/{default['id']}/stages").json()
    assert stages == default["stages"]
    assert manager_api.get(f"/api/v1/pipelines/{default['id']}/stages/{stages[0]['id']}").json() == stages[0]


def test_admin_creates_pipeline_with_default_stages(admin_api):
    response = admin_api.post("/api/v1/pipelines", {"name": "Großkunden", "sort": 200})
    assert response.status_code == 201
    pipeline = response.json()
    assert pipeline["name"] == "Großkunden"
    assert pipeline["is_default"] is False
    assert [s["code"] for s in pipeline["stages"]] == BITRIX_STAGES
    assert AuditLog.objects.filter(action="pipeline_created").exists()


def test_admin_creates_pipeline_without_stages_then_adds_some(admin_api):
    pipeline = admin_api.post("/api/v1/pipelines", {"name": "Leer", "default_stages": False}).json()
    assert pipeline["stages"] == []
    response = admin_api.post(f"/api/v1/pipelines/{pipeline['id']}/stages",
                              {"code": "START", "name": "Start", "sort": 10})
    assert response.status_code == 201
    assert response.json()["semantic"] == "process"
    duplicate = admin_api.post(f"/api/v1/pipelines/{pipeline['id']}/stages", {"code": "START", "name": "Again"})
    assert duplicate.status_code == 409
    assert duplicate.json()["field"] == "code"


def test_admin_changes_and_deletes_pipeline_and_stage(admin_api):
    pipeline = admin_api.post("/api/v1/pipelines", {"name": "Service"}).json()
    renamed = admin_api.patch(f"/api/v1/pipelines/{pipeline['id']}", {"name": "Kundendienst"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Kundendienst"
    stage = pipeline["stages"][1]
    changed = admin_api.patch(f"/api/v1/pipelines/{pipeline['id']}/stages/{stage['id']}",
                              {"name": "Unterlagen", "color": "#123456"})
    assert changed.status_code == 200
    assert changed.json()["name"] == "Unterlagen"
    assert admin_api.delete(f"/api/v1/pipelines/{pipeline['id']}/stages/{stage['id']}").status_code == 204
    assert admin_api.get(f"/api/v1/pipelines/{pipeline['id']}/stages/{stage['id']}").status_code == 404
    assert admin_api.delete(f"/api/v1/pipelines/{pipeline['id']}").status_code == 204
    assert not Pipeline.objects.filter(pk=pipeline["id"]).exists()


def test_default_pipeline_and_pipeline_with_deals_cannot_be_deleted(admin_api, default_pipeline):
    response = admin_api.delete(f"/api/v1/pipelines/{default_pipeline.pk}")
    assert response.status_code == 409
    other = admin_api.post("/api/v1/pipelines", {"name": "Service"}).json()
    admin_api.post("/api/v1/deals", {"title": "x", "pipeline_id": other["id"]})
    response = admin_api.delete(f"/api/v1/pipelines/{other['id']}")
    assert response.status_code == 409
    assert response.json()["code"] == "in_use"
    stage_with_deal = other["stages"][0]
    assert admin_api.delete(f"/api/v1/pipelines/{other['id']}/stages/{stage_with_deal['id']}").status_code == 409


def test_removing_the_last_won_stage_is_409(admin_api):
    pipeline = admin_api.post("/api/v1/pipelines", {"name": "P"}).json()
    won = next(s for s in pipeline["stages"] if s["code"] == "WON")
    response = admin_api.delete(f"/api/v1/pipelines/{pipeline['id']}/stages/{won['id']}")
    assert response.status_code == 409
    assert admin_api.get(f"/api/v1/pipelines/{pipeline['id']}/stages/{won['id']}").status_code == 200


def test_stage_of_other_pipeline_is_404(admin_api, default_pipeline):
    other = admin_api.post("/api/v1/pipelines", {"name": "P"}).json()
    stage = default_pipeline.stages.first()
    assert admin_api.get(f"/api/v1/pipelines/{other['id']}/stages/{stage.pk}").status_code == 404


@pytest.mark.parametrize(("body", "field"), [({}, "name"), ({"name": ""}, "name"), ({"name": "x", "sort": "a"}, "sort"),
                                             ({"name": "x", "color": 1}, "color")])
def test_pipeline_invalid_is_422(admin_api, body, field):
    response = admin_api.post("/api/v1/pipelines", body)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_stage_invalid_is_422(admin_api, default_pipeline):
    response = admin_api.post(f"/api/v1/pipelines/{default_pipeline.pk}/stages", {"name": "X", "semantic": "maybe"})
    assert response.status_code == 422
    assert response.json()["field"] == "semantic"


def test_unknown_pipeline_is_404(admin_api):
    assert admin_api.get("/api/v1/pipelines/424242").status_code == 404
    assert admin_api.get("/api/v1/pipelines/424242/stages").status_code == 404
    assert admin_api.patch("/api/v1/pipelines/424242", {"name": "x"}).status_code == 404
    assert admin_api.post("/api/v1/pipelines/424242/stages", {"name": "x"}).status_code == 404


def test_manager_cannot_write_pipelines(manager_api, default_pipeline):
    stage = default_pipeline.stages.first()
    base = f"/api/v1/pipelines/{default_pipeline.pk}"
    for response in (
        manager_api.post("/api/v1/pipelines", {"name": "Mine"}),
        manager_api.patch(base, {"name": "Mine"}),
        manager_api.delete(base),
        manager_api.post(f"{base}/stages", {"name": "Mine"}),
        manager_api.patch(f"{base}/stages/{stage.pk}", {"name": "Mine"}),
        manager_api.delete(f"{base}/stages/{stage.pk}"),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert Pipeline.objects.count() == 1
    assert Pipeline.objects.get().name == default_pipeline.name


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/pipelines"), ("post", "/api/v1/pipelines"), ("get", "/api/v1/pipelines/1"),
    ("patch", "/api/v1/pipelines/1"), ("delete", "/api/v1/pipelines/1"), ("get", "/api/v1/pipelines/1/stages"),
    ("post", "/api/v1/pipelines/1/stages"), ("get", "/api/v1/pipelines/1/stages/1"),
    ("patch", "/api/v1/pipelines/1/stages/1"), ("delete", "/api/v1/pipelines/1/stages/1"),
    ("get", "/api/v1/lead-statuses"), ("post", "/api/v1/lead-statuses"), ("get", "/api/v1/lead-statuses/NEW"),
    ("patch", "/api/v1/lead-statuses/NEW"), ("delete", "/api/v1/lead-statuses/NEW"),
])
def test_structure_needs_credentials(anon_api, method, path):
    assert getattr(anon_api, method)(path).status_code == 401


# --- lead statuses -------------------------------------------------------------------------------


def test_manager_reads_lead_statuses(manager_api):
    statuses = manager_api.get("/api/v1/lead-statuses").json()
    assert [s["id"] for s in statuses] == ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"]
    assert {s["id"]: s["semantic"] for s in statuses} == {
        "NEW": "process", "IN_PROCESS": "process", "PROCESSED": "process", "CONVERTED": "success", "JUNK": "failure"}
    assert manager_api.get("/api/v1/lead-statuses/junk").json()["code"] == "JUNK"


def test_admin_manages_lead_statuses(admin_api, make_lead):
    response = admin_api.post("/api/v1/lead-statuses", {"code": "callback", "name": "Rückruf", "sort": 25})
    assert response.status_code == 201
    assert response.json() == {"id": "CALLBACK", "code": "CALLBACK", "name": "Rückruf", "sort": 25,
                               "semantic": "process", "color": "", "system": False}
    assert admin_api.post("/api/v1/lead-statuses", {"code": "CALLBACK", "name": "x"}).status_code == 409
    renamed = admin_api.patch("/api/v1/lead-statuses/CALLBACK", {"name": "Zurückrufen"})
    assert renamed.json()["name"] == "Zurückrufen"
    lead = make_lead(status_id="CALLBACK")
    assert admin_api.delete("/api/v1/lead-statuses/CALLBACK").status_code == 409
    admin_api.delete(f"/api/v1/leads/{lead['id']}")
    assert admin_api.delete("/api/v1/lead-statuses/CALLBACK").status_code == 204
    assert not LeadStatus.objects.filter(code="CALLBACK").exists()


def test_builtin_status_cannot_be_deleted_and_second_converted_refused(admin_api):
    assert admin_api.delete("/api/v1/lead-statuses/NEW").status_code == 409
    response = admin_api.post("/api/v1/lead-statuses", {"code": "WON2", "name": "x", "semantic": "success"})
    assert response.status_code == 422
    assert response.json()["field"] == "semantic"
    response = admin_api.patch("/api/v1/lead-statuses/JUNK", {"semantic": "process"})
    assert response.status_code == 422


def test_unknown_lead_status_is_404(admin_api):
    assert admin_api.get("/api/v1/lead-statuses/NOPE").status_code == 404
    assert admin_api.patch("/api/v1/lead-statuses/NOPE", {"name": "x"}).status_code == 404
    assert admin_api.delete("/api/v1/lead-statuses/NOPE").status_code == 404


def test_manager_cannot_write_lead_statuses(manager_api):
    assert manager_api.post("/api/v1/lead-statuses", {"code": "X", "name": "x"}).status_code == 403
    assert manager_api.patch("/api/v1/lead-statuses/NEW", {"name": "x"}).status_code == 403
    assert manager_api.delete("/api/v1/lead-statuses/JUNK").status_code == 403
    assert LeadStatus.objects.get(code="NEW").name != "x"
