"""How the native API knows its caller: a bearer token or the web UI's session (with CSRF for writes),
the per-user rate limit for both, and the admin check reading whichever of the two authenticated."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kontor.accounts.services import token_create

ME = "/api/v1/users/me"
CONTACTS = "/api/v1/contacts"
ADMIN_ONLY = "/api/v1/crm-mode"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_names_its_user(manager_user):
    _, raw = token_create(user=manager_user)
    r = Client().get(ME, headers=bearer(raw))
    assert r.status_code == 200 and r.json()["username"] == "manager_test"


def test_a_wrong_or_missing_token_is_401(manager_user):
    _, raw = token_create(user=manager_user)
    for headers in ({}, bearer(raw + "x"), bearer(""), {"Authorization": raw}):
        r = Client().get(ME, headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["code"] == "not_authenticated"


def test_an_inactive_users_token_and_session_are_401(manager_user):
    _, raw = token_create(user=manager_user)
    web = Client()
    web.force_login(manager_user)
    assert Client().get(ME, headers=bearer(raw)).status_code == 200
    manager_user.is_active = False
    manager_user.save()
    assert Client().get(ME, headers=bearer(raw)).status_code == 401
    assert web.get(ME).status_code == 401


@pytest.mark.parametrize("change", ["revoke", "deactivate", "role", "delete_user"])
def test_a_change_made_elsewhere_reaches_a_token_already_in_use(manager_user, change):
    """Tokens are cached per process: a change by another worker (here a bare UPDATE, no signals,
    no service) must still count on the next request."""
    from django.db import connection

    from kontor.accounts.models import ApiToken, User

    token, raw = token_create(user=manager_user)
    assert Client().get(ME, headers=bearer(raw)).json()["role"] == "manager"  # now cached
    with connection.cursor() as cursor:
        if change == "revoke":
            ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-01-01T00:00:00Z")
        elif change == "deactivate":
            cursor.execute("UPDATE accounts_user SET is_active = %s WHERE id = %s", [False, manager_user.pk])
        elif change == "role":
            User.objects.filter(pk=manager_user.pk).update(role="admin")
        else:
            User.objects.filter(pk=manager_user.pk).delete()
    r = Client().get(ME, headers=bearer(raw))
    if change == "role":
        assert r.status_code == 200 and r.json()["role"] == "admin"
    else:
        assert r.status_code == 401


def test_a_tokens_use_is_recorded_once_a_minute(manager_user):
    from datetime import timedelta

    from django.utils import timezone

    from kontor.accounts.models import ApiToken

    token, raw = token_create(user=manager_user)
    assert token.last_used_at is None
    Client().get(ME, headers=bearer(raw))
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    Client().get(ME, headers=bearer(raw))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    later = timezone.now() + timedelta(seconds=61)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: later)
        Client().get(ME, headers=bearer(raw))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == later


def test_a_deactivated_users_session_is_401_even_where_a_backend_keeps_it(settings, manager_user):
    # Django's default backend ends such a session itself; one that lets inactive users log in (LDAP
    # set-ups, AllowAllUsersModelBackend) must not open the API to them.
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    web = Client()
    web.force_login(manager_user)
    manager_user.is_active = False
    manager_user.save()
    r = web.get(ME)
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


def test_the_admin_check_refuses_a_request_without_a_user_of_kontor(rf):
    from django.contrib.auth.models import AnonymousUser

    from kontor.api.auth import require_admin
    from kontor.core.errors import ErrorCode, KontorError

    request = rf.get(ADMIN_ONLY)
    request.user = AnonymousUser()  # what an operation without authentication would see
    with pytest.raises(KontorError) as err:
        require_admin(request)
    assert (err.value.code, err.value.message) == (ErrorCode.PERMISSION_DENIED, "only administrators may do this")


def test_a_session_reads_and_writes_with_the_csrf_token(manager_user):
    web = Client(enforce_csrf_checks=True)
    web.force_login(manager_user)
    r = web.get(ME)
    assert r.status_code == 200 and r.json()["username"] == "manager_test"
    body = json.dumps({"name": "Sitzung"})
    refused = web.post(CONTACTS, body, content_type="application/json")
    assert refused.status_code == 403  # a cross-site form cannot write with the user's cookie
    web.get("/contacts/new/")  # a page with a form sets the CSRF cookie, as the browser gets it
    token = web.cookies["csrftoken"].value
    r = web.post(CONTACTS, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert r.status_code == 201 and r.json()["name"] == "Sitzung"


def test_without_a_session_a_write_is_401_not_a_csrf_403(db):
    r = Client(enforce_csrf_checks=True).post(CONTACTS, json.dumps({"name": "X"}), content_type="application/json")
    assert r.status_code == 401


def test_the_admin_check_reads_the_session_user_too(admin_user, manager_user):
    admin, manager = Client(), Client()
    admin.force_login(admin_user)
    manager.force_login(manager_user)
    assert admin.get(ADMIN_ONLY).status_code == 200
    r = manager.get(ADMIN_ONLY)
    assert r.status_code == 403
    assert r.json() == {"detail": "only administrators may do this", "code": "permission_denied"}
    _, raw = token_create(user=admin_user)
    # A token decides even inside a manager's session.
    assert manager.get(ADMIN_ONLY, headers=bearer(raw)).status_code == 200


@pytest.mark.parametrize("how", ["token", "session"])
def test_api_rate_limit_counts_per_user(settings, manager_user, admin_user, how):
    settings.KONTOR_API_RATE = "3/60"
    clients = []
    for user in (manager_user, admin_user):
        client = Client()
        if how == "token":
            _, raw = token_create(user=user)
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        else:
            client.force_login(user)
        clients.append(client)
    manager, admin = clients
    assert [manager.get(ME).status_code for _ in range(3)] == [200, 200, 200]
    over = manager.get(ME)
    assert over.status_code == 429 and int(over["Retry-After"]) > 0
    assert admin.get(ME).status_code == 200  # another user has a budget of its own
