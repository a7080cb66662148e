"""Settings → Roles and departments (admin only), and the roles/departments API: what an admin sets
there is what ``kontor.crm.access`` applies."""

from __future__ import annotations

import pytest
from django.test import Client

from kontor.accounts.models import AccessRole, Department, Role
from kontor.accounts.services import user_create
from kontor.crm.services import deal_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_builds_a_role_and_a_department_in_the_settings(admin_user, manager_user):
    web = _client(admin_user)
    page = web.get("/settings/roles/")
    assert page.status_code == 200 and "Rollen und Abteilungen" in page.content.decode()
    form = {"name": "Vertrieb eigen", "users": [str(manager_user.pk)]}
    for kind in ("lead", "deal", "contact", "company", "activity"):
        for action in ("read", "add", "edit", "delete", "export"):
            form[f"{kind}.{action}"] = "own"
    form["deal.delete"] = "none"
    assert web.post("/settings/roles/new/", form).status_code == 302
    role = AccessRole.objects.get(name="Vertrieb eigen")
    assert role.permissions["deal"] == {"read": "own", "add": "own", "edit": "own", "delete": "none", "export": "own"}
    manager_user.refresh_from_db()
    assert manager_user.access_role_id == role.pk
    edit = web.get(f"/settings/roles/{role.pk}/").content.decode()
    assert 'name="deal.delete"' in edit and "Eigene und Abteilung" in edit
    # A department, its members chosen on its page.
    assert web.post("/settings/roles/", {"name": "Nord"}).status_code == 302
    north = Department.objects.get(name="Nord")
    assert web.post(f"/settings/departments/{north.pk}/", {"name": "Nord", "members": [str(manager_user.pk)]}
                    ).status_code == 302
    manager_user.refresh_from_db()
    assert manager_user.department_id == north.pk
    # What the settings say is what the manager sees.
    deal_create(actor=admin_user, data={"title": "Admin's deal"})
    deal_create(actor=manager_user, data={"title": "Max's deal"})
    listed = _client(manager_user).get("/deals/?view=list").content.decode()
    assert "Max&#x27;s deal" in listed and "Admin&#x27;s deal" not in listed
    # A role in use cannot be deleted (its users would silently see everything).
    web.post(f"/settings/roles/{role.pk}/delete/")
    assert AccessRole.objects.filter(pk=role.pk).exists()


def test_unknown_level_in_the_form_is_an_error_not_a_500(admin_user):
    response = _client(admin_user).post("/settings/roles/new/", {"name": "X", "deal.read": "everything"},
                                        follow=True)
    assert response.status_code == 200
    assert not AccessRole.objects.exists()
    assert "everything" in response.content.decode()


def test_managers_may_not_open_the_role_settings(manager_user):
    assert _client(manager_user).get("/settings/roles/").status_code == 403
    assert _client(manager_user).post("/settings/roles/new/", {"name": "Mine"}).status_code == 403
    assert not AccessRole.objects.exists()


def test_roles_and_departments_api(admin_api, manager_api, manager_user):
    created = admin_api.post("/api/v1/roles", {"name": "Own deals", "permissions": {"deal": {"read": "own"}}})
    assert created.status_code == 201
    body = created.json()
    assert body["permissions"]["deal"] == {"read": "own", "add": "none", "edit": "none", "delete": "none",
                                           "export": "none"}
    assert body["permissions"]["lead"]["read"] == "none"
    assert manager_api.post("/api/v1/roles", {"name": "Mine"}).status_code == 403
    bad = admin_api.post("/api/v1/roles", {"name": "Bad", "permissions": {"deals": {"read": "own"}}})
    assert bad.status_code == 422 and "deals" in bad.json()["detail"]
    bad = admin_api.post("/api/v1/roles", {"name": "Bad", "permissions": {"deal": {"read": "mine"}}})
    assert bad.status_code == 422 and "mine" in bad.json()["detail"]
    assert admin_api.post("/api/v1/roles", {"name": "own DEALS"}).status_code == 409
    department = admin_api.post("/api/v1/departments", {"name": "Süd"}).json()
    user = admin_api.patch(f"/api/v1/users/{manager_user.pk}",
                           {"access_role_id": body["id"], "department_id": department["id"]}).json()
    assert user["access_role_id"] == body["id"] and user["department_id"] == department["id"]
    assert admin_api.get(f"/api/v1/departments/{department['id']}").json()["members"] == [manager_user.pk]
    assert admin_api.patch(f"/api/v1/users/{manager_user.pk}", {"access_role_id": 999}).status_code == 422
    assert admin_api.delete(f"/api/v1/roles/{body['id']}").status_code == 409
    assert admin_api.patch(f"/api/v1/users/{manager_user.pk}", {"access_role_id": None}).json()["access_role_id"] \
        is None
    assert admin_api.delete(f"/api/v1/roles/{body['id']}").status_code == 204
    assert manager_api.get("/api/v1/roles").status_code == 200


def test_builtin_roles_keep_their_behaviour(admin_api, manager_api, admin_user):
    """No custom role: the manager sees and changes every record, as before roles existed."""
    other = user_create(username="other", role=Role.MANAGER)
    deal = deal_create(actor=other, data={"title": "Other's deal"})
    assert manager_api.get(f"/api/v1/deals/{deal.pk}").status_code == 200
    assert manager_api.patch(f"/api/v1/deals/{deal.pk}", {"title": "Changed"}).status_code == 200
    assert len(manager_api.get("/api/v1/deals").json()["items"]) == 1
    assert admin_api.delete(f"/api/v1/deals/{deal.pk}").status_code == 204


def test_user_settings_page_gives_a_role_and_a_department(admin_user, manager_user):
    from kontor.accounts.roles import department_create, role_create

    role = role_create(actor=None, name="Eigene", permissions={"deal": {"read": "own"}})
    north = department_create(actor=None, name="Nord")
    web = _client(admin_user)
    page = web.get(f"/settings/users/{manager_user.pk}/").content.decode()
    assert "Zugriff auf Datensätze" in page and "Alle Datensätze (eingebaut)" in page
    response = web.post(f"/settings/users/{manager_user.pk}/", {"role": "manager", "access_role": role.pk,
                                                                "department": north.pk})
    assert response.status_code == 302
    manager_user.refresh_from_db()
    assert (manager_user.access_role_id, manager_user.department_id) == (role.pk, north.pk)
    web.post(f"/settings/users/{manager_user.pk}/", {"role": "manager", "access_role": "", "department": ""})
    manager_user.refresh_from_db()
    assert (manager_user.access_role_id, manager_user.department_id) == (None, None)
