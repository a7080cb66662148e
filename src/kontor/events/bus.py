"""The event bus: services ``emit`` domain events, subscribers react.

Two phases, because two kinds of subscriber exist:

- ``IN_TRANSACTION`` subscribers run at once, inside the service's transaction. Their writes commit
  or roll back with the change itself: simple mode's auto-conversion (the API answers the converted
  lead, so it must happen before the service returns) and the webhook outbox (a committed change
  always has its deliveries queued; a rolled-back one never has).
- ``AFTER_COMMIT`` subscribers run from ``transaction.on_commit``: only for changes that really
  happened, never slowing or failing the write (a subscriber's error is logged, not raised).

The CRM services know nothing of their subscribers: ``kontor.crm`` imports only this module.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)


class Phase(Enum):
    IN_TRANSACTION = "in_transaction"
    AFTER_COMMIT = "after_commit"


@dataclass(frozen=True)
class Event:
    """One thing that happened.

    ``name`` is the public event name (``deal.created``, ``deal.stage_changed``, …, see
    ``kontor.events.names``); ``entity``/``record_id`` name the record; ``changes`` holds
    ``{field: [old, new]}`` for updates; ``data`` carries what the event adds (a batch's ids, a
    switch's modes). ``options`` are in-process hints for subscribers and never leave the process.
    """

    name: str
    entity: str | None = None
    record_id: int | None = None
    changes: Mapping[str, Any] | None = None
    data: Mapping[str, Any] | None = None
    actor_id: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: datetime = field(default_factory=timezone.now)


Subscriber = Callable[[Event], None]
#: Recorders (the webhook outbox, the timeline) write down what happened before reactions (simple
#: mode's auto-conversion) cause further events: a receiver gets ``lead.created`` before
#: ``lead.converted`` of the same lead.
RECORD = 0
REACT = 100
_subscribers: dict[Phase, dict[str, list[tuple[int, Subscriber]]]] = {p: defaultdict(list) for p in Phase}


def subscribe(name: str, subscriber: Subscriber, *, phase: Phase = Phase.AFTER_COMMIT, order: int = REACT) -> None:
    """Call ``subscriber(event)`` for every event called ``name`` (``"*"``: every event); lower
    ``order`` first (``RECORD`` before ``REACT``), then in registration order.

    Registering the same function twice for a name is a no-op (``ready`` may run more than once).
    """
    bucket = _subscribers[phase][name]
    if all(fn is not subscriber for _, fn in bucket):
        bucket.append((order, subscriber))


def unsubscribe(name: str, subscriber: Subscriber, *, phase: Phase = Phase.AFTER_COMMIT) -> None:
    """Undo ``subscribe`` (a listener for a while, such as a test's)."""
    bucket = _subscribers[phase][name]
    bucket[:] = [(order, fn) for order, fn in bucket if fn is not subscriber]


def _matching(phase: Phase, name: str) -> list[Subscriber]:
    table = _subscribers[phase]
    found = [*table.get(name, ()), *table.get("*", ())]
    return [fn for _, fn in sorted(found, key=lambda item: item[0])]  # stable: registration order kept


def emit(event: Event) -> Event:
    """Announce ``event``: in-transaction subscribers now, after-commit ones once the outermost
    transaction commits (at once outside a transaction). Returns the event."""
    for subscriber in _matching(Phase.IN_TRANSACTION, event.name):
        subscriber(event)
    after = _matching(Phase.AFTER_COMMIT, event.name)
    if after:
        transaction.on_commit(lambda: _after_commit(event, after))
    return event


def _after_commit(event: Event, subscribers: list[Subscriber]) -> None:
    for subscriber in subscribers:
        try:
            subscriber(event)
        except Exception:  # the change is committed; one subscriber's failure must not hide it
            log.exception("event subscriber %r failed for %s", subscriber, event.name)


def record_event(action: str, entity: str, record_id: int, *, actor=None, changes: Mapping[str, Any] | None = None,
                 data: Mapping[str, Any] | None = None, **options: Any) -> Event:
    """Emit ``<entity>.<action>`` for one record (``deal.updated`` with its ``changes``, …)."""
    return emit(Event(name=f"{entity}.{action}", entity=entity, record_id=record_id, changes=changes, data=data,
                      actor_id=getattr(actor, "pk", None), options=options))
