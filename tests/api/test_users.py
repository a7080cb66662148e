"""``/api/v1/users``: listing, the caller's profile, admin-only creation, token self-service."""

from __future__ import annotations

import pytest
from django.test import Client

from kontor.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db


def test_me(manager_api, manager_user):
    response = manager_api.get("/api/v1/users/me")
    assert response.status_code == 200
    assert response.json() == {"id": manager_user.pk, "username": "manager_test", "first_name": "Max",
                               "last_name": "Manager", "email": "", "role": "manager", "is_active": True,
                               "access_role_id": None, "department_id": None}


def test_list_and_get_users(manager_api, admin_user, manager_user):
    users = manager_api.get("/api/v1/users").json()
    assert {u["username"]: u["role"] for u in users} == {"admin_test": "admin", "manager_test": "manager"}
    assert manager_api.get(f"/api/v1/users/{admin_user.pk}").json()["username"] == "admin_test"
    assert manager_api.get("/api/v1/users/424242").status_code == 404


def test_admin_creates_user_who_can_log_in(admin_api):
    response = admin_api.post("/api/v1/users", {"username": "petra", "password": "Kontor-Passwort-2026",
                                                "role": "manager", "email": "Petra@Example.DE",
                                                "first_name": "Petra"})
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "petra@example.de"
    assert Client().login(username="petra", password="Kontor-Passwort-2026")
    assert admin_api.post("/api/v1/users", {"username": "petra"}).status_code == 409


@pytest.mark.parametrize(("body", "field"), [
    ({"username": ""}, "username"),
    ({"username": "x", "role": "god"}, "role"),
    ({"username": "x", "email": "not-an-email"}, "email"),
    ({"username": "x", "password": "123"}, "password"),
])
def test_create_user_invalid_is_422(admin_api, body, field):
    response = admin_api.post("/api/v1/users", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not User.objects.filter(username="x").exists()


def test_manager_cannot_create_users(manager_api):
    response = manager_api.post("/api/v1/users", {"username": "sneaky", "role": "admin"})
    assert response.status_code == 403
    assert not User.objects.filter(username="sneaky").exists()


def test_token_self_service(manager_api, manager_user):
    created = manager_api.post("/api/v1/users/me/tokens", {"name": "laptop"})
    assert created.status_code == 201
    token = created.json()
    assert token["token"].startswith("ktr_")
    assert token["name"] == "laptop"
    listed = manager_api.get("/api/v1/users/me/tokens").json()
    assert token["id"] in [t["id"] for t in listed]
    assert all("token" not in t for t in listed)  # shown once, never listed
    assert not ApiToken.objects.filter(key_hash__contains=token["token"]).exists()

    manager_api.token = token["token"]
    assert manager_api.get("/api/v1/users/me").json()["id"] == manager_user.pk
    assert manager_api.delete(f"/api/v1/users/me/tokens/{token['id']}").status_code == 204
    assert manager_api.get("/api/v1/users/me").status_code == 401


def test_cannot_revoke_someone_elses_token(manager_api, admin_api):
    admin_token = admin_api.post("/api/v1/users/me/tokens", {"name": "admin's"}).json()
    assert manager_api.delete(f"/api/v1/users/me/tokens/{admin_token['id']}").status_code == 404
    assert ApiToken.objects.get(pk=admin_token["id"]).revoked_at is None
    assert admin_token["id"] not in [t["id"] for t in manager_api.get("/api/v1/users/me/tokens").json()]


def test_session_login_works_for_reads_and_needs_csrf_for_writes(manager_user):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="manager_test", password="manager-pass-123")
    assert client.get("/api/v1/users/me").json()["username"] == "manager_test"
    response = client.post("/api/v1/companies", {"title": "x"}, content_type="application/json")
    assert response.status_code == 403


def test_no_session_and_no_token_is_401_even_with_csrf_checks():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/companies", {"title": "x"}, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/users"), ("post", "/api/v1/users"), ("get", "/api/v1/users/me"), ("get", "/api/v1/users/1"),
    ("get", "/api/v1/users/me/tokens"), ("post", "/api/v1/users/me/tokens"),
    ("delete", "/api/v1/users/me/tokens/1"),
])
def test_users_need_credentials(anon_api, method, path):
    assert getattr(anon_api, method)(path).status_code == 401
