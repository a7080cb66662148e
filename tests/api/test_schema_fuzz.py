"""schemathesis against the published OpenAPI schema: no 5xx, and every answer as documented.

Runs in-process through the WSGI app with an admin token, a few derandomised examples per operation
so it stays deterministic and takes well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kontor.accounts.models import Role
from kontor.accounts.services import token_create, user_create
from kontor.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def keep_test_connection():
    """Calling the WSGI app directly fires request_started/finished, which would close the database
    connection that holds the test's transaction; Django's own test client suppresses this the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(db, keep_test_connection):
    user = user_create(username="fuzz_admin", role=Role.ADMIN)
    _, raw = token_create(user=user)
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@settings(max_examples=5, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, admin_headers):
    case.call_and_validate(headers=admin_headers, checks=CHECKS)
