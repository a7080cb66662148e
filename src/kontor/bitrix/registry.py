"""The facade's method table and one call's context.

A method is a function ``handler(call) -> value | Page`` registered under one or more lower-case
Bitrix24 names. ``dispatch`` runs it and turns Kontor's domain errors into facade errors; the view
and ``batch`` both go through it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import DataError

from kontor.bitrix.errors import RestError, from_kontor, method_not_found
from kontor.core.errors import KontorError

log = logging.getLogger(__name__)


@dataclass
class Page:
    """A list method's answer: the rows plus ``total`` and (when more rows exist) ``next``."""

    result: Any
    total: int | None = None
    next: int | None = None


@dataclass
class Call:
    """One method invocation: who calls, with which parameters."""

    method: str
    user: Any
    params: dict[str, Any]

    @cached_property
    def catalog(self):
        """Pipelines, stages and lead statuses of this call (small tables, read once)."""
        from kontor.bitrix.mapping import Catalog

        return Catalog()


@dataclass
class Outcome:
    """What a method produced, with its timings (``time`` in the envelope)."""

    result: Any
    total: int | None
    next: int | None
    started: float
    finished: float


Handler = Callable[[Call], Any]
METHODS: dict[str, Handler] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler under the given Bitrix24 method names: ``method("crm.lead.add")(lead_add)``.

    Called after the function rather than used as a decorator: mutmut (``make mutants``) leaves decorated
    functions out, and the handlers are what the facade's mutation score is about.
    """

    def register(handler: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = handler
        return handler

    return register


def normalize_name(name: str) -> str:
    """``crm.lead.List.json`` → ``crm.lead.list`` (names are case-insensitive; ``.json`` optional)."""
    name = (name or "").strip().lower()
    for suffix in (".json", ".xml"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def lookup(name: str) -> Handler:
    _load()
    handler = METHODS.get(normalize_name(name))
    if handler is None:
        raise method_not_found()
    return handler


def dispatch(call: Call) -> Outcome:
    """Run a method; every expected failure comes out as a ``RestError``."""
    handler = lookup(call.method)
    started = time.time()
    try:
        value = handler(call)
    except KontorError as exc:
        raise from_kontor(exc) from exc
    except (DataError, OverflowError) as exc:  # e.g. a number too large for its column: the input's fault
        log.info("facade data error in %s: %s", call.method, exc)
        raise RestError(400, "ERROR_ARGUMENT", "A parameter value is out of range.") from exc
    finished = time.time()
    if isinstance(value, Page):
        return Outcome(value.result, value.total, value.next, started, finished)
    return Outcome(value, None, None, started, finished)


_loaded = False


def _load() -> None:
    """Import the method modules once, so their ``method(...)`` registrations run."""
    global _loaded
    if not _loaded:
        from kontor.bitrix.methods import (  # noqa: F401
            activities,
            batch,
            directories,
            events,
            items,
            misc,
            products,
            records,
            relations,
            telephony,
            timeline,
            userfields,
            users,
        )

        _loaded = True
