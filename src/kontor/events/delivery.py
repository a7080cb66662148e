"""Sending deliveries: one runner per webhook, oldest first, retried with exponential backoff.

Order: a webhook's deliveries go out strictly in the order they were written (the order their
transactions committed, for one record), and a delivery waiting for its retry holds back the ones
after it — a receiver never sees an update before the create it follows. At-least-once: a delivery
is marked delivered only after a 2xx answer; a crash in between sends it again with the same
``webhook-id``, which is the receiver's de-duplication key.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import http.client
import ipaddress
import logging
import os
import socket
import ssl
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.db.models import Q
from django.utils import timezone

from kontor.core.errors import validation
from kontor.events.models import DeliveryStatus, OutgoingWebhook, WebhookDelivery, WebhookFormat

log = logging.getLogger(__name__)

#: Seconds before attempt n+1 (the last value repeats): about 1 s, 10 s, 1 min, 5 min, 30 min, 1 h,
#: then every 3 h until ``GIVE_UP_AFTER`` has passed since the delivery was written.
RETRY_DELAYS: list[float] = [1, 10, 60, 300, 1800, 3600, 10800]
GIVE_UP_AFTER = timedelta(hours=int(os.environ.get("KONTOR_WEBHOOKS_GIVE_UP_HOURS", "25")))
TIMEOUT_SECONDS = float(os.environ.get("KONTOR_WEBHOOKS_TIMEOUT", "10"))
LEASE = timedelta(seconds=60)
SWEEP_SECONDS = float(os.environ.get("KONTOR_WEBHOOKS_SWEEP_SECONDS", "5"))
#: Deliveries one task sends before it hands over to a fresh task (keeps one run short).
RUN_LIMIT = 500


def allow_private() -> bool:
    return os.environ.get("KONTOR_WEBHOOKS_ALLOW_PRIVATE", "").strip().lower() in ("1", "true", "yes", "on")


def _resolve(host: str) -> tuple[str | None, str | None]:
    """``(address to connect to, None)``, or ``(None, why host may not be called)``. Every address the
    host resolves to is checked; the first is the one the request then connects to, so a second DNS
    answer (rebinding) cannot send it somewhere the check never saw."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None, f"host {host} does not resolve"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if (address.is_private or address.is_loopback or address.is_link_local or address.is_reserved
                or address.is_multicast or address.is_unspecified):
            return None, (f"{host} resolves to {address}, a private or loopback address "
                          "(allowed with KONTOR_WEBHOOKS_ALLOW_PRIVATE=true)")
    if not infos:
        return None, f"host {host} does not resolve"
    return str(infos[0][4][0]), None


def _blocked_address(host: str) -> str | None:
    """Why ``host`` may not be called (``None``: it may)."""
    return _resolve(host)[1]


def check_url(url: str, field: str = "url") -> str:
    """A receiver URL: ``http(s)`` with a host; private and loopback addresses only when allowed."""
    if not isinstance(url, str) or not url.strip():
        raise validation(f"{field} is required", field)
    url = url.strip()
    if len(url) > 2000:
        raise validation(f"{field} is longer than 2000 characters", field)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise validation(f"{field} must be an http:// or https:// URL with a host", field)
    if parts.username or parts.password:
        raise validation(f"{field} must not contain a user name or password", field)
    if not allow_private():
        reason = _blocked_address(parts.hostname)
        if reason:
            raise validation(f"{field}: {reason}", field)
    return url


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: a ``whsec_`` secret's base64 bytes, any other string's UTF-8."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[6:], validate=True)
        except ValueError:
            pass
    return secret.encode()


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header value: ``v1,`` and base64(HMAC-SHA256(id.timestamp.body))."""
    digest = hmac.new(secret_key(secret), f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a hop: following it could reach an address the check refused."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the host name resolves to now."""

    def __init__(self, *args, pinned: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pinned = pinned

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As ``_PinnedHTTPConnection``, with TLS checked against the host name (SNI and certificate)."""

    def __init__(self, *args, pinned: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pinned = pinned

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _pinned_opener(address: str) -> urllib.request.OpenerDirector:
    class Http(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(functools.partial(_PinnedHTTPConnection, pinned=address), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(functools.partial(_PinnedHTTPSConnection, pinned=address), req,
                                context=ssl.create_default_context())

    return urllib.request.build_opener(_NoRedirect, Http, Https)


def send(hook: OutgoingWebhook, delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST one delivery. Returns (HTTP status or ``None``, error text; empty on a 2xx)."""
    opener = _opener
    if not allow_private():
        address, reason = _resolve(urlsplit(hook.url).hostname or "")
        if reason or address is None:
            return None, reason or "no address"
        opener = _pinned_opener(address)
    headers = {"Content-Type": delivery.content_type, "User-Agent": "Kontor-Webhooks/1"}
    if hook.format == WebhookFormat.NATIVE:
        timestamp = int(time.time())
        headers.update({"webhook-id": delivery.msg_id, "webhook-timestamp": str(timestamp),
                        "webhook-signature": sign(hook.secret, delivery.msg_id, timestamp, delivery.body)})
    request = urllib.request.Request(hook.url, data=delivery.body.encode(), headers=headers, method="POST")
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(65536)
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        cause: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return None, f"{type(exc).__name__}: {cause}"[:1000]


def _claim(hook_id: int) -> bool:
    now = timezone.now()
    return bool(OutgoingWebhook.objects.filter(pk=hook_id, active=True)
                .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
                .update(lease_until=now + LEASE))


def _release(hook_id: int) -> None:
    OutgoingWebhook.objects.filter(pk=hook_id).update(lease_until=None)


def _pending(hook_id: int):
    return WebhookDelivery.objects.filter(webhook_id=hook_id, status=DeliveryStatus.PENDING).order_by("id")


def deliver_pending(hook_id: int) -> int:
    """Send webhook ``hook_id``'s due deliveries in order; the background task runs this.

    Returns how many were delivered. Stops at the first one that fails (it waits for its retry) and
    asks the worker to come back then.
    """
    if not _claim(hook_id):
        return 0  # another runner has it (and re-checks for new deliveries before it lets go)
    delivered = 0
    retry_at = None
    try:
        while delivered < RUN_LIMIT:
            hook = OutgoingWebhook.objects.filter(pk=hook_id, active=True).first()
            head = _pending(hook_id).first() if hook else None
            if hook is None or head is None:
                break
            if head.next_attempt_at > timezone.now():
                retry_at = head.next_attempt_at
                break
            if _attempt(hook, head):
                delivered += 1
            else:
                head.refresh_from_db()
                if head.status == DeliveryStatus.PENDING:
                    retry_at = head.next_attempt_at
                break
            OutgoingWebhook.objects.filter(pk=hook_id).update(lease_until=timezone.now() + LEASE)
    finally:
        _release(hook_id)
    if retry_at is not None or delivered >= RUN_LIMIT:
        _enqueue(hook_id, retry_at)
    elif _pending(hook_id).exists() and OutgoingWebhook.objects.filter(pk=hook_id, active=True).exists():
        # Written while we held the lease: its wake-up found the webhook taken.
        _enqueue(hook_id, None)
    return delivered


def _enqueue(hook_id: int, run_after) -> None:
    from kontor.events.tasks import deliver_task

    if run_after is not None and run_after > timezone.now():
        deliver_task.using(run_after=run_after).enqueue(hook_id)
    else:
        deliver_task.enqueue(hook_id)


def _attempt(hook: OutgoingWebhook, delivery: WebhookDelivery) -> bool:
    started = time.monotonic()
    code, error = send(hook, delivery)
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_code = code
    delivery.duration_ms = int((time.monotonic() - started) * 1000)
    delivery.error = error
    ok = code is not None and 200 <= code < 300
    if ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
    elif code == 410:  # Gone: the receiver says it will never want these again
        delivery.status = DeliveryStatus.FAILED
        disable(hook, f"the receiver answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC")
    elif now - delivery.created_at >= GIVE_UP_AFTER:
        delivery.status = DeliveryStatus.FAILED
        disable(hook, f"a delivery failed for {GIVE_UP_AFTER.total_seconds() / 3600:.0f} hours "
                      f"({delivery.attempts} attempts), last: {error}")
    else:
        delay = RETRY_DELAYS[min(delivery.attempts - 1, len(RETRY_DELAYS) - 1)]
        delivery.next_attempt_at = now + timedelta(seconds=delay)
    delivery.save()
    if not ok:
        log.info("webhook %s: delivery %s attempt %s failed: %s", hook.pk, delivery.msg_id, delivery.attempts, error)
    return ok


def disable(hook: OutgoingWebhook, reason: str) -> None:
    """Stop delivering to ``hook``; the admin sees ``reason``. Its pending deliveries wait."""
    OutgoingWebhook.objects.filter(pk=hook.pk).update(active=False, disabled_reason=reason[:2000],
                                                      disabled_at=timezone.now())
    log.warning("webhook %s (%s) disabled: %s", hook.pk, hook.url, reason)


def enqueue_due() -> list[int]:
    """Queue a run for every active webhook with a due delivery and no runner (the worker's sweep)."""
    now = timezone.now()
    ids = list(WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now,
                                              webhook__active=True)
               .filter(Q(webhook__lease_until__isnull=True) | Q(webhook__lease_until__lt=now))
               .values_list("webhook_id", flat=True).distinct())
    for hook_id in ids:
        _enqueue(hook_id, None)
    return ids
