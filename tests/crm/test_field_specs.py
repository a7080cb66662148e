"""One declaration per field: a standard field declared in ``kontor.crm.fields`` (deal
``additional_info``, Bitrix24 ``ADDITIONAL_INFO``, the field added to show it) reaches the native API,
its filters, the facade and its ``crm.deal.fields``, and the web form, with nothing written beside it."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kontor.bitrix.services import webhook_create, webhook_path
from kontor.crm.enums import EntityType
from kontor.crm.fields import CONVERSION, STANDARD, Kind

pytestmark = pytest.mark.django_db


def test_every_record_kind_declares_each_name_once_with_a_label_in_both_languages():
    for entity, specs in STANDARD.items():
        names = [s.name for s in specs]
        assert len(names) == len(set(names)), entity
        bitrix = [s.bitrix for s in specs if s.bitrix]
        assert len(bitrix) == len(set(bitrix)), entity
        for spec in specs:
            assert spec.label_en and spec.label_de, spec.name
            assert spec.kind != Kind.MULTI or spec.comm_type in ("PHONE", "EMAIL", "WEB", "IM")
    # Conversion targets name real fields of their kinds.
    kinds = {"deal": EntityType.DEAL, "contact": EntityType.CONTACT, "company": EntityType.COMPANY}
    for target, pairs in CONVERSION.items():
        target_names = {s.name for s in STANDARD[kinds[target]]}
        assert set(pairs.values()) <= target_names, target


def test_a_declared_field_reaches_the_api_the_facade_and_the_form(admin_api, admin_user):
    created = admin_api.post("/api/v1/deals", {"title": "Messe", "additional_info": "Stand B12"})
    assert created.status_code == 201, created.content
    deal_id = created.json()["id"]
    assert admin_api.get(f"/api/v1/deals/{deal_id}").json()["additional_info"] == "Stand B12"
    listed = admin_api.get("/api/v1/deals?additional_info__contains=B12").json()
    assert [d["id"] for d in listed["items"]] == [deal_id]

    webhook, secret = webhook_create(user=admin_user, name="spec")
    base = webhook_path(webhook, secret)
    client = Client()

    def call(method: str, params: dict) -> dict:
        response = client.post(base + method, data=json.dumps(params), content_type="application/json")
        assert response.status_code == 200, response.content
        return response.json()["result"]

    assert call("crm.deal.fields", {})["ADDITIONAL_INFO"]["type"] == "string"
    assert call("crm.deal.get", {"id": deal_id})["ADDITIONAL_INFO"] == "Stand B12"
    other = call("crm.deal.add", {"fields": {"TITLE": "Zweite", "ADDITIONAL_INFO": "Halle 3"}})
    rows = call("crm.deal.list", {"filter": {"%ADDITIONAL_INFO": "halle"}, "select": ["ID", "ADDITIONAL_INFO"]})
    assert rows == [{"ID": str(other), "ADDITIONAL_INFO": "Halle 3"}]

    web = Client()
    web.force_login(admin_user)
    page = web.get(f"/deals/{deal_id}/edit/").content.decode()
    assert 'name="additional_info"' in page and "Stand B12" in page
