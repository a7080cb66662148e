"""Webhook services and the CLI: hashed secrets, authentication, revocation."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from kontor.accounts.models import User
from kontor.bitrix.models import Webhook
from kontor.bitrix.services import hash_secret, webhook_authenticate, webhook_create, webhook_revoke

pytestmark = pytest.mark.django_db


def test_secret_is_stored_hashed_and_authenticates(manager_user):
    webhook, raw = webhook_create(user=manager_user, name="shop")
    stored = Webhook.objects.get(pk=webhook.pk)
    assert raw not in (stored.secret_hash, stored.prefix + "x") and stored.secret_hash == hash_secret(raw)
    assert stored.last_used_at is None
    assert webhook_authenticate(user_id=str(manager_user.pk), secret=raw) == manager_user
    assert Webhook.objects.get(pk=webhook.pk).last_used_at is not None
    assert webhook_authenticate(user_id=str(manager_user.pk + 1), secret=raw) is None
    assert webhook_authenticate(user_id=str(manager_user.pk), secret=raw + "x") is None
    assert webhook_authenticate(user_id="", secret=raw) is None
    webhook_revoke(webhook=webhook)
    webhook_revoke(webhook=webhook)  # twice is harmless
    assert webhook_authenticate(user_id=str(manager_user.pk), secret=raw) is None


def test_create_webhook_command_prints_path_last_and_creates_user():
    out, err = io.StringIO(), io.StringIO()
    call_command("create_webhook", "shopbot", "--admin", stdout=out, stderr=err)
    last = out.getvalue().strip().splitlines()[-1]
    user = User.objects.get(username="shopbot")
    match = re.fullmatch(rf"/rest/{user.pk}/([a-z0-9]{{24}})/", last)
    assert match and user.is_crm_admin
    assert webhook_authenticate(user_id=str(user.pk), secret=match.group(1)) == user

    call_command("create_webhook", "shopbot", stdout=io.StringIO(), stderr=io.StringIO())
    assert User.objects.filter(username="shopbot").count() == 1 and Webhook.objects.count() == 2


def test_webhooks_list_and_revoke_commands(client):
    out = io.StringIO()
    call_command("create_webhook", "lister", stdout=out, stderr=io.StringIO())
    path = out.getvalue().strip().splitlines()[-1]
    webhook = Webhook.objects.get()
    listing = io.StringIO()
    call_command("webhooks", "list", stdout=listing)
    assert "lister" in listing.getvalue() and "active" in listing.getvalue()
    assert path.split("/")[3] not in listing.getvalue()  # the secret is never shown again
    assert client.post(path + "profile").status_code == 200
    call_command("webhooks", "revoke", str(webhook.pk), stdout=io.StringIO())
    assert client.post(path + "profile").status_code == 401
    listing = io.StringIO()
    call_command("webhooks", "list", stdout=listing)
    assert "revoked" in listing.getvalue()
