"""``kontor serve --certfile F --keyfile F`` serves the facade over https (gunicorn in a subprocess).

The server runs against its own throwaway SQLite file, so this test is the same under SQLite and
PostgreSQL runs; the in-process TLS server of ``test_clients`` covers the configured database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import certifi
import pytest
import requests
import trustme


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kontor(*args: str, env: dict) -> str:
    done = subprocess.run([sys.executable, "-m", "kontor", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout


@pytest.mark.slow
def test_kontor_serve_https_with_b24pysdk(tmp_path, monkeypatch):
    from b24pysdk import BitrixWebhook, Client
    from b24pysdk.errors import BitrixAPIInvalidCredentials

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'kontor.sqlite3'}", "KONTOR_VAR_DIR": str(tmp_path),
           "KONTOR_LOG_LEVEL": "WARNING"}
    _kontor("migrate", "--noinput", "-v", "0", env=env)
    path = _kontor("create_webhook", "integration", "--admin", env=env).strip().splitlines()[-1]
    user_id, secret = path.split("/")[2:4]

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kontor", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--certfile", str(cert_file), "--keyfile", str(key_file), "--no-worker"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"https://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(base + "/rest/", verify=str(ca_file), timeout=1)
                break
            except requests.exceptions.RequestException:
                time.sleep(0.1)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
        client = Client(BitrixWebhook(domain=f"127.0.0.1:{port}", webhook_token=f"{user_id}/{secret}"))
        assert client.crm.settings.mode.get().result == 2  # a new installation runs in simple mode
        deal_id = client.crm.deal.add(fields={"TITLE": "Over TLS"}).result
        assert client.crm.deal.get(bitrix_id=deal_id).result["TITLE"] == "Over TLS"
        with pytest.raises(BitrixAPIInvalidCredentials):
            Client(BitrixWebhook(domain=f"127.0.0.1:{port}", webhook_token=f"{user_id}/nope")).crm.deal.get(
                bitrix_id=deal_id).call()
        with pytest.raises(requests.exceptions.SSLError):
            # Against the public CA bundle the throwaway certificate stays untrusted.
            requests.get(base + "/rest/", verify=certifi.where(), timeout=5)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
