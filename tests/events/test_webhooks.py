"""Outbound webhooks end to end: the API registers a receiver, the services' events are written to
the outbox in their transaction, the database worker delivers them to a real HTTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs

import pytest

from kontor.crm.models import Lead
from kontor.events import delivery as delivery_module
from kontor.events.models import OutgoingWebhook, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def _verify(secret: str, request: dict) -> dict:
    """Check a delivery the way a Standard Webhooks receiver does; return its JSON body."""
    h = request["headers"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{h['webhook-id']}.{h['webhook-timestamp']}.{request['body']}".encode()
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert h["webhook-signature"] == expected
    assert abs(int(h["webhook-timestamp"]) - time.time()) < 300
    body = json.loads(request["body"])
    assert body["id"] == h["webhook-id"]
    return body


def _register(api, url, events, **extra):
    res = api.post("/api/v1/webhooks/outgoing", {"url": url, "events": events, **extra})
    assert res.status_code == 201, res.json()
    return res.json()


def test_deal_changes_arrive_signed_in_order_with_the_record_and_changes(admin_api, receiver, run_worker):
    hook = _register(admin_api, receiver.url, ["deal.created", "deal.updated", "deal.stage_changed"])
    assert hook["secret"].startswith("whsec_") and hook["active"]
    deal = admin_api.post("/api/v1/deals", {"title": "Website relaunch", "opportunity": "1200.50"}).json()
    admin_api.patch(f"/api/v1/deals/{deal['id']}", {"title": "Website relaunch 2026"})
    stages = admin_api.get(f"/api/v1/pipelines/{deal['pipeline_id']}").json()["stages"]
    won = next(s for s in stages if s["semantic"] == "success")
    admin_api.patch(f"/api/v1/deals/{deal['id']}", {"stage_id": won["id"]})
    assert receiver.requests == []  # nothing is sent inside the request: the worker delivers

    run_worker()

    bodies = [_verify(hook["secret"], r) for r in receiver.requests]
    assert [b["event"] for b in bodies] == ["deal.created", "deal.updated", "deal.updated", "deal.stage_changed"]
    created, renamed, moved, stage_changed = bodies
    assert created["data"]["id"] == deal["id"] and created["data"]["title"] == "Website relaunch"
    assert created["data"]["opportunity"] == "1200.50"
    assert renamed["changes"] == {"title": ["Website relaunch", "Website relaunch 2026"]}
    assert renamed["data"]["title"] == "Website relaunch 2026"
    assert moved["changes"]["stage_id"] == [deal["stage_id"], won["id"]]
    assert stage_changed["data"]["stage_id"] == won["id"] and stage_changed["data"]["closed"] is True
    assert len({b["id"] for b in bodies}) == 4
    log = admin_api.get(f"/api/v1/webhooks/outgoing/{hook['id']}/deliveries").json()
    assert [(d["status"], d["response_code"], d["attempts"]) for d in log] == [("delivered", 200, 1)] * 4
    assert all(d["duration_ms"] is not None for d in log)


def test_a_receiver_down_for_a_while_loses_nothing(admin_api, receiver, run_worker, monkeypatch):
    monkeypatch.setattr(delivery_module, "RETRY_DELAYS", [0.2])
    hook = _register(admin_api, receiver.url, ["contact.created", "contact.updated", "contact.deleted"])
    receiver.stop()
    ids = [admin_api.post("/api/v1/contacts", {"name": f"Person {i}"}).json()["id"] for i in range(3)]
    admin_api.patch(f"/api/v1/contacts/{ids[0]}", {"last_name": "Weber"})
    admin_api.delete(f"/api/v1/contacts/{ids[1]}")
    run_worker()
    assert receiver.requests == []
    log = admin_api.get(f"/api/v1/webhooks/outgoing/{hook['id']}/deliveries").json()
    assert {d["status"] for d in log} == {"pending"}
    head = log[-1]  # oldest: it was tried and holds the others back, so the order stays
    assert head["attempts"] >= 1 and head["response_code"] is None and head["error"]

    receiver.start()
    time.sleep(0.3)  # the retry's back-off
    run_worker()

    bodies = [_verify(hook["secret"], r) for r in receiver.requests]
    sent = [(b["event"], b["data"]["id"]) for b in bodies]
    assert sent == [("contact.created", ids[0]), ("contact.created", ids[1]), ("contact.created", ids[2]),
                    ("contact.updated", ids[0]), ("contact.deleted", ids[1])]
    assert bodies[3]["changes"] == {"last_name": [None, "Weber"]} or bodies[3]["changes"]["last_name"][1] == "Weber"
    assert sorted(b["id"] for b in bodies) == sorted(WebhookDelivery.objects.values_list("msg_id", flat=True))
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_resend_sends_the_same_delivery_again(admin_api, receiver, run_worker):
    hook = _register(admin_api, receiver.url, ["company.created"])
    admin_api.post("/api/v1/companies", {"title": "Muster GmbH"})
    run_worker()
    delivery = admin_api.get(f"/api/v1/webhooks/outgoing/{hook['id']}/deliveries").json()[0]
    res = admin_api.post(f"/api/v1/webhooks/outgoing/{hook['id']}/deliveries/{delivery['id']}/resend")
    assert res.status_code == 200 and res.json()["status"] == "pending"
    run_worker()
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    assert receiver.requests[0]["headers"]["webhook-id"] == receiver.requests[1]["headers"]["webhook-id"]


def test_a_gone_receiver_is_disabled_with_the_reason(admin_api, receiver, run_worker, monkeypatch):
    hook = _register(admin_api, receiver.url, ["lead.created"])
    monkeypatch.setattr(delivery_module, "send", lambda h, d: (410, "HTTP 410 Gone"))
    admin_api.post("/api/v1/leads", {"title": "x"})
    run_worker()
    got = admin_api.get(f"/api/v1/webhooks/outgoing/{hook['id']}").json()
    assert got["active"] is False and "410" in got["disabled_reason"] and got["failed"] == 1


def test_simple_mode_lead_is_announced_before_its_conversion(admin_api, receiver, run_worker):
    from kontor.crm.models import CrmSettings

    settings = CrmSettings.load()
    settings.mode = "simple"
    settings.save()
    _register(admin_api, receiver.url, ["lead.created", "lead.converted", "deal.created"])
    lead = admin_api.post("/api/v1/leads", {"title": "Anfrage", "name": "Anna"}).json()
    assert lead["deal_id"]  # converted inside the creating request
    run_worker()
    events = [json.loads(r["body"])["event"] for r in receiver.requests]
    assert events == ["lead.created", "deal.created", "lead.converted"]
    assert json.loads(receiver.requests[2]["body"])["data"]["converted_to"]["deal_id"] == lead["deal_id"]


def test_a_switch_sends_one_event_per_batch_not_one_per_lead(admin_api, receiver, run_worker):
    from kontor.crm.models import CrmSettings
    from kontor.modes.jobs import switch_run

    settings = CrmSettings.load()
    settings.mode = "classic"
    settings.save()
    Lead.objects.bulk_create([Lead(title=f"Lead {i}", name=f"N{i}", status_id="NEW") for i in range(1000)])
    hook = _register(admin_api, receiver.url, ["lead.converted_batch", "lead.updated", "lead.converted",
                                               "crm_mode.switched"])
    sw = admin_api.post("/api/v1/crm-mode/switch", {"mode": "simple"}).json()
    switch_run(sw["id"], batch_size=100)
    run_worker()
    bodies = [_verify(hook["secret"], r) for r in receiver.requests]
    assert bodies[0]["event"] == "crm_mode.switched" and bodies[0]["data"]["to"] == "simple"
    batches = bodies[1:]
    assert {b["event"] for b in batches} == {"lead.converted_batch"}
    assert len(batches) == 10
    leads = [row for b in batches for row in b["data"]["leads"]]
    assert len(leads) == 1000 == len({row["lead_id"] for row in leads}) and all(row["deal_id"] for row in leads)


def test_registration_is_checked(admin_api, manager_api, monkeypatch):
    monkeypatch.delenv("KONTOR_WEBHOOKS_ALLOW_PRIVATE", raising=False)
    cases = [
        ({"url": "http://127.0.0.1:9/hook", "events": ["deal.created"]}, "url", "private or loopback"),
        ({"url": "http://10.1.2.3/hook", "events": ["deal.created"]}, "url", "private or loopback"),
        ({"url": "ftp://example.org/x", "events": ["deal.created"]}, "url", "http"),
        ({"url": "https://93.184.215.14/x", "events": ["deal.exploded"]}, "events", "deal.exploded"),
        ({"url": "https://93.184.215.14/x", "events": []}, "events", "non-empty"),
    ]
    for payload, field, words in cases:
        res = admin_api.post("/api/v1/webhooks/outgoing", payload)
        assert res.status_code == 422, (payload, res.json())
        assert words in json.dumps(res.json()) and field in json.dumps(res.json())
    res = admin_api.post("/api/v1/webhooks/outgoing", {"url": "https://93.184.215.14/x", "events": ["deal.created"],
                                                       "colour": "red"})
    assert res.status_code == 422 and "colour" in json.dumps(res.json())
    assert manager_api.get("/api/v1/webhooks/outgoing").status_code == 403
    assert OutgoingWebhook.objects.count() == 0


def test_bitrix24_bind_then_lead_add_posts_the_bitrix24_form(live_server, admin_user, receiver, run_worker):
    from fast_bitrix24 import Bitrix

    from kontor.bitrix.services import webhook_create, webhook_path
    from kontor.crm.models import CrmSettings

    settings = CrmSettings.load()
    settings.mode = "classic"
    settings.save()
    webhook, raw = webhook_create(user=admin_user)
    bx = Bitrix(live_server.url + webhook_path(webhook, raw), verbose=False)
    assert bx.call("event.bind", {"event": "ONCRMLEADADD", "handler": receiver.url}, raw=True)["result"] is True
    bound = bx.call("event.get", {}, raw=True)["result"]
    assert bound == [{"event": "ONCRMLEADADD", "handler": receiver.url, "auth_type": "0", "offline": 0}]
    lead_id = bx.call("crm.lead.add", {"fields": {"TITLE": "Von Bitrix24"}}, raw=True)["result"]

    run_worker()

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["headers"]["content-type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(request["body"]).items()}
    binding = OutgoingWebhook.objects.get(format="bitrix24")
    assert form["event"] == "ONCRMLEADADD"
    assert form["data[FIELDS][ID]"] == str(lead_id)
    assert form["auth[application_token]"] == binding.secret
    assert form["event_handler_id"] == str(binding.pk) and form["ts"].isdigit() and form["auth[domain]"]
    assert bx.call("event.unbind", {"event": "ONCRMLEADADD", "handler": receiver.url}, raw=True)["result"] == {
        "count": 1}


def test_an_import_sends_one_event_per_batch_not_one_per_contact(admin_api, admin_user, receiver, run_worker,
                                                                 tmp_path):
    from kontor.crm.models import Contact
    from kontor.data import importing

    hook = _register(admin_api, receiver.url, ["contact.imported_batch", "contact.created"])
    path = tmp_path / "kontakte.csv"
    rows = [f"Vorname{i};Nachname{i};kunde{i}@example.de" for i in range(1200)]
    path.write_text("Vorname;Nachname;E-Mail\n" + "\n".join(rows) + "\n", encoding="utf-8")
    importer = importing.Importer(table=importing.table_open(path), entity=importing.KINDS["contacts"],
                                  actor=admin_user, batch_size=500)
    assert importer.run().created == 1200
    importing.records_import(path=path, kind="contacts", actor=admin_user, dry_run=True, on_duplicate="create")
    run_worker()
    bodies = [_verify(hook["secret"], r) for r in receiver.requests]
    assert [b["event"] for b in bodies] == ["contact.imported_batch"] * 3  # the dry run announced nothing
    assert [b["data"]["count"] for b in bodies] == [500, 500, 200]
    ids = [pk for b in bodies for pk in b["data"]["ids"]]
    assert sorted(ids) == sorted(Contact.objects.values_list("pk", flat=True))


def test_a_delivery_connects_to_the_address_that_was_checked(monkeypatch):
    """DNS rebinding: the host resolves to a public address when checked, then to loopback. The request
    must go to the checked address, never resolve again."""
    import socket

    from kontor.events.models import WebhookFormat

    monkeypatch.delenv("KONTOR_WEBHOOKS_ALLOW_PRIVATE", raising=False)
    answers = iter(["93.184.216.34"] + ["127.0.0.1"] * 10)

    def getaddrinfo(host, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), 0))]

    connected: list[tuple] = []

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise OSError("refused in the test")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    hook = OutgoingWebhook(url="http://receiver.example:8080/hook", secret="s", format=WebhookFormat.NATIVE)
    delivery = WebhookDelivery(msg_id="msg_1", content_type="application/json", body="{}")
    status, error = delivery_module.send(hook, delivery)
    assert status is None and "refused in the test" in error
    assert connected == [("93.184.216.34", 8080)]
