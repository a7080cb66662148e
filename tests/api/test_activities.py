"""``/api/v1/activities`` through HTTP."""

from __future__ import annotations

import pytest

from kontor.crm.models import Activity

pytestmark = pytest.mark.django_db


def test_create_activity_bound_to_deal_and_contact(admin_api, make_deal, make_contact, admin_user):
    deal, contact = make_deal(), make_contact()
    response = admin_api.post("/api/v1/activities", {
        "type": "call", "subject": "Rückruf", "description": "Angebot besprechen",
        "deadline": "2030-05-04T10:30:00+02:00",
        "bindings": [{"entity": "deal", "id": deal["id"]}, {"entity": "contact", "id": contact["id"]}],
    })
    assert response.status_code == 201, response.content
    activity = response.json()
    assert activity["type"] == "call"
    assert activity["completed"] is False
    assert activity["responsible_id"] == admin_user.pk
    assert activity["bindings"] == [{"entity": "deal", "id": deal["id"]}, {"entity": "contact", "id": contact["id"]}]
    assert activity["deadline"].startswith("2030-05-04T08:30:00")


def test_naive_deadline_is_read_in_server_time(admin_api, make_deal):
    deal = make_deal()
    activity = admin_api.post("/api/v1/activities", {
        "subject": "Termin", "deadline": "2030-01-15T09:00:00", "bindings": [{"entity": "deal", "id": deal["id"]}],
    }).json()
    assert activity["deadline"].startswith("2030-01-15T08:00:00")  # Europe/Berlin in winter is UTC+1


@pytest.mark.parametrize(("body", "field"), [
    ({"subject": "x"}, "bindings"),
    ({"subject": "x", "bindings": []}, "bindings"),
    ({"subject": "x", "bindings": [{"entity": "deal", "id": 999999}]}, "bindings"),
    ({"subject": "x", "bindings": [{"entity": "planet", "id": 1}]}, "bindings.0.entity"),
    ({"bindings": [{"entity": "deal", "id": "DEAL"}]}, "subject"),
    ({"subject": "x", "type": "fax", "bindings": [{"entity": "deal", "id": "DEAL"}]}, "type"),
    ({"subject": "x", "deadline": "tomorrow", "bindings": [{"entity": "deal", "id": "DEAL"}]}, "deadline"),
    ({"subject": "x", "responsible_id": 999999, "bindings": [{"entity": "deal", "id": "DEAL"}]}, "responsible_id"),
    ({"subject": "", "bindings": [{"entity": "deal", "id": "DEAL"}]}, "subject"),
])
def test_create_activity_invalid_is_422(admin_api, make_deal, body, field):
    deal = make_deal()
    for binding in body.get("bindings", []):
        if binding.get("id") == "DEAL":
            binding["id"] = deal["id"]
    response = admin_api.post("/api/v1/activities", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Activity.objects.exists()


def test_complete_reopen_and_rebind(admin_api, make_deal, make_contact):
    deal, contact = make_deal(), make_contact()
    activity = admin_api.post("/api/v1/activities", {
        "subject": "Angebot senden", "type": "task", "bindings": [{"entity": "deal", "id": deal["id"]}],
    }).json()
    done = admin_api.patch(f"/api/v1/activities/{activity['id']}", {"completed": True}).json()
    assert done["completed"] is True
    assert done["completed_at"] is not None
    reopened = admin_api.patch(f"/api/v1/activities/{activity['id']}", {"completed": False}).json()
    assert reopened["completed"] is False
    assert reopened["completed_at"] is None
    rebound = admin_api.patch(f"/api/v1/activities/{activity['id']}",
                              {"bindings": [{"entity": "contact", "id": contact["id"]}]}).json()
    assert rebound["bindings"] == [{"entity": "contact", "id": contact["id"]}]


def test_list_a_records_activities(admin_api, make_deal):
    deal, other = make_deal(), make_deal()
    for subject, target in (("A", deal), ("B", deal), ("C", other)):
        admin_api.post("/api/v1/activities", {"subject": subject, "bindings": [{"entity": "deal", "id": target["id"]}]})
    page = admin_api.get("/api/v1/activities", entity="deal", entity_id=deal["id"], order="subject").json()
    assert [a["subject"] for a in page["items"]] == ["A", "B"]
    assert page["total"] == 2


def test_activity_filters(admin_api, make_deal):
    deal = make_deal()
    binding = [{"entity": "deal", "id": deal["id"]}]
    admin_api.post("/api/v1/activities", {"subject": "Anruf Müller", "type": "call", "bindings": binding})
    admin_api.post("/api/v1/activities", {"subject": "Meeting", "type": "meeting", "completed": True,
                                          "bindings": binding})
    assert [a["subject"] for a in admin_api.get("/api/v1/activities", type="call").json()["items"]] == ["Anruf Müller"]
    assert [a["subject"] for a in admin_api.get("/api/v1/activities", completed="true").json()["items"]] == ["Meeting"]
    assert [a["subject"] for a in admin_api.get("/api/v1/activities", q="müller").json()["items"]] == ["Anruf Müller"]


def test_activity_list_entity_without_id_is_422(admin_api):
    response = admin_api.get("/api/v1/activities", entity="deal")
    assert response.status_code == 422
    assert response.json()["field"] == "entity_id"
    assert admin_api.get("/api/v1/activities", entity="planet", entity_id=1).status_code == 422


def test_get_and_delete_activity(admin_api, make_deal):
    deal = make_deal()
    activity = admin_api.post("/api/v1/activities", {"subject": "x", "bindings": [{"entity": "deal",
                                                                                     "id": deal["id"]}]}).json()
    assert admin_api.get(f"/api/v1/activities/{activity['id']}").json() == activity
    assert admin_api.delete(f"/api/v1/activities/{activity['id']}").status_code == 204
    assert admin_api.get(f"/api/v1/activities/{activity['id']}").status_code == 404
    assert admin_api.patch(f"/api/v1/activities/{activity['id']}", {"subject": "y"}).status_code == 404
    assert admin_api.delete(f"/api/v1/activities/{activity['id']}").status_code == 404


def test_deleting_a_deal_removes_its_only_activities(admin_api, make_deal):
    deal = make_deal()
    activity = admin_api.post("/api/v1/activities", {"subject": "x", "bindings": [{"entity": "deal",
                                                                                     "id": deal["id"]}]}).json()
    admin_api.delete(f"/api/v1/deals/{deal['id']}")
    assert admin_api.get(f"/api/v1/activities/{activity['id']}").status_code == 404


@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("post", ""), ("get", "/1"), ("patch", "/1"),
                                                ("delete", "/1")])
def test_activities_need_credentials(anon_api, method, suffix):
    assert getattr(anon_api, method)(f"/api/v1/activities{suffix}").status_code == 401


def test_start_end_and_communications(admin_api, make_deal, make_contact):
    deal, contact = make_deal(), make_contact()
    r = admin_api.post("/api/v1/activities", {
        "type": "call", "subject": "Rückruf", "start_time": "2030-05-01T10:00:00+02:00",
        "end_time": "2030-05-01T10:05:00+02:00", "bindings": [{"entity": "deal", "id": deal["id"]}],
        "communications": [{"type": "PHONE", "value": "+49 30 1234567", "entity_type": "contact",
                            "entity_id": contact["id"]}]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["start_time"].startswith("2030-05-01T08:00:00") and body["end_time"].startswith("2030-05-01T08:05:00")
    assert body["deadline"] == body["start_time"]  # a call's deadline is its start
    assert body["communications"] == [{"type": "PHONE", "value": "+49 30 1234567", "entity_type": "contact",
                                       "entity_id": contact["id"]}]
    bad = admin_api.post("/api/v1/activities", {
        "subject": "x", "bindings": [{"entity": "deal", "id": deal["id"]}],
        "communications": [{"value": "1", "entity_type": "contact", "entity_id": 999999}]})
    assert bad.status_code == 422 and "999999" in bad.json()["detail"]
