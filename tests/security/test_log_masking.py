"""Webhook secrets never reach a log: Django's warnings, an application's own lines, gunicorn's
access log of a request served by ``kontor serve``."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
import requests
from django.test import Client

from kontor.bitrix.services import webhook_create

from .test_https import free_port, kontor, production_env, stop, wait_until_up


@pytest.mark.django_db
def test_unauthorized_and_not_found_lines_mask_the_secret(caplog, admin_user):
    _, secret = webhook_create(user=admin_user, name="shop")
    caplog.set_level(logging.INFO)
    wrong = "wrongsecret0123456789"
    assert Client().get(f"/rest/{admin_user.pk}/{wrong}/crm.deal.list").status_code == 401
    Client().get(f"/rest/{admin_user.pk}/{secret}/no.such.method")
    logging.getLogger("shop.sync").warning("calling %s failed", f"https://crm.example/rest/{admin_user.pk}/{secret}/x")
    text = caplog.text
    assert wrong not in text and secret not in text, text
    assert f"Unauthorized: /rest/{admin_user.pk}/***/crm.deal.list" in text
    assert f"https://crm.example/rest/{admin_user.pk}/***/x" in text


def test_served_requests_mask_the_secret_in_the_access_log(tmp_path):
    env = production_env(tmp_path, KONTOR_LOG_LEVEL="INFO", KONTOR_ALLOWED_HOSTS="127.0.0.1")
    assert kontor(env, "migrate", "--noinput", "-v", "0").returncode == 0
    path = kontor(env, "create_webhook", "integration", "--admin").stdout.strip().splitlines()[-1]
    user_id, secret = path.split("/")[2:4]
    log = tmp_path / "serve.log"
    port = free_port()
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "kontor", "serve", "--bind", f"127.0.0.1:{port}",
                                   "--workers", "1", "--no-worker"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/login/", verify=False)
            assert requests.get(f"{base}/rest/{user_id}/{secret}/crm.deal.list", timeout=5).status_code == 200
            assert requests.get(f"{base}/rest/{user_id}/wrongsecret42/crm.deal.list?x=1",
                                timeout=5).status_code == 401
        finally:
            stop(server)
    text = log.read_text()
    assert secret not in text and "wrongsecret42" not in text, text
    assert f'"GET /rest/{user_id}/***/crm.deal.list HTTP/1.1" 200' in text, text
    assert f"Unauthorized: /rest/{user_id}/***/crm.deal.list" in text, text
