"""Webhook services: register, remove, re-enable, resend; the API, the facade and the UI call these."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.core.errors import ErrorCode, KontorError, validation
from kontor.events.delivery import check_url, new_secret
from kontor.events.models import DeliveryStatus, OutgoingWebhook, WebhookDelivery, WebhookFormat
from kontor.events.names import BITRIX_EVENTS, NATIVE_EVENTS


def _clean_events(events: Any) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise validation(f"events must be a non-empty list of event names ({', '.join(NATIVE_EVENTS)})", "events")
    out: list[str] = []
    for index, name in enumerate(events):
        if not isinstance(name, str) or name not in NATIVE_EVENTS:
            raise validation(f"events[{index}]: unknown event {name!r} (one of {', '.join(NATIVE_EVENTS)})",
                             "events")
        if name not in out:
            out.append(name)
    return out


@transaction.atomic
def webhook_create(*, actor, url: Any, events: Any, secret: Any = None) -> OutgoingWebhook:
    """Register a native receiver for ``events``; without ``secret`` a new ``whsec_…`` one is made."""
    url = check_url(url)
    names = _clean_events(events)
    if secret is None or secret == "":
        secret = new_secret()
    elif not isinstance(secret, str) or len(secret) < 16 or len(secret) > 200:
        raise validation("secret must be a string of 16 to 200 characters", "secret")
    return OutgoingWebhook.objects.create(url=url, events=names, secret=secret, format=WebhookFormat.NATIVE,
                                          created_by=actor)


@transaction.atomic
def webhook_delete(*, webhook: OutgoingWebhook, actor=None) -> None:
    """Remove a receiver with its delivery log (pending deliveries are dropped)."""
    webhook.delete()


@transaction.atomic
def webhook_enable(*, webhook: OutgoingWebhook, actor=None) -> OutgoingWebhook:
    """Turn a disabled receiver on again; its waiting deliveries go out next (oldest first)."""
    OutgoingWebhook.objects.filter(pk=webhook.pk).update(active=True, disabled_reason="", disabled_at=None)
    WebhookDelivery.objects.filter(webhook=webhook, status=DeliveryStatus.PENDING).update(
        next_attempt_at=timezone.now())
    from kontor.events.outbox import wake

    transaction.on_commit(lambda: wake([webhook.pk]))
    webhook.refresh_from_db()
    return webhook


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery, actor=None) -> WebhookDelivery:
    """Send a delivery again (same body and ``webhook-id``), e.g. after the receiver lost it."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.created_at = timezone.now()  # the retry window starts again
    delivery.save(update_fields=["status", "next_attempt_at", "created_at"])
    hook_id = delivery.webhook_id
    from kontor.events.outbox import wake

    transaction.on_commit(lambda: wake([hook_id]))
    return delivery


# --- Bitrix24 event.bind ---------------------------------------------------------------------------

def _bitrix_event(name: Any) -> str:
    event = str(name or "").strip().upper()
    if not event:
        raise KontorError(ErrorCode.VALIDATION, "Event name not provided", field="event")
    if event not in BITRIX_EVENTS:
        raise KontorError(ErrorCode.VALIDATION, f"Event name not found: {event}", field="event")
    return event


@transaction.atomic
def bitrix_event_bind(*, actor, event: Any, handler: Any) -> OutgoingWebhook:
    """``event.bind``: POST ``event`` to ``handler`` in Bitrix24's form; one binding per pair."""
    name = _bitrix_event(event)
    url = check_url(handler, "handler")
    if OutgoingWebhook.objects.filter(format=WebhookFormat.BITRIX24, url=url, events=[name]).exists():
        raise KontorError(ErrorCode.CONFLICT, "Handler already binded", field="handler")
    # The application token travels in auth[application_token]: the handler checks it is us.
    return OutgoingWebhook.objects.create(url=url, events=[name], format=WebhookFormat.BITRIX24,
                                          secret=secrets.token_hex(16), created_by=actor)


@transaction.atomic
def bitrix_event_unbind(*, actor, event: Any, handler: Any = None) -> int:
    """``event.unbind``: remove the bindings of ``event`` (to ``handler`` when given); returns how many."""
    name = _bitrix_event(event)
    hooks = [h for h in OutgoingWebhook.objects.filter(format=WebhookFormat.BITRIX24) if h.events == [name]]
    if handler:
        hooks = [h for h in hooks if h.url == str(handler).strip()]
    OutgoingWebhook.objects.filter(pk__in=[h.pk for h in hooks]).delete()
    return len(hooks)
