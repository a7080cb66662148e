"""Issue 16's smaller findings: a bad record id in a web form, usernames, colours, password change,
deactivating users and revoking their tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from kontor.crm.models import Deal

pytestmark = pytest.mark.django_db


def test_deal_form_with_a_non_numeric_company_id_is_a_form_error(admin_user):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    response = client.post("/deals/new/", {"title": "Kaputt", "company_id": "abc", "contact_id": "1x"})
    assert response.status_code in (200, 422)
    assert "Bitte eine ganze Zahl eingeben." in response.content.decode()
    assert not Deal.objects.filter(title="Kaputt").exists()


@pytest.mark.parametrize("username", ["a b/c<d>", "name with space", "x" * 151, "<script>"])
def test_usernames_are_validated(admin_api, username):
    response = admin_api.post("/api/v1/users", {"username": username, "password": "Kontor-Passwort-2026"})
    assert response.status_code == 422 and response.json()["field"] == "username"


def test_usernames_are_unique_regardless_of_case(admin_api):
    response = admin_api.post("/api/v1/users", {"username": "ADMIN_TEST", "password": "Kontor-Passwort-2026"})
    assert response.status_code == 409 and response.json()["field"] == "username"
    assert admin_api.post("/api/v1/users", {"username": "petra.m-1@x", "password": "Kontor-Passwort-2026"}
                          ).status_code == 201


@pytest.mark.parametrize("color", ["red", "#fff", "#12345g", "#123456;background:url(x)", "expression(1)"])
def test_stage_and_status_colours_must_be_rrggbb(admin_api, color):
    pipeline = admin_api.get("/api/v1/pipelines").json()[0]["id"]
    stage = admin_api.post(f"/api/v1/pipelines/{pipeline}/stages", {"code": "X1", "name": "X", "color": color})
    assert stage.status_code == 422 and stage.json()["field"] == "color"
    status = admin_api.post("/api/v1/lead-statuses", {"code": "X1", "name": "X", "color": color})
    assert status.status_code == 422 and status.json()["field"] == "color"
    ok = admin_api.post(f"/api/v1/pipelines/{pipeline}/stages", {"code": "X2", "name": "X", "color": "#A1b2C3"})
    assert ok.status_code == 201 and ok.json()["color"] == "#A1b2C3"


def test_password_change_in_the_web_ui(manager_user):
    client = Client()
    client.force_login(manager_user)
    assert 'href="/account/password/"' in client.get("/deals/").content.decode()
    wrong = client.post("/account/password/", {"old_password": "nope", "new_password1": "Neues-Passwort-2026",
                                               "new_password2": "Neues-Passwort-2026"})
    assert wrong.status_code == 200 and "Das alte Passwort war falsch" in wrong.content.decode()
    done = client.post("/account/password/", {"old_password": "manager-pass-123",
                                              "new_password1": "Neues-Passwort-2026",
                                              "new_password2": "Neues-Passwort-2026"}, follow=True)
    assert "Ihr Passwort wurde geändert." in done.content.decode()
    manager_user.refresh_from_db()
    assert manager_user.check_password("Neues-Passwort-2026")
    assert client.get("/deals/").status_code == 200  # still logged in


def test_admin_deactivates_a_user_and_their_token_stops_working(admin_api, manager_api):
    uid = manager_api.user.pk
    assert manager_api.get("/api/v1/users/me").status_code == 200
    assert manager_api.patch(f"/api/v1/users/{admin_api.user.pk}", {"is_active": False}).status_code == 403
    assert admin_api.patch(f"/api/v1/users/{uid}", {"is_active": "no"}).status_code == 422
    assert admin_api.patch(f"/api/v1/users/{admin_api.user.pk}", {"is_active": False}).status_code == 409
    off = admin_api.patch(f"/api/v1/users/{uid}", {"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert manager_api.get("/api/v1/users/me").status_code == 401
    assert admin_api.patch(f"/api/v1/users/{uid}", {"is_active": True}).json()["is_active"] is True
    assert manager_api.get("/api/v1/users/me").status_code == 200


def test_admin_revokes_another_users_token(admin_api, manager_api):
    uid = manager_api.user.pk
    tokens = admin_api.get(f"/api/v1/users/{uid}/tokens").json()
    assert len(tokens) == 1
    assert manager_api.get(f"/api/v1/users/{admin_api.user.pk}/tokens").status_code == 403
    assert admin_api.delete(f"/api/v1/users/{uid}/tokens/{tokens[0]['id']}").status_code == 204
    assert manager_api.get("/api/v1/users/me").status_code == 401
    assert admin_api.get(f"/api/v1/users/{uid}/tokens").json()[0]["revoked_at"] is not None
    assert admin_api.delete(f"/api/v1/users/{uid}/tokens/999999").status_code == 404
