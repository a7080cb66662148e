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
