"""``/api/v1/webhooks/outgoing``: outbound webhooks (admins only).

Kontor POSTs ``{"event", "id", "occurred_at", "data", "changes"}`` to the registered URL for each
subscribed event, signed as Standard Webhooks do (``webhook-id``, ``webhook-timestamp``,
``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``). The background worker
delivers, retries with backoff for more than 24 hours and logs every delivery
(``GET …/{id}/deliveries``). The services in ``kontor.events.services`` do the work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema, Status

from kontor.api.auth import current_user, require_admin
from kontor.api.schemas import Id, InputSchema, errors, no_query
from kontor.core.errors import not_found
from kontor.events.models import OutgoingWebhook, WebhookDelivery
from kontor.events.names import NATIVE_EVENTS
from kontor.events.services import delivery_resend, webhook_create, webhook_delete, webhook_enable

router = Router()


class WebhookIn(InputSchema):
    url: str
    events: list[str]
    secret: str | None = None


class WebhookOut(Schema):
    id: int
    url: str
    format: str
    events: list[str]
    secret: str
    active: bool
    disabled_reason: str
    disabled_at: datetime | None
    created_at: datetime
    pending: int
    failed: int


class DeliveryOut(Schema):
    id: int
    msg_id: str
    event: str
    entity: str
    record_id: int | None
    status: str
    attempts: int
    response_code: int | None
    duration_ms: int | None
    error: str
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime
    delivered_at: datetime | None


class DeliveryFilters(Schema):
    status: str | None = None
    limit: int = 50


def webhook_out(hook: OutgoingWebhook) -> dict[str, Any]:
    counts = {s: hook.deliveries.filter(status=s).count() for s in ("pending", "failed")}
    return {"id": hook.pk, "url": hook.url, "format": hook.format, "events": hook.events, "secret": hook.secret,
            "active": hook.active, "disabled_reason": hook.disabled_reason, "disabled_at": hook.disabled_at,
            "created_at": hook.created_at, **counts}


def delivery_out(d: WebhookDelivery) -> dict[str, Any]:
    return {f: getattr(d, f) for f in DeliveryOut.model_fields}


def _hook(pk: int) -> OutgoingWebhook:
    hook = OutgoingWebhook.objects.filter(pk=pk).first()
    if hook is None:
        raise not_found("Webhook", pk)
    return hook


@router.get("/outgoing", response={200: list[WebhookOut], **errors(401, 403, 422)},
            summary="List outbound webhooks (admin), Bitrix24 event.bind handlers included")
def list_webhooks(request):
    require_admin(request)
    no_query(request)
    return [webhook_out(h) for h in OutgoingWebhook.objects.order_by("id")]


@router.post("/outgoing", response={201: WebhookOut, **errors(400, 401, 403, 422)},
             summary=f"Register an outbound webhook (admin). Events: {', '.join(NATIVE_EVENTS)}")
def create_webhook(request, payload: WebhookIn):
    require_admin(request)
    hook = webhook_create(actor=current_user(request), url=payload.url, events=payload.events,
                          secret=payload.secret)
    return Status(201, webhook_out(hook))


@router.get("/outgoing/{webhook_id}", response={200: WebhookOut, **errors(401, 403, 404, 422)},
            summary="Read an outbound webhook (admin)")
def get_webhook(request, webhook_id: Id):
    require_admin(request)
    return webhook_out(_hook(webhook_id))


@router.delete("/outgoing/{webhook_id}", response={204: None, **errors(401, 403, 404, 422)},
               summary="Remove an outbound webhook with its delivery log (admin)")
def delete_webhook(request, webhook_id: Id):
    require_admin(request)
    webhook_delete(webhook=_hook(webhook_id), actor=current_user(request))
    return Status(204, None)


@router.post("/outgoing/{webhook_id}/enable", response={200: WebhookOut, **errors(401, 403, 404, 422)},
             summary="Turn a disabled webhook on again; its waiting deliveries go out oldest first (admin)")
def enable_webhook(request, webhook_id: Id):
    require_admin(request)
    return webhook_out(webhook_enable(webhook=_hook(webhook_id), actor=current_user(request)))


@router.get("/outgoing/{webhook_id}/deliveries", response={200: list[DeliveryOut], **errors(401, 403, 404, 422)},
            summary="The webhook's delivery log, newest first (admin): status, response code, duration, attempts")
def list_deliveries(request, webhook_id: Id, params: Query[DeliveryFilters]):
    require_admin(request)
    no_query(request, "status", "limit")
    qs = _hook(webhook_id).deliveries.order_by("-id")
    if params.status:
        qs = qs.filter(status=params.status)
    return [delivery_out(d) for d in qs[:max(1, min(params.limit, 500))]]


@router.post("/outgoing/{webhook_id}/deliveries/{delivery_id}/resend",
             response={200: DeliveryOut, **errors(401, 403, 404, 422)},
             summary="Send a delivery again, same body and webhook-id (admin)")
def resend_delivery(request, webhook_id: Id, delivery_id: Id):
    require_admin(request)
    delivery = WebhookDelivery.objects.filter(pk=delivery_id, webhook_id=_hook(webhook_id).pk).first()
    if delivery is None:
        raise not_found("Delivery", delivery_id)
    return delivery_out(delivery_resend(delivery=delivery, actor=current_user(request)))


