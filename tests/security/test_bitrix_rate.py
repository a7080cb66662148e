"""The facade's optional per-webhook rate limit (``KONTOR_BITRIX_RATE``): over it, Bitrix24's own
answer, ``503 {"error": "QUERY_LIMIT_EXCEEDED", …}``, which Bitrix24 clients back off on. The count
lives in the database (``RateCounter``), so every gunicorn worker sees the same one."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kontor.bitrix.services import webhook_create, webhook_path
from kontor.core.models import RateCounter

pytestmark = pytest.mark.django_db


def _hook(user) -> str:
    webhook, raw = webhook_create(user=user, name="rate")
    return webhook_path(webhook, raw)


def _call(base: str, method: str, params: dict | None = None):
    return Client().post(base + method, data=json.dumps(params or {}), content_type="application/json")


def test_over_the_limit_the_facade_answers_query_limit_exceeded(manager_user, admin_user, settings, one_rate_window):
    settings.KONTOR_BITRIX_RATE = "3/60"
    mine, other = _hook(manager_user), _hook(admin_user)
    assert [_call(mine, "crm.deal.list").status_code for _ in range(3)] == [200, 200, 200]
    over = _call(mine, "crm.deal.list")
    assert over.status_code == 503
    assert over.json() == {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}
    # Per credential: another webhook has its own count.
    assert _call(other, "crm.deal.list").status_code == 200
    # Counted in the database (shared by all workers), keyed by the secret's hash, never the secret.
    keys = list(RateCounter.objects.values_list("key", flat=True))
    assert len(keys) == 2 and all(k.startswith("bitrix:hook:") for k in keys)
    assert not any(mine.rstrip("/").rsplit("/", 1)[-1] in k for k in keys)


def test_a_batch_counts_once_and_no_limit_by_default(manager_user, settings, one_rate_window):
    base = _hook(manager_user)
    settings.KONTOR_BITRIX_RATE = ""
    assert all(_call(base, "crm.deal.list").status_code == 200 for _ in range(10))
    settings.KONTOR_BITRIX_RATE = "2/60"
    batch = {"cmd": {f"c{i}": "crm.deal.list" for i in range(10)}}
    assert _call(base, "batch", batch).status_code == 200
    assert _call(base, "batch", batch).status_code == 200
    assert _call(base, "batch", batch).status_code == 503


def test_bad_credentials_are_not_counted_as_the_webhook(manager_user, settings, one_rate_window):
    settings.KONTOR_BITRIX_RATE = "1/60"
    base = _hook(manager_user)
    wrong = base.rstrip("/").rsplit("/", 1)[0] + "/wrongsecret/"
    assert _call(wrong, "crm.deal.list").status_code == 401
    assert _call(base, "crm.deal.list").status_code == 200
