"""The webhook outbox: for each event, one ``WebhookDelivery`` per interested webhook, written in the
transaction that made the change; the worker sends them after commit (``kontor.events.delivery``)."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from kontor.core.generation import cached
from kontor.events.bus import Event
from kontor.events.models import OutgoingWebhook, WebhookDelivery, WebhookFormat
from kontor.events.names import BITRIX_EVENTS

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _active_webhooks() -> tuple[OutgoingWebhook, ...]:
    """The active webhooks, cached per process until a webhook's address, events, secret or state
    changes (``kontor.core.generation``)."""
    return tuple(OutgoingWebhook.objects.filter(active=True).only("id", "format", "events", "secret", "url"))


def _interested(event: Event) -> list[tuple[OutgoingWebhook, str]]:
    """(webhook, the event name to send) for every active webhook subscribed to ``event``."""
    out: list[tuple[OutgoingWebhook, str]] = []
    for hook in cached("events.active_webhooks", _active_webhooks):
        for name in hook.events or ():
            if hook.format == WebhookFormat.NATIVE and name == event.name:
                out.append((hook, name))
                break
            if hook.format == WebhookFormat.BITRIX24 and event.name in BITRIX_EVENTS.get(name, ()):
                out.append((hook, name))
                break
    return out


def record_data(entity: str, record_id: int) -> dict[str, Any] | None:
    """The record as the native API shows it (``None`` when it no longer exists)."""
    from kontor.api.serializers import activities_out, records_out
    from kontor.crm.enums import EntityType
    from kontor.crm.models import RECORD_MODELS, Activity

    if entity == "activity":
        activity = Activity.objects.filter(pk=record_id).first()
        return activities_out([activity])[0] if activity else None
    entity_type = EntityType.from_name(entity)
    record = RECORD_MODELS[entity_type]._default_manager.filter(pk=record_id).first()
    return records_out(entity_type, [record])[0] if record else None


def event_data(event: Event) -> dict[str, Any]:
    """The ``data`` of a native delivery: the record as the API shows it, plus what the event adds."""
    data: dict[str, Any] = dict(event.data or {})
    if event.entity and event.record_id is not None:
        data = {**(record_data(event.entity, event.record_id) or {"id": event.record_id}), **data}
    return data


def native_body(event: Event, msg_id: str, data: dict[str, Any]) -> str:
    body = {"event": event.name, "id": msg_id, "occurred_at": event.occurred_at, "data": data,
            "changes": event.changes or None}
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def public_url() -> str:
    """Where this Kontor is reached (``KONTOR_PUBLIC_URL``; else the first configured host)."""
    configured = os.environ.get("KONTOR_PUBLIC_URL", "").strip().rstrip("/")
    if configured:
        return configured
    host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")), "localhost")
    return f"http://{host}"


def bitrix_body(event: Event, hook: OutgoingWebhook, b24_name: str) -> str:
    """Bitrix24's outgoing-webhook form: ``event``, ``event_handler_id``, ``data[FIELDS][ID]``, ``ts``,
    ``auth[…]`` with the binding's ``application_token``, as PHP handlers read from ``$_REQUEST``."""
    base = public_url()
    domain = base.split("://", 1)[-1].split("/", 1)[0]
    fields: list[tuple[str, Any]] = [
        ("event", b24_name),
        ("event_handler_id", hook.pk),
        ("data[FIELDS][ID]", event.record_id or ""),
        ("ts", int(event.occurred_at.timestamp())),
        ("auth[domain]", domain),
        ("auth[client_endpoint]", f"{base}/rest/"),
        ("auth[server_endpoint]", f"{base}/rest/"),
        ("auth[member_id]", uuid.uuid5(uuid.NAMESPACE_URL, base).hex),
        ("auth[application_token]", hook.secret),
    ]
    return urlencode(fields)


def queue_deliveries(event: Event) -> None:
    """In-transaction subscriber: write the deliveries of ``event``; wake the worker after commit."""
    targets = _interested(event)
    if not targets:
        return
    if event.name.endswith("_batch"):
        # A batch names many records: Bitrix24 has no such event, so only native receivers get it.
        targets = [(h, n) for h, n in targets if h.format == WebhookFormat.NATIVE]
    rows = []
    data: dict[str, Any] | None = None  # rendered once per event, whatever the number of receivers
    for hook, name in targets:
        msg_id = f"msg_{uuid.uuid4().hex}"
        if hook.format == WebhookFormat.NATIVE:
            if data is None:
                data = event_data(event)
            body, content_type = native_body(event, msg_id, data), JSON
        else:
            if event.record_id is None:
                continue
            body, content_type = bitrix_body(event, hook, name), FORM
        rows.append(WebhookDelivery(webhook=hook, msg_id=msg_id, event=name, entity=event.entity or "",
                                    record_id=event.record_id, content_type=content_type, body=body,
                                    next_attempt_at=event.occurred_at))
    if not rows:
        return
    WebhookDelivery.objects.bulk_create(rows)
    hook_ids = sorted({r.webhook_id for r in rows})
    transaction.on_commit(lambda: wake(hook_ids))


def wake(hook_ids: list[int]) -> None:
    """Hand the webhooks' pending deliveries to the background worker."""
    from kontor.events.tasks import deliver_task

    for hook_id in hook_ids:
        deliver_task.enqueue(hook_id)
