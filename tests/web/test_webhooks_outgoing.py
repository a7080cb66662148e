"""The settings page for outgoing webhooks: who may open it, registering a receiver (secret shown
once), the state with the reason Kontor disabled one, enabling again, deleting, and the delivery log
with "send again"; all through ``kontor.events.services``."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kontor.crm import services
from kontor.events.models import DeliveryStatus, OutgoingWebhook, WebhookDelivery
from kontor.events.services import webhook_create

pytestmark = pytest.mark.django_db

LIST = "/settings/outgoing-webhooks/"


@pytest.fixture
def private_ok(monkeypatch):
    monkeypatch.setenv("KONTOR_WEBHOOKS_ALLOW_PRIVATE", "true")


@pytest.fixture
def hook(admin_user, private_ok):
    return webhook_create(actor=admin_user, url="http://127.0.0.1:9/hook", events=["deal.created", "deal.updated"])


def _urls(hook, delivery_id=1):
    base = f"{LIST}{hook.pk}/"
    return [("get", LIST), ("post", LIST), ("get", base), ("post", f"{base}enable/"), ("get", f"{base}delete/"),
            ("post", f"{base}delete/"), ("post", f"{base}deliveries/{delivery_id}/resend/")]


def test_anonymous_goes_to_login_and_a_manager_is_refused(client, manager_client, hook):
    for method, url in _urls(hook):
        res = getattr(client, method)(url)
        assert res.status_code == 302 and res["Location"].startswith("/login/"), url
        assert getattr(manager_client, method)(url).status_code == 403, url
    assert OutgoingWebhook.objects.filter(pk=hook.pk, active=True).exists()


def test_the_menus_link_the_page_for_admins_only(admin_client, manager_client):
    assert LIST in admin_client.get("/deals/").content.decode()
    assert LIST not in manager_client.get("/deals/").content.decode()


def test_an_admin_registers_a_receiver_and_sees_the_secret_once(admin_client, private_ok):
    res = admin_client.post(LIST, {"url": "http://127.0.0.1:8081/kontor", "events": ["deal.created", "lead.converted"]})
    assert res.status_code == 200
    hook = OutgoingWebhook.objects.get()
    assert hook.url == "http://127.0.0.1:8081/kontor" and hook.events == ["deal.created", "lead.converted"]
    page = res.content.decode()
    assert "Webhook angelegt." in page and hook.secret.startswith("whsec_") and hook.secret in page
    again = admin_client.get(LIST).content.decode()
    assert "http://127.0.0.1:8081/kontor" in again and "deal.created" in again and "aktiv" in again
    assert hook.secret not in again  # shown only right after it was made

    own = admin_client.post(LIST, {"url": "https://127.0.0.1:8443/in", "events": ["contact.updated"],
                                   "secret": "my-own-secret-of-some-length"})
    assert own.status_code == 200
    assert OutgoingWebhook.objects.get(url="https://127.0.0.1:8443/in").secret == "my-own-secret-of-some-length"


@pytest.mark.parametrize(("data", "message"), [
    ({"url": "ftp://127.0.0.1/x", "events": ["deal.created"]}, "http:// or https://"),
    ({"url": "http://127.0.0.1:9/x", "events": ["deal.created"]}, "KONTOR_WEBHOOKS_ALLOW_PRIVATE"),
    ({"url": "http://127.0.0.1:9/x"}, "Dieses Feld ist zwingend erforderlich."),
    ({"url": "http://127.0.0.1:9/x", "events": ["deal.exploded"]}, "deal.exploded"),
    ({"url": "http://127.0.0.1:9/x", "events": ["deal.created"], "secret": "short"}, "16 to 200"),
])
def test_bad_input_is_shown_at_the_form_and_nothing_is_saved(admin_client, monkeypatch, data, message):
    if "ALLOW_PRIVATE" in message:
        monkeypatch.delenv("KONTOR_WEBHOOKS_ALLOW_PRIVATE", raising=False)
    else:
        monkeypatch.setenv("KONTOR_WEBHOOKS_ALLOW_PRIVATE", "true")  # no name lookups: the tests run offline
    res = admin_client.post(LIST, data)
    assert res.status_code == 200
    assert message in res.content.decode()
    assert 'class="field-error"' in res.content.decode() or 'class="form-error"' in res.content.decode()
    assert not OutgoingWebhook.objects.exists()


def test_a_disabled_receiver_shows_why_and_is_enabled_again(admin_client, hook):
    OutgoingWebhook.objects.filter(pk=hook.pk).update(active=False, disabled_at=timezone.now(),
                                                      disabled_reason="HTTP 410 Gone: the receiver is gone")
    page = admin_client.get(LIST).content.decode()
    assert "deaktiviert" in page and "HTTP 410 Gone: the receiver is gone" in page and "Wieder aktivieren" in page
    res = admin_client.post(f"{LIST}{hook.pk}/enable/")
    assert res.status_code == 302 and res["Location"] == LIST
    hook.refresh_from_db()
    assert hook.active and hook.disabled_reason == ""
    assert "Wieder aktivieren" not in admin_client.get(LIST).content.decode()


def test_delete_asks_first_then_removes_the_webhook_with_its_log(admin_client, admin_user, hook):
    services.deal_create(actor=admin_user, data={"title": "Logged"})
    assert WebhookDelivery.objects.filter(webhook=hook).count() == 1
    ask = admin_client.get(f"{LIST}{hook.pk}/delete/")
    assert ask.status_code == 200 and hook.url in ask.content.decode()
    assert OutgoingWebhook.objects.filter(pk=hook.pk).exists()
    res = admin_client.post(f"{LIST}{hook.pk}/delete/")
    assert res.status_code == 302
    assert not OutgoingWebhook.objects.exists() and not WebhookDelivery.objects.exists()
    assert admin_client.get(f"{LIST}{hook.pk}/").status_code == 404


def test_the_delivery_log_shows_each_delivery_and_sends_one_again(admin_client, admin_user, hook):
    deal = services.deal_create(actor=admin_user, data={"title": "Relaunch"})
    services.deal_update(deal=deal, actor=admin_user, data={"title": "Relaunch 2"})
    created, updated = WebhookDelivery.objects.filter(webhook=hook).order_by("id")
    WebhookDelivery.objects.filter(pk=created.pk).update(
        status=DeliveryStatus.DELIVERED, attempts=1, response_code=200, duration_ms=37,
        last_attempt_at=timezone.now(), delivered_at=timezone.now())
    WebhookDelivery.objects.filter(pk=updated.pk).update(
        status=DeliveryStatus.FAILED, attempts=12, response_code=503, duration_ms=1234,
        error="HTTP 503 Service Unavailable")

    page = admin_client.get(f"{LIST}{hook.pk}/").content.decode()
    row_created = page.split(f'data-testid="delivery-{created.pk}"')[1].split("</tr>")[0]
    row_updated = page.split(f'data-testid="delivery-{updated.pk}"')[1].split("</tr>")[0]
    assert page.index(f"delivery-{updated.pk}") < page.index(f"delivery-{created.pk}")  # newest first
    for text in ("deal.created", "zugestellt", ">200<", "37 ms", ">1<", "Erneut senden"):
        assert text in row_created, text
    for text in ("deal.updated", "fehlgeschlagen", ">503<", "1234 ms", ">12<", "HTTP 503 Service Unavailable"):
        assert text in row_updated, text
    failed_only = admin_client.get(f"{LIST}{hook.pk}/?status=failed").content.decode()
    assert f"delivery-{updated.pk}" in failed_only and f"delivery-{created.pk}" not in failed_only

    res = admin_client.post(f"{LIST}{hook.pk}/deliveries/{updated.pk}/resend/")
    assert res.status_code == 302 and res["Location"] == f"{LIST}{hook.pk}/"
    updated.refresh_from_db()
    assert updated.status == DeliveryStatus.PENDING and updated.next_attempt_at <= timezone.now()
    assert "wartend" in admin_client.get(f"{LIST}{hook.pk}/").content.decode()
    # a delivery of another webhook is not reachable through this one
    other = webhook_create(actor=admin_user, url="http://127.0.0.1:9/other", events=["deal.created"])
    assert admin_client.post(f"{LIST}{other.pk}/deliveries/{created.pk}/resend/").status_code == 404


def test_bitrix24_bindings_are_listed_too(admin_client, admin_user, private_ok):
    from kontor.events.services import bitrix_event_bind

    bitrix_event_bind(actor=admin_user, event="ONCRMLEADADD", handler="http://127.0.0.1:9/b24.php")
    page = admin_client.get(LIST).content.decode()
    assert "http://127.0.0.1:9/b24.php" in page and "ONCRMLEADADD" in page and "event.bind" in page


def test_the_page_in_english(admin_client, hook):
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = admin_client.get(LIST).content.decode()
    assert "Outgoing webhooks" in page and "Delivery log" in page and "enabled" in page
