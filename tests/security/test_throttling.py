"""Throttling: login lockout with backoff (django-axes), the public forms' rate limits and
single-use tokens, the optional per-user API limit. Every count lives in the database, so all
gunicorn workers share it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from kontor.crm.models import Contact
from kontor.web.models import WebForm

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_login_is_locked_after_failures_with_growing_cooloff(admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(2):
        assert login(attacker, "admin_test", "wrong").status_code == 200  # the form again, with its error
    assert login(attacker, "admin_test", "wrong").status_code == 429  # the third failure locks
    locked = login(attacker, "admin_test", "admin-pass-123")  # the right password no longer helps
    assert locked.status_code == 429 and locked["Retry-After"] == "300"
    assert "Zu viele fehlgeschlagene Anmeldungen" in locked.content.decode()
    assert "_auth_user_id" not in attacker.session
    # The user name is locked from other addresses too; another user from another address is not.
    assert login(Client(REMOTE_ADDR="198.51.100.2"), "admin_test", "admin-pass-123").status_code == 429

    # After the cool-off the next lockout lasts twice as long.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1))
    for _ in range(2):
        assert login(attacker, "admin_test", "wrong").status_code == 200
    assert login(attacker, "admin_test", "wrong").status_code == 429
    again = login(attacker, "admin_test", "admin-pass-123")
    assert again.status_code == 429 and again["Retry-After"] == "600"


def test_login_works_below_the_limit_and_resets_the_count(admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(2):
        login(client, "admin_test", "wrong")
    assert login(client, "admin_test", "admin-pass-123").status_code == 302
    client.post("/logout/")
    for _ in range(2):
        login(client, "admin_test", "wrong")
    assert login(client, "admin_test", "admin-pass-123").status_code == 302


@pytest.fixture
def webform(db):
    return WebForm.objects.create(name="Kontakt", slug="kontakt")


def fresh_token(client: Client) -> str:
    html = client.get("/forms/kontakt/").content.decode()
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def submit(client: Client, i: int, token: str | None = None):
    return client.post("/forms/kontakt/", {"name": f"Flut {i}", "email": f"flut{i}@example.org",
                                           "token": token or fresh_token(client)})


def test_a_flood_from_one_client_gets_429_after_the_limit(webform, settings, one_rate_window):
    settings.KONTOR_WEBFORM_RATE_PER_IP = "10/3600"
    flooder = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [submit(flooder, i).status_code for i in range(100)]
    assert statuses == [200] * 10 + [429] * 90
    assert Contact.objects.filter(name="Flut").count() == 10
    limited = submit(flooder, 100)
    assert int(limited["Retry-After"]) > 0 and "Bitte versuchen Sie es später" in limited.content.decode()
    # Another visitor is not affected by one client's flood.
    assert submit(Client(REMOTE_ADDR="198.51.100.3"), 200).status_code == 200


def test_the_form_has_a_limit_over_all_clients(webform, settings, one_rate_window):
    settings.KONTOR_WEBFORM_RATE_PER_FORM = "5/3600"
    statuses = [submit(Client(REMOTE_ADDR=f"192.0.2.{i}"), i).status_code for i in range(1, 9)]
    assert statuses == [200] * 5 + [429] * 3


def test_a_form_token_is_spent_by_its_submission(webform):
    client = Client()
    token = fresh_token(client)
    assert submit(client, 1, token).status_code == 200
    assert submit(client, 2, token).status_code == 403
    assert not Contact.objects.filter(name="Flut", last_name="2").exists()
    assert submit(client, 3).status_code == 200  # a freshly rendered form works


def test_api_rate_per_user_answers_429_json(admin_api, manager_api, settings, one_rate_window):
    settings.KONTOR_API_RATE = "5/60"
    assert [admin_api.get("/api/v1/deals").status_code for _ in range(5)] == [200] * 5
    over = admin_api.get("/api/v1/deals")
    assert over.status_code == 429 and over["Content-Type"].startswith("application/json")
    assert over.json()["code"] == "rate_limited" and int(over["Retry-After"]) > 0
    assert manager_api.get("/api/v1/deals").status_code == 200
