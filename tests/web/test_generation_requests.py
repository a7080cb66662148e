"""One web request reads the configuration generation once (token authentication keeps it for the
inquiry service), and the next request — served by the same thread — reads it afresh."""

from __future__ import annotations

from django.test import Client

from kontor.accounts.services import token_create
from kontor.crm import services
from kontor.crm.models import CrmSettings, Deal, Pipeline
from kontor.web.models import WebForm
from kontor.web.views.webforms import form_token


def test_a_change_between_requests_reaches_the_next_inquiry_whatever_its_path(manager_user, seeded):
    _, raw = token_create(user=manager_user)
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    first = api.post("/api/v1/inquiries", {"title": "Erste", "emails": ["a@example.org"]},
                     content_type="application/json").json()
    default = Pipeline.objects.get(is_default=True)
    assert Deal.objects.get(pk=first["deal_id"]).pipeline == default

    other = services.pipeline_create(name="Messe")
    CrmSettings.objects.filter(pk=1).update(simple_pipeline=other)  # as another worker would: no service
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt")
    response = Client().post("/forms/kontakt/", {"name": "Lisa Lang", "email": "lisa@example.org", "phone": "",
                                                "company": "", "message": "", "token": form_token(webform)})
    assert response.status_code == 200
    assert Deal.objects.get(contact__last_name="Lang").pipeline == other

    second = api.post("/api/v1/inquiries", {"title": "Zweite"}, content_type="application/json").json()
    assert Deal.objects.get(pk=second["deal_id"]).pipeline == other
