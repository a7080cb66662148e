"""Fixtures for the native API tests: CRM mode, and records made through the API itself."""

from __future__ import annotations

import pytest

from kontor.crm.enums import CrmMode
from kontor.crm.models import CrmSettings, Pipeline


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The user fixtures set passwords; the production hasher's deliberate slowness is no test subject."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def classic_mode(db):
    """Classic CRM: a new lead stays a lead (in simple mode it is converted at once)."""
    settings = CrmSettings.load()
    settings.mode = CrmMode.CLASSIC
    settings.save()
    return settings


@pytest.fixture
def default_pipeline(db) -> Pipeline:
    return Pipeline.objects.get(is_default=True)


@pytest.fixture
def make_contact(admin_api):
    def make(**data):
        data.setdefault("name", "Erika")
        data.setdefault("last_name", "Mustermann")
        response = admin_api.post("/api/v1/contacts", data)
        assert response.status_code == 201, response.content
        return response.json()

    return make


@pytest.fixture
def make_company(admin_api):
    def make(**data):
        data.setdefault("title", "Muster GmbH")
        response = admin_api.post("/api/v1/companies", data)
        assert response.status_code == 201, response.content
        return response.json()

    return make


@pytest.fixture
def make_deal(admin_api):
    def make(**data):
        data.setdefault("title", "Website relaunch")
        response = admin_api.post("/api/v1/deals", data)
        assert response.status_code == 201, response.content
        return response.json()

    return make


@pytest.fixture
def make_lead(admin_api, classic_mode):
    def make(**data):
        data.setdefault("title", "Anfrage Website")
        response = admin_api.post("/api/v1/leads", data)
        assert response.status_code == 201, response.content
        return response.json()

    return make
