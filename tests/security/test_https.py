"""Production settings: https mode (Secure cookies, HSTS, redirect), the trusted proxy, the
Content-Security-Policy and a clean ``kontor check --deploy`` with the README's production settings.

The https tests start ``kontor serve`` (gunicorn) in a subprocess on a throwaway SQLite file, as an
operator would, and look at what a client receives.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import trustme

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "src" / "kontor" / "web" / "templates"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(tmp_path, **extra: str) -> dict[str, str]:
    """The environment the README's "Running in production" section sets, on a throwaway SQLite file."""
    env = {**os.environ, "KONTOR_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'kontor.sqlite3'}",
           "KONTOR_ALLOWED_HOSTS": "crm.example.com,127.0.0.1", "KONTOR_LOG_LEVEL": "WARNING"}
    # No KONTOR_SECRET_KEY: the installation generates its own into KONTOR_VAR_DIR/secret_key.
    # (DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it in this process; no installation has it.)
    for key in ("DJANGO_ALLOW_ASYNC_UNSAFE", "KONTOR_SECRET_KEY", "KONTOR_HTTPS", "KONTOR_TRUST_PROXY", "KONTOR_DEBUG"):
        env.pop(key, None)
    env.update(extra)
    return env


def kontor(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kontor", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def example_env() -> dict[str, str]:
    """deploy/kontor.env.example as a dict (comments and empty values left out)."""
    values = {}
    for line in (ROOT / "deploy" / "kontor.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            if value:
                values[key] = value
    return values


def test_check_deploy_is_clean_with_the_readme_production_settings(tmp_path):
    # The example's settings, on a throwaway SQLite file and var directory instead of /srv/kontor.
    env = {**example_env(), "DATABASE_URL": f"sqlite:///{tmp_path / 'kontor.sqlite3'}", "KONTOR_VAR_DIR": str(tmp_path)}
    assert env["KONTOR_TRUST_PROXY"] == "true"
    done = kontor(production_env(tmp_path, **env), "check", "--deploy")
    assert done.returncode == 0, done.stderr
    assert "WARNINGS" not in done.stdout + done.stderr and "no issues" in done.stdout, done.stdout + done.stderr
    # With KONTOR_HTTPS instead of the proxy too; without https mode the same command names what is
    # missing (the test is not vacuous).
    direct = kontor(production_env(tmp_path, KONTOR_HTTPS="true"), "check", "--deploy")
    assert "WARNINGS" not in direct.stdout + direct.stderr and direct.returncode == 0
    plain = kontor(production_env(tmp_path), "check", "--deploy")
    for check in ("W004", "W008", "W012", "W016"):
        assert check in plain.stderr + plain.stdout


def test_proxy_mode_behind_a_tls_proxy(tmp_path):
    env = production_env(tmp_path, KONTOR_TRUST_PROXY="true")
    assert kontor(env, "migrate", "--noinput", "-v", "0").returncode == 0
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "kontor", "serve", "--bind", f"127.0.0.1:{port}",
                               "--workers", "1", "--no-worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + "/login/", verify=False)
        # A plain-http request (no proxy header) is sent to https.
        plain = requests.get(base + "/login/", allow_redirects=False, timeout=5)
        assert plain.status_code == 301 and plain.headers["Location"] == f"https://127.0.0.1:{port}/login/"
        # Through the proxy (X-Forwarded-Proto: https): HSTS, Secure cookies, the policy.
        page = requests.get(base + "/login/", headers={"X-Forwarded-Proto": "https"}, timeout=5)
        assert page.status_code == 200
        assert_https_page(page)
    finally:
        stop(server)


def test_serve_with_certificate_turns_on_https_mode(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    env = production_env(tmp_path)  # no KONTOR_HTTPS: --certfile alone turns it on
    assert kontor(env, "migrate", "--noinput", "-v", "0").returncode == 0
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "kontor", "serve", "--bind", f"127.0.0.1:{port}",
                               "--workers", "1", "--no-worker", "--certfile", str(cert_file), "--keyfile",
                               str(key_file)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"https://127.0.0.1:{port}"
        wait_until_up(base + "/login/", verify=str(ca_file))
        assert_https_page(requests.get(base + "/login/", verify=str(ca_file), timeout=5))
    finally:
        stop(server)


def assert_https_page(response) -> None:
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert "csrftoken=" in cookie and "Secure" in cookie, cookie
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def wait_until_up(url: str, verify) -> None:
    for _ in range(150):
        try:
            requests.get(url, verify=verify, timeout=1, allow_redirects=False)
            return
        except requests.exceptions.RequestException:
            time.sleep(0.1)
    raise AssertionError(f"server at {url} did not start")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_without_inline_scripts(client, admin_user):
    client.force_login(admin_user)
    policy = client.get("/deals/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_templates_have_no_inline_scripts_or_event_handlers():
    """The policy forbids them; a template that brings one back would break in the browser."""
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=\"", text):
            found.append(str(path.relative_to(TEMPLATES)))
    assert found == []
