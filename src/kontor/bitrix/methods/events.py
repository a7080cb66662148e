"""``event.bind``, ``event.unbind``, ``event.get``, ``events``: Bitrix24 outgoing webhooks.

A binding is an ``OutgoingWebhook`` in Bitrix24 format (``kontor.events``): the same worker,
retries and delivery log as native webhooks, and the POST is Bitrix24's form
(``event=ONCRMLEADADD&event_handler_id=…&data[FIELDS][ID]=42&ts=…&auth[application_token]=…``),
so handlers written for Bitrix24 work unchanged. Binding needs an administrator, as in Bitrix24.
"""

from __future__ import annotations

from typing import Any

from kontor.bitrix.errors import RestError, access_denied
from kontor.bitrix.params import get_param
from kontor.bitrix.registry import Call, method
from kontor.core.errors import ErrorCode, KontorError
from kontor.events.models import OutgoingWebhook, WebhookFormat
from kontor.events.names import BITRIX_EVENTS
from kontor.events.services import bitrix_event_bind, bitrix_event_unbind


def _admin(call: Call) -> None:
    if not getattr(call.user, "is_crm_admin", False):
        raise access_denied()


def _errors(exc: KontorError) -> RestError:
    if exc.code == ErrorCode.CONFLICT:
        return RestError(400, "ERROR_CORE", str(exc.message))
    if exc.field == "handler":
        return RestError(400, "WRONG_HANDLER_URL", str(exc.message))
    return RestError(400, "ERROR_EVENT_NOT_FOUND" if exc.field == "event" else "ERROR_ARGUMENT", str(exc.message))


def event_bind(call: Call) -> bool:
    """Bind ``handler`` (an http(s) URL) to ``event`` (``ONCRMLEADADD``, …); ``true``."""
    _admin(call)
    try:
        bitrix_event_bind(actor=call.user, event=get_param(call.params, "event"),
                          handler=get_param(call.params, "handler"))
    except KontorError as exc:
        raise _errors(exc) from exc
    return True


method("event.bind")(event_bind)


def event_unbind(call: Call) -> dict[str, int]:
    """Remove the bindings of ``event`` (to ``handler`` when given): ``{"count": n}``."""
    _admin(call)
    try:
        count = bitrix_event_unbind(actor=call.user, event=get_param(call.params, "event"),
                                    handler=get_param(call.params, "handler"))
    except KontorError as exc:
        raise _errors(exc) from exc
    return {"count": count}


method("event.unbind")(event_unbind)


def event_get(call: Call) -> list[dict[str, Any]]:
    """The bound handlers: ``[{"event", "handler", "auth_type", "offline"}]``."""
    _admin(call)
    return [{"event": hook.events[0], "handler": hook.url, "auth_type": "0", "offline": 0}
            for hook in OutgoingWebhook.objects.filter(format=WebhookFormat.BITRIX24).order_by("id")
            if hook.events]


method("event.get")(event_get)


def events_list(call: Call) -> list[str]:
    """The event names ``event.bind`` accepts."""
    return sorted(BITRIX_EVENTS)


method("events")(events_list)
