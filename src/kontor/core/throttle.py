"""Throttling: the client's address, login lockouts (django-axes) and database-backed rate limits.

Limits are counted in the database (:class:`kontor.core.models.RateCounter`, fixed windows), so
every gunicorn worker and every server behind one database sees the same counts. Limits are written
``N/SECONDS`` in the environment (README "Configuration").
"""

from __future__ import annotations

import ipaddress
import math
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


@dataclass(frozen=True)
class Rate:
    """At most ``limit`` hits per ``seconds``."""

    limit: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate | None:
        """``"10/3600"`` → 10 per hour; ``""``, ``"0"`` or ``"off"`` → no limit."""
        text = (text or "").strip().lower()
        if text in {"", "0", "off", "none"}:
            return None
        limit, _, seconds = text.partition("/")
        rate = cls(int(limit), int(seconds or 60))
        if rate.limit < 1 or rate.seconds < 1:
            raise ValueError(f"a rate is N/SECONDS with both above zero, not {text!r}")
        return rate


class RateLimited(Exception):
    """A caller went over a rate limit; ``retry_after`` seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests: try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends


def client_ip(request: HttpRequest) -> str:
    """The client's address: the proxy's last ``X-Forwarded-For`` entry when the proxy is trusted."""
    if getattr(settings, "KONTOR_TRUST_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # The trusted proxy appends the address it saw; earlier entries are the client's own claims.
        last = forwarded.rsplit(",", 1)[-1].strip()
        if _is_ip(last):
            return last
    remote = request.META.get("REMOTE_ADDR", "")
    return remote if _is_ip(remote) else "0.0.0.0"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def hit(key: str, rate: Rate | None) -> Verdict:
    """Count one hit of ``key`` in the current window of ``rate`` and say whether it is allowed.

    One short transaction of its own (an UPDATE, or an INSERT for the window's first hit), so the
    count holds across workers and is not undone when the caller's work fails.
    """
    if rate is None:
        return Verdict(True, 0, 0)
    now = time.time()
    window = int(now // rate.seconds) * rate.seconds
    retry_after = max(1, math.ceil(window + rate.seconds - now))
    from kontor.core.models import RateCounter

    for _ in range(3):
        with transaction.atomic():
            if RateCounter.objects.filter(key=key, window=window).update(count=F("count") + 1):
                count = RateCounter.objects.filter(key=key, window=window).values_list("count", flat=True).get()
                return Verdict(count <= rate.limit, count, retry_after)
        try:
            with transaction.atomic():
                expires = timezone.now() + timedelta(seconds=rate.seconds + 1)
                RateCounter.objects.create(key=key, window=window, count=1, expires_at=expires)
        except IntegrityError:  # another worker wrote the window's first hit: count on it
            continue
        if random.random() < 0.05:  # now and then, forget windows that ended
            RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
        return Verdict(rate.limit >= 1, 1, retry_after)
    raise RuntimeError(f"rate counter {key!r} could not be written")


def api_rate_check(user) -> None:  # type: ignore[no-untyped-def]
    """Count one native-API request of ``user``; raise :class:`RateLimited` over ``KONTOR_API_RATE``."""
    rate = Rate.parse(getattr(settings, "KONTOR_API_RATE", ""))
    if rate is None:
        return
    verdict = hit(f"api:user:{user.pk}", rate)
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)


def bitrix_rate_check(credential: str) -> None:
    """Count one facade request made with the webhook ``credential`` (its secret's hash: never the
    secret itself); raise :class:`RateLimited` over ``KONTOR_BITRIX_RATE``. A ``batch`` is one request,
    as Bitrix24 counts it."""
    rate = Rate.parse(getattr(settings, "KONTOR_BITRIX_RATE", ""))
    if rate is None:
        return
    verdict = hit(f"bitrix:hook:{credential[:32]}", rate)
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)


# --- login lockout (django-axes) ------------------------------------------------------------------

class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check for logins made through a request (the login page, the admin).

    ``authenticate()`` without a request (the test client, the shell) has no client to lock out and
    is left to the model backend instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_cooloff(request: HttpRequest | None) -> timedelta:
    """How long a lockout lasts: ``KONTOR_LOGIN_LOCKOUT_SECONDS``, doubled for each earlier lockout
    of the same address or user name in the last day, at most ``KONTOR_LOGIN_LOCKOUT_MAX_SECONDS``.

    The backoff is counted from django-axes' failure log (kept in the database).
    """
    base = settings.KONTOR_LOGIN_LOCKOUT_SECONDS
    if request is None:
        return timedelta(seconds=base)
    from axes.models import AccessFailureLog
    from django.db.models import Q

    since = timezone.now() - timedelta(days=1)
    ip = getattr(request, "axes_ip_address", None) or client_ip(request)
    who = Q(ip_address=ip)
    username = request.POST.get("username") if request.method == "POST" else None
    if username:
        who |= Q(username=username)
    # Each lockout takes limit - 1 failures that did not lock (the limit-th locks); attempts made
    # while locked out are logged as locked and do not count.
    failures = AccessFailureLog.objects.filter(who, attempt_time__gte=since, locked_out=False).count()
    lockouts = max(1, failures // max(1, settings.AXES_FAILURE_LIMIT - 1))
    return timedelta(seconds=min(base * 2 ** (lockouts - 1), settings.KONTOR_LOGIN_LOCKOUT_MAX_SECONDS))


def login_locked_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 with the login page's look and a ``Retry-After`` header."""
    seconds = int(login_cooloff(request).total_seconds())
    response = render(request, "web/account/locked.html", {"minutes": max(1, math.ceil(seconds / 60))}, status=429)
    response["Retry-After"] = str(seconds)
    return response
