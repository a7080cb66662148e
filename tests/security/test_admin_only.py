"""Settings only administrators may read or change, refused to managers and to anonymous callers.

Each case also checks that nothing changed, so a missing role check cannot hide behind a later error.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kontor.bitrix.services import webhook_create, webhook_path
from kontor.crm.models import CrmSettings, Pipeline
from kontor.modes.models import ModeSwitch, SwitchStatus
from kontor.web.models import WebForm


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- native API ------------------------------------------------------------------------------------


def test_simple_mode_settings_patch_is_for_admins(admin_api, manager_api, anon_api):
    before = CrmSettings.load().create_company
    for api, status in ((manager_api, 403), (anon_api, 401)):
        r = api.patch("/api/v1/crm-mode/simple-mode", {"create_company": not before})
        assert r.status_code == status, r.content
        assert CrmSettings.load().create_company == before
    r = admin_api.patch("/api/v1/crm-mode/simple-mode", {"create_company": not before})
    assert r.status_code == 200 and CrmSettings.load().create_company is (not before)


def test_switch_progress_is_for_admins(admin_user, admin_api, manager_api, anon_api):
    switch = ModeSwitch.objects.create(status=SwitchStatus.DONE, from_mode="classic", to_mode="simple",
                                       actor=admin_user, total=7, converted=7)
    path = f"/api/v1/crm-mode/switches/{switch.pk}"
    assert manager_api.get(path).status_code == 403
    assert anon_api.get(path).status_code == 401
    r = admin_api.get(path)
    assert r.status_code == 200 and r.json()["converted"] == 7


# --- Bitrix24 facade -------------------------------------------------------------------------------


def _call(hook: str, method: str, params: dict):
    return Client().post(hook + method, data=json.dumps(params), content_type="application/json")


@pytest.fixture
def hooks(admin_user, manager_user):
    admin, raw_admin = webhook_create(user=admin_user, name="admin")
    manager, raw_manager = webhook_create(user=manager_user, name="manager")
    return webhook_path(admin, raw_admin), webhook_path(manager, raw_manager)


def _denied(response) -> bool:
    return response.status_code != 200 and response.json().get("error_description") == "Access denied."


def test_category_update_and_delete_are_for_admins(hooks):
    admin, manager = hooks
    pk = _call(admin, "crm.dealcategory.add", {"fields": {"NAME": "Retail"}}).json()["result"]
    assert _denied(_call(manager, "crm.category.update",
                         {"entityTypeId": 2, "id": pk, "fields": {"name": "Hijacked"}}))
    assert _denied(_call(manager, "crm.category.delete", {"entityTypeId": 2, "id": pk}))
    assert Pipeline.objects.filter(name="Retail").exists() and not Pipeline.objects.filter(name="Hijacked").exists()
    r = _call(admin, "crm.category.update", {"entityTypeId": 2, "id": pk, "fields": {"name": "Retail 2"}})
    assert r.status_code == 200 and r.json()["result"]["category"]["name"] == "Retail 2"
    assert _call(admin, "crm.category.delete", {"entityTypeId": 2, "id": pk}).json()["result"] is True


def test_dealcategory_add_is_for_admins(hooks):
    _, manager = hooks
    count = Pipeline.objects.count()
    assert _denied(_call(manager, "crm.dealcategory.add", {"fields": {"NAME": "Sneaky"}}))
    assert _denied(_call(manager, "crm.category.add", {"entityTypeId": 2, "fields": {"name": "Sneaky"}}))
    assert Pipeline.objects.count() == count


# --- web pages -------------------------------------------------------------------------------------


@pytest.fixture
def web_clients(admin_user, manager_user):
    admin, manager = Client(), Client()
    admin.force_login(admin_user)
    manager.force_login(manager_user)
    return admin, manager, Client()


@pytest.fixture
def webform(db):
    return WebForm.objects.create(name="Kontakt", slug="kontakt")


@pytest.mark.parametrize("path", ["/settings/crm-mode/", "/settings/simple-mode/", "/settings/forms/",
                                  "/settings/forms/{form}/", "/settings/crm-mode/switches/{switch}/"])
def test_settings_pages_are_for_admins(web_clients, webform, admin_user, path):
    switch = ModeSwitch.objects.create(status=SwitchStatus.DONE, from_mode="classic", to_mode="simple",
                                       actor=admin_user)
    url = path.format(form=webform.pk, switch=switch.pk)
    admin, manager, anonymous = web_clients
    assert manager.get(url).status_code == 403
    r = anonymous.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert admin.get(url).status_code == 200


def test_settings_forms_refuse_managers_posts(web_clients, webform):
    _, manager, anonymous = web_clients
    before = CrmSettings.load().mode
    for client in (manager, anonymous):
        assert client.post("/settings/crm-mode/switch/", {"mode": "classic" if before == "simple" else "simple"}
                           ).status_code in (302, 403)
        client.post(f"/settings/forms/{webform.pk}/", {"name": "Hijacked", "slug": "kontakt"})
    assert CrmSettings.load().mode == before
    webform.refresh_from_db()
    assert webform.name == "Kontakt"
