"""Every error under /api/ is JSON; a database that refuses writes answers 503 saying so, and
reading (token and webhook authentication included) keeps working on it."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client

from kontor.bitrix.services import webhook_create
from kontor.crm import services
from kontor.crm.models import Deal

pytestmark = pytest.mark.django_db


def assert_json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code and body["detail"], body
    return body


def test_unknown_api_paths_are_json_404(admin_api):
    body = assert_json_error(admin_api.get("/api/v1/no-such-thing"), 404, "not_found")
    assert "/api/v1/no-such-thing" in body["detail"]
    assert_json_error(Client().get("/api/nothing/here/"), 404, "not_found")
    # Outside /api/ the web UI keeps its HTML page.
    assert Client().get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_wrong_method_is_json_405_with_allow(admin_api):
    response = admin_api.request("put", "/api/v1/deals", {})
    body = assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"] and "PUT" in body["detail"]


def test_bad_host_is_json_400():
    assert_json_error(Client(HTTP_HOST="evil.example").get("/api/v1/deals"), 400, "bad_request")


def test_crash_is_json_500_with_an_error_id_in_the_log(admin_api, monkeypatch, caplog):
    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("kontor.api.routers.deals.deal_list", boom)
    client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {admin_api.token}"})
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/deals")
    body = assert_json_error(response, 500, "internal_error")
    assert re.fullmatch(r"[0-9a-f]{12}", body["error_id"]) and body["error_id"] in body["detail"]
    assert f"error {body['error_id']}: GET /api/v1/deals" in caplog.text and "simulated bug" in caplog.text


@contextmanager
def database_refusing_writes():
    """The connection in the state of a read-only database: SQLite's query_only, PostgreSQL's
    read-only transactions (autocommit, so each statement is its own transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = 1")
        else:
            cursor.execute("SET default_transaction_read_only = on")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA query_only = 0")
            else:
                cursor.execute("SET default_transaction_read_only = off")


@pytest.mark.django_db(transaction=True)
def test_read_only_database_reads_work_and_writes_answer_503(admin_api, admin_user):
    deal = services.deal_create(actor=admin_user, data={"title": "Vorhanden"})
    _, secret = webhook_create(user=admin_user, name="shop")
    client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {admin_api.token}"})
    with database_refusing_writes():
        # Reading: the token's and the webhook's first use would record last_used_at; they still work.
        listed = client.get("/api/v1/deals")
        assert listed.status_code == 200, listed.content[:300]
        assert [d["title"] for d in listed.json()["items"]] == ["Vorhanden"]
        facade = Client().get(f"/rest/{admin_user.pk}/{secret}/crm.deal.get", {"id": deal.pk})
        assert facade.status_code == 200 and facade.json()["result"]["TITLE"] == "Vorhanden"
        # Writing: 503 that says what is wrong, nothing half-written.
        created = client.post("/api/v1/deals", {"title": "Neu"}, content_type="application/json")
        body = assert_json_error(created, 503, "storage_unavailable")
        assert "read-only" in body["detail"]
    assert list(Deal.objects.values_list("title", flat=True)) == ["Vorhanden"]


def test_full_disk_and_read_only_errors_of_both_databases_count_as_storage_unavailable():
    import sqlite3

    import psycopg
    from django.db import utils

    from kontor.core.errorviews import storage_unavailable

    def wrapped(exc):  # as Django raises them: its own class, the driver's error as the cause
        outer = utils.OperationalError(str(exc))
        outer.__cause__ = exc
        return outer

    assert storage_unavailable(wrapped(sqlite3.OperationalError("database or disk is full")))
    assert storage_unavailable(wrapped(sqlite3.OperationalError("attempt to write a readonly database")))
    assert storage_unavailable(wrapped(psycopg.errors.DiskFull("could not extend file: No space left on device")))
    assert storage_unavailable(wrapped(psycopg.errors.ReadOnlySqlTransaction(
        "cannot execute INSERT in a read-only transaction")))
    assert not storage_unavailable(wrapped(sqlite3.OperationalError("no such table: x")))
    assert not storage_unavailable(RuntimeError("read-only"))  # not a database error
