"""Per-process caches of configuration, correct across processes.

Configuration rows (CRM settings, pipelines and stages, sources, custom fields, outgoing webhooks;
users, departments, access roles and API tokens) change rarely but are read by every request. A
process caches what it built from them under the configuration *generation*: the token of the one
``core_configgeneration`` row, which database triggers renew in the same transaction as any change
to those tables (migrations core 0003, 0004), from whichever process or path the change came — the
ORM, ``QuerySet.update``, raw SQL, another gunicorn worker. Reading the token is one primary-key
look-up; a cache built under another token is rebuilt. A change rolled back restores the old
token, and tokens are random, so a token seen inside a rolled-back transaction is not reused by a
later change.

``generation_pinned()`` lets one service call read the token once for all its caches (it must not
change configuration inside). Within one web request it takes the token that token authentication
read at the start (``request_generation_keep``), so an API inquiry reads it once: the request then
sees configuration as of its start, as a request a moment earlier would have.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import connection

T = TypeVar("T")

_cache: dict[str, tuple[int, Any]] = {}
_lock = threading.Lock()
_pinned: ContextVar[int | None] = ContextVar("kontor_config_generation", default=None)
#: the token read at the start of the current web request (reset when a request starts and ends)
_request: ContextVar[int | None] = ContextVar("kontor_request_generation", default=None)
_NONE = object()


def generation() -> int | None:
    """The current configuration token (``None`` when the row is missing: nothing is cached then)."""
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM core_configgeneration WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


@contextmanager
def generation_pinned() -> Iterator[int | None]:
    """Read the token once for every ``cached`` call inside (one look-up per service call)."""
    if _pinned.get() is not None:
        yield _pinned.get()
        return
    token = _request.get()
    if token is None:
        token = generation()
    reset = _pinned.set(token)
    try:
        yield token
    finally:
        _pinned.reset(reset)


def request_generation_keep(token: int | None) -> None:
    """Remember ``token``, read at the start of this web request, for ``generation_pinned``."""
    _request.set(token)


def request_generation_reset(**kwargs: Any) -> None:
    """Forget the request's token (``request_started`` / ``request_finished``: threads serve many)."""
    _request.set(None)


def cached(name: str, build: Callable[[], T], *, token: int | None = None) -> T:
    """``build()``'s result, kept per process while the configuration token stays the same
    (``token``: the one the caller just read, else it is read here)."""
    if token is None:
        token = generation()
    hit = _cache.get(name, _NONE)
    if token is not None and hit is not _NONE and hit[0] == token:  # type: ignore[index]
        return hit[1]  # type: ignore[index]
    value = build()
    if token is not None:
        with _lock:
            _cache[name] = (token, value)
    return value


def clear() -> None:
    """Forget every cached value (tests)."""
    with _lock:
        _cache.clear()
