"""Event-bus subscribers that turn domain events into notifications, written after commit (only
changes that really happened are told, and a notification's failure never fails the change).

- ``<record>.created`` / ``<record>.updated`` whose responsible person (``assigned_id``; an
  activity's ``responsible_id``) is someone other than the person who made the change: "assigned
  to you". Changes without a person behind them (a web-form inquiry, the system) tell nothing here;
  the inquiry has its own notification.
- ``webform.submitted``: "new inquiry" to the person the form assigned it to.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kontor.events.bus import Event
from kontor.events.names import WEBFORM_SUBMITTED
from kontor.notifications.models import NotificationKind
from kontor.notifications.services import notify

RECORDS = ("lead", "deal", "contact", "company")


def _record(entity: str, record_id: int) -> Any:
    from kontor.crm.enums import EntityType
    from kontor.crm.models import RECORD_MODELS, Activity

    if entity == "activity":
        return Activity.objects.filter(pk=record_id).first()
    return RECORD_MODELS[EntityType.from_name(entity)]._default_manager.filter(pk=record_id).first()


def _responsible_id(entity: str, record: Any) -> int | None:
    return record.responsible_id if entity == "activity" else getattr(record, "assigned_id", None)


def _actor_name(actor_id: int | None) -> str:
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return actor.display_name if actor else ""


def _tell_assigned(entity: str, record: Any, responsible: int | None, actor_id: int | None) -> None:
    if responsible is None or actor_id is None or responsible == actor_id:
        return
    notify(responsible, NotificationKind.ASSIGNED, entity=entity, record_id=record.pk,
           data={"title": str(record) or f"#{record.pk}", "actor": _actor_name(actor_id)})


def assigned_on_create(event: Event) -> None:
    """A new record whose responsible person is not its creator. Runs in the creating transaction
    to read who was responsible *then* (a later change in the same transaction may reassign it —
    that change tells its own story); the notification itself is written after commit."""
    if event.record_id is None or event.actor_id is None:
        return
    if "assigned_id" in event.options and event.options["assigned_id"] in (None, event.actor_id):
        return  # the service told who is responsible (inquiry intake): nobody else to tell, no read
    entity = event.entity or ""
    record = _record(entity, event.record_id)
    if record is None:
        return
    responsible = _responsible_id(entity, record)
    if responsible is None or responsible == event.actor_id:
        return
    transaction.on_commit(lambda: _tell_assigned(entity, record, responsible, event.actor_id), robust=True)


def assigned_on_update(event: Event) -> None:
    """A record whose responsible person someone else changed (after commit; the new person from
    the event's ``changes``)."""
    entity = event.entity or ""
    key = "responsible_id" if entity == "activity" else "assigned_id"
    change = (event.changes or {}).get(key)
    if event.record_id is None or event.actor_id is None or not change:
        return
    record = _record(entity, event.record_id)
    if record is not None:
        _tell_assigned(entity, record, change[1], event.actor_id)


def webform_submitted(event: Event) -> None:
    """"New inquiry" to the person a web form assigned its inquiry to."""
    data = dict(event.data or {})
    if event.record_id is None or not data.get("assigned_id"):
        return
    record = _record(event.entity or "", event.record_id)
    notify(data["assigned_id"], NotificationKind.INQUIRY, entity=event.entity or "", record_id=event.record_id,
           data={"title": (str(record) if record is not None else "") or data.get("title", ""),
                 "form": data.get("form", "")})


def register() -> None:
    """Subscribe (``AppConfig.ready``)."""
    from kontor.events import bus

    for entity in (*RECORDS, "activity"):
        bus.subscribe(f"{entity}.created", assigned_on_create, phase=bus.Phase.IN_TRANSACTION, order=bus.REACT)
        bus.subscribe(f"{entity}.updated", assigned_on_update)
    bus.subscribe(WEBFORM_SUBMITTED, webform_submitted)
