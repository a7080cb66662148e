"""Fixtures for the Bitrix24 facade: webhooks per role and a small wire client."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from kontor.bitrix.services import webhook_create, webhook_path


class Wire:
    """Calls facade methods through Django's test client and decodes the JSON answers."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.client = Client()

    def post(self, method: str, params: dict[str, Any] | None = None, **kwargs):
        return self.client.post(self.base + method, data=json.dumps(params or {}),
                                content_type="application/json", **kwargs)

    def get(self, method: str, query: str | dict = "", **kwargs):
        if isinstance(query, dict):
            query = urlencode(query, doseq=True)
        return self.client.get(self.base + method + (f"?{query}" if query else ""), **kwargs)

    def form(self, method: str, body: str, query: str = ""):
        return self.client.generic("POST", self.base + method + (f"?{query}" if query else ""), body,
                                   content_type="application/x-www-form-urlencoded")

    def ok(self, method: str, params: dict[str, Any] | None = None) -> Any:
        response = self.post(method, params)
        assert response.status_code == 200, response.content
        return response.json()["result"]

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(method, params)
        assert response.status_code == 200, response.content
        return response.json()


def bitrix_error(response, status: int = 400) -> tuple[str, str]:
    """The ``(error, error_description)`` of a refused call, after checking its HTTP status."""
    assert response.status_code == status, response.content
    body = response.json()
    return body["error"], body["error_description"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The role fixtures set passwords; a slow hasher only slows these tests down."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_hook(admin_user) -> str:
    webhook, raw = webhook_create(user=admin_user, name="tests")
    return webhook_path(webhook, raw)


@pytest.fixture
def manager_hook(manager_user) -> str:
    webhook, raw = webhook_create(user=manager_user, name="tests")
    return webhook_path(webhook, raw)


@pytest.fixture
def bx(admin_hook) -> Wire:
    return Wire(admin_hook)


@pytest.fixture
def bx_manager(manager_hook) -> Wire:
    return Wire(manager_hook)


@pytest.fixture
def role_client(manager_with_role):
    """Make a manager (``user``, or a new one called ``username``) whose access role grants ``row``
    (``{"read": "all", "edit": "none", …}``) on each of ``kinds``; return them and a webhook client acting
    as them."""
    def make(row: dict[str, str], *, username: str = "restricted", user=None,
             kinds=("lead", "deal", "contact", "company", "activity")) -> tuple[Any, Wire]:
        user = manager_with_role({kind: dict(row) for kind in kinds}, username=username, user=user)
        webhook, raw = webhook_create(user=user, name="tests")
        return user, Wire(webhook_path(webhook, raw))

    return make


@pytest.fixture
def deal(bx, classic_mode) -> int:
    """A deal "Relaunch" in the default pipeline, made through the facade."""
    return bx.ok("crm.deal.add", {"fields": {"TITLE": "Relaunch"}})


@pytest.fixture
def service_category(bx) -> int:
    """A second deal pipeline "Service" with the stages START (in progress) and DONE (won): its category id
    as the facade names it."""
    from kontor.crm.enums import Semantic
    from kontor.crm.models import Pipeline
    from kontor.crm.services import stage_create

    other = Pipeline.objects.create(name="Service", sort=900)
    stage_create(pipeline=other, data={"code": "START", "name": "Start", "semantic": Semantic.PROCESS})
    stage_create(pipeline=other, data={"code": "DONE", "name": "Done", "semantic": Semantic.SUCCESS})
    return next(c["id"] for c in bx.ok("crm.category.list", {"entityTypeId": 2})["categories"]
                if c["name"] == "Service")


@pytest.fixture
def classic_mode(db):
    from kontor.crm.models import CrmSettings

    settings = CrmSettings.load()
    settings.mode = "classic"
    settings.save()
    return settings


@pytest.fixture
def simple_mode(db):
    from kontor.crm.models import CrmSettings

    settings = CrmSettings.load()
    settings.mode = "simple"
    settings.save()
    return settings


@pytest.fixture
def seeded(transactional_db):
    """Transactional tests flush the database, seed rows from migrations included: put them back."""
    import importlib

    from django.apps import apps

    importlib.import_module("kontor.crm.migrations.0002_seed_defaults").seed(apps, None)
    from kontor.crm.seed import seed_directories

    seed_directories()  # HONORIFIC, DEAL_TYPE, … (migration 0002's registry predates them)
