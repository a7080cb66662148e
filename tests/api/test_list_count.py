"""``?count=false`` on the native lists: no total counted, ``has_more`` tells whether a page follows."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def _deals(api, n):
    for i in range(n):
        assert api.post("/api/v1/deals", {"title": f"Deal {i}"}).status_code == 201


def test_count_false_answers_no_total_and_says_whether_more_follow(admin_api):
    _deals(admin_api, 5)
    first = admin_api.get("/api/v1/deals?limit=2&count=false").json()
    assert first["total"] is None and first["has_more"] is True and len(first["items"]) == 2
    last = admin_api.get("/api/v1/deals?limit=2&offset=4&count=false").json()
    assert last["total"] is None and last["has_more"] is False and len(last["items"]) == 1
    counted = admin_api.get("/api/v1/deals?limit=2").json()
    assert counted["total"] == 5 and counted["has_more"] is True


def test_count_false_runs_no_count_query(admin_api):
    _deals(admin_api, 3)
    with CaptureQueriesContext(connection) as queries:
        admin_api.get("/api/v1/deals?limit=2&count=false")
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    with CaptureQueriesContext(connection) as queries:
        admin_api.get("/api/v1/deals?limit=2")
    assert [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_a_last_page_knows_its_total_without_counting(admin_api):
    _deals(admin_api, 3)
    with CaptureQueriesContext(connection) as queries:
        body = admin_api.get("/api/v1/contacts?limit=50").json()
    assert body["total"] == 0 and body["has_more"] is False
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert admin_api.get("/api/v1/deals?limit=50").json()["total"] == 3
    past = admin_api.get("/api/v1/deals?limit=2&offset=10").json()
    assert past["items"] == [] and past["total"] == 3


def test_count_must_be_a_boolean(admin_api):
    r = admin_api.get("/api/v1/deals?count=maybe")
    assert r.status_code == 422, r.content
