"""In Chromium: an admin registers a real HTTP receiver on the settings page, creates a deal in the
browser, the database worker runs, and a Standard-Webhooks-signed POST arrives; the delivery log
shows it. Screenshots at desktop and phone size go to the test's temporary directory."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from kontor.crm.models import Deal
from kontor.events.models import OutgoingWebhook

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(monkeypatch):
    """A real HTTP server in the test process that records every POST (on loopback, so private
    addresses are allowed for this test)."""
    monkeypatch.setenv("KONTOR_WEBHOOKS_ALLOW_PRIVATE", "true")
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            received.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/kontor-hook", received
    server.shutdown()
    server.server_close()


def verified_body(secret: str, request: dict) -> dict:
    """Check the signature as a Standard Webhooks receiver does: HMAC-SHA256 of "id.timestamp.body"."""
    h = request["headers"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{h['webhook-id']}.{h['webhook-timestamp']}.{request['body']}".encode()
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert h["webhook-signature"] == expected
    assert abs(int(h["webhook-timestamp"]) - time.time()) < 300
    return json.loads(request["body"])


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_register_a_receiver_create_a_deal_and_a_signed_post_arrives(new_page, admin_user, receiver, tmp_path):
    url, received = receiver
    page = new_page(viewport={"width": 1366, "height": 800})
    login(page, "admin_test", "admin-pass-123")
    page.goto("/deals/")
    page.click(".gear summary")
    page.click("[data-testid=outgoing-webhooks-link]")
    page.get_by_role("heading", name="Ausgehende Webhooks").wait_for()
    page.fill("#id_url", url)
    page.check("input[value='deal.created']")
    page.check("input[value='deal.stage_changed']")
    page.click("button:has-text('Webhook erstellen')")
    page.get_by_text("Webhook angelegt.").wait_for()
    secret = page.input_value("#webhook-secret")
    assert secret.startswith("whsec_")
    row = page.locator("#outgoing-webhooks tbody tr").first
    assert url in row.inner_text() and "deal.created" in row.inner_text() and "aktiv" in row.inner_text()
    page.screenshot(path=str(tmp_path / "outgoing-webhooks-desktop.png"), full_page=True)

    page.goto("/deals/new/")
    page.fill("#id_title", "Hallenneubau Nord")
    page.fill("#id_opportunity", "48000")
    page.click("button:has-text('Speichern')")
    page.get_by_role("heading", name="Hallenneubau Nord").wait_for()
    deal = Deal.objects.get(title="Hallenneubau Nord")
    assert received == []  # sent by the worker, never inside the request

    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)

    assert len(received) == 1
    body = verified_body(secret, received[0])
    assert body["event"] == "deal.created" and body["id"] == received[0]["headers"]["webhook-id"]
    assert body["data"]["id"] == deal.pk and body["data"]["title"] == "Hallenneubau Nord"
    assert body["data"]["opportunity"] == "48000.00"

    page.goto("/settings/outgoing-webhooks/")
    page.click("text=Zustellprotokoll")
    log_row = page.locator("table.deliveries tbody tr").first
    log_row.get_by_text("zugestellt").wait_for()
    assert "deal.created" in log_row.inner_text() and "204" in log_row.inner_text()
    page.screenshot(path=str(tmp_path / "outgoing-webhooks-log-desktop.png"), full_page=True)
    log_row.locator("button:has-text('Erneut senden')").click()
    page.get_by_text("wird erneut gesendet").wait_for()
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    assert len(received) == 2 and received[1]["body"] == received[0]["body"]

    phone = new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    login(phone, "admin_test", "admin-pass-123")
    hook = OutgoingWebhook.objects.get()
    for path, name in (("/settings/outgoing-webhooks/", "outgoing-webhooks-phone.png"),
                       (f"/settings/outgoing-webhooks/{hook.pk}/", "outgoing-webhooks-log-phone.png")):
        phone.goto(path)
        phone.screenshot(path=str(tmp_path / name), full_page=True)
        assert no_horizontal_scroll(phone), path  # wide tables scroll inside their own box
