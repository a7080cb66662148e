"""The published OpenAPI schema names every SPEC §5 collection, and the docs page is served."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SPEC_PATHS = [
    "/api/v1/leads", "/api/v1/leads/{lead_id}", "/api/v1/deals", "/api/v1/deals/{deal_id}", "/api/v1/contacts",
    "/api/v1/contacts/{contact_id}", "/api/v1/companies", "/api/v1/companies/{company_id}", "/api/v1/activities",
    "/api/v1/activities/{activity_id}", "/api/v1/pipelines", "/api/v1/pipelines/{pipeline_id}",
    "/api/v1/pipelines/{pipeline_id}/stages", "/api/v1/pipelines/{pipeline_id}/stages/{stage_id}",
    "/api/v1/lead-statuses", "/api/v1/lead-statuses/{code}", "/api/v1/users", "/api/v1/users/me",
    "/api/v1/users/me/tokens", "/api/v1/users/me/tokens/{token_id}",
]


def test_openapi_lists_the_collections_with_their_statuses():
    schema = Client().get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in SPEC_PATHS:
        assert path in paths, path
    for path in SPEC_PATHS:
        for method, operation in paths[path].items():
            assert "401" in operation["responses"], (method, path)
    assert set(paths["/api/v1/leads/{lead_id}"]["patch"]["responses"]) >= {"200", "401", "404", "409", "422"}
    assert set(paths["/api/v1/leads"]["post"]["responses"]) >= {"201", "422"}
    assert "204" in paths["/api/v1/deals/{deal_id}"]["delete"]["responses"]
    lead = schema["components"]["schemas"]["LeadOut"]["properties"]
    assert {"status_id", "deal_id", "contact_id", "company_id", "phones", "emails", "assigned_id"} <= set(lead)


def test_docs_page_is_served_to_logged_in_users_from_the_static_build(admin_user, settings):
    anonymous = Client().get("/api/docs")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/?next=/api/docs")
    client = Client()
    client.force_login(admin_user)
    page = client.get("/api/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/static/vendor/swagger-ui-bundle.js" in assets
    assert assets and all(url.startswith("/static/") for url in assets), assets  # nothing from a CDN
    settings.KONTOR_PUBLIC_API_DOCS = True
    assert Client().get("/api/docs").status_code == 200
