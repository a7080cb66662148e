"""The record timeline, written by a subscriber of the domain events.

Whichever path changed a record (the native API, the Bitrix24 facade, the web UI, an import, a
conversion), the service announced it with an event, and this module turns the event into the
timeline entries the record shows. It runs in the changing transaction (``IN_TRANSACTION``), so an
entry commits or rolls back with its change.

Entries and their ``data``:

- ``created``: lead ``{"title"}``, deal ``{"title", "stage"}``, contact and company ``{}``;
- ``updated``: ``{"changes": [{"field", "label_de", "label_en", "old", "new"}, …]}`` in field order,
  values as the native API writes them (money ``"12500.00"``, dates ISO, references by id, phones
  and e-mails as lists); money adds ``old_currency``/``new_currency``, references (users, directory
  entries, linked records) ``old_name``/``new_name`` as they were named at the change;
- ``status_changed`` (lead): ``{"from", "to", "from_name", "to_name"}`` status codes and their names
  at the time;
- ``stage_changed`` (deal): ``{"from", "to", "from_name", "to_name", "pipeline_id", "from_pipeline_id"}``
  (the pipelines of the new and the old stage);
- ``activity_added`` / ``activity_completed`` on each record an activity is bound to
  ``{"activity_id", "subject"[, "type"]}``;
- ``converted`` (lead): what it became (``deal_id``, ``contact_id``, ``company_id``, …) and
  ``created_from_lead`` ``{"lead_id", "title"}`` on each record the conversion made.

The switch job converts whole batches in SQL and writes the same entries set-based itself
(``kontor.modes.jobs``); its ``lead.converted_batch`` event needs nothing from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from kontor.core.db import insert
from kontor.crm.enums import EntityType, Semantic, TimelineKind
from kontor.events.bus import Event

#: Record kinds that have a timeline (an activity shows on the records it is bound to).
ENTITY_TYPES = {"lead": EntityType.LEAD, "deal": EntityType.DEAL, "contact": EntityType.CONTACT,
                "company": EntityType.COMPANY}
#: Changes another entry tells: a deal's stage (``stage_changed``) and a lead's status (``status_changed``).
SHOWN_ELSEWHERE = {"deal": ("stage_id", "pipeline_id"), "lead": ("status_id",)}


def _add(event: Event, entity_type: EntityType, entity_id: int, kind: TimelineKind, data: dict[str, Any]) -> None:
    from kontor.crm.models import TimelineEntry

    insert([TimelineEntry(entity_type=entity_type, entity_id=entity_id, kind=kind, data=data,
                          actor_id=event.actor_id)])


def record_created(event: Event) -> None:
    from kontor.crm.models import Deal, Lead

    entity_type = ENTITY_TYPES.get(event.entity or "")
    if entity_type is None or event.record_id is None:
        return
    data: dict[str, Any] = {}
    if "timeline_data" in event.options:  # the service knew it already (inquiry intake): no re-read
        data = dict(event.options["timeline_data"])
    elif entity_type == EntityType.LEAD:
        data = {"title": Lead.objects.filter(pk=event.record_id).values_list("title", flat=True).first() or ""}
    elif entity_type == EntityType.DEAL:
        row = Deal.objects.filter(pk=event.record_id).values_list("title", "stage__code").first()
        data = {"title": row[0], "stage": row[1]} if row else {}
    _add(event, entity_type, event.record_id, TimelineKind.CREATED, data)


def record_updated(event: Event) -> None:
    from kontor.crm.models import LeadStatus

    entity_type = ENTITY_TYPES.get(event.entity or "")
    if entity_type is None or event.record_id is None or not event.changes:
        return
    changes = dict(event.changes)
    if entity_type == EntityType.LEAD and "status_id" in changes:
        old, new = changes["status_id"]
        if LeadStatus.objects.filter(code=new, semantic=Semantic.SUCCESS).exists():
            return  # the conversion's own update: its ``converted`` entry tells it
        names = dict(LeadStatus.objects.filter(code__in=[old, new]).values_list("code", "name"))
        _add(event, entity_type, event.record_id, TimelineKind.STATUS_CHANGED,
             {"from": old, "to": new, "from_name": names.get(old, ""), "to_name": names.get(new, "")})
    for name in SHOWN_ELSEWHERE.get(event.entity or "", ()):
        changes.pop(name, None)
    if changes:
        _add(event, entity_type, event.record_id, TimelineKind.UPDATED,
             {"changes": describe_changes(entity_type, event.record_id, changes)})


def describe_changes(entity_type: EntityType, record_id: int, changes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``[{"field", "label_de", "label_en", "old", "new"}, …]`` of ``{name or column: [old, new]}``, in
    the order of the record's fields (labels from ``kontor.crm.fields``)."""
    from kontor.crm.fields import Kind, specs_for
    from kontor.crm.models import RECORD_MODELS

    specs = specs_for(entity_type, custom=any(k.startswith("uf_") for k in changes))
    index: dict[str, tuple[int, Any]] = {}
    for position, spec in enumerate(specs):
        index.setdefault(spec.name, (position, spec))
        index.setdefault(spec.column, (position, spec))
    currency: str | None = None
    out: list[tuple[int, dict[str, Any]]] = []
    for key, pair in changes.items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        position, spec = index.get(key, (len(specs), None))
        item: dict[str, Any] = {"field": spec.name if spec else key,
                                "label_de": spec.label_de if spec else key, "label_en": spec.label_en if spec else key,
                                "old": old, "new": new}
        if spec is not None and spec.kind in (Kind.USER, Kind.ENUM, Kind.LINK):
            # Names as they were at the change: a user, status or contact renamed or deleted later
            # does not rewrite the history.
            item["old_name"], item["new_name"] = reference_name(spec, old), reference_name(spec, new)
        if spec is not None and spec.kind == Kind.MONEY and not spec.is_custom:
            item["old"], item["new"] = _amount(old), _amount(new)
            if currency is None:
                model = RECORD_MODELS[entity_type]._default_manager
                currency = model.filter(pk=record_id).values_list("currency", flat=True).first() or ""
            currencies = changes.get("currency")
            item["old_currency"] = currencies[0] if currencies else currency
            item["new_currency"] = currencies[1] if currencies else currency
        out.append((position, item))
    return [item for _, item in sorted(out, key=lambda pair: pair[0])]


def reference_name(spec: Any, value: Any) -> str:
    """The name a reference value had now: a user's display name, a directory entry's or custom
    item's name, a linked record's title or a stage's/pipeline's name ("" when there is none)."""
    from django.contrib.auth import get_user_model

    from kontor.crm.fields import Kind
    from kontor.crm.models import RECORD_MODELS, DirectoryItem, LeadStatus, Pipeline, Source, Stage

    if value is None or value == "" or isinstance(value, list | dict):
        return ""
    try:
        if spec.kind == Kind.USER:
            user = get_user_model().objects.filter(pk=int(value)).first()
            return user.display_name if user else ""
        if spec.kind == Kind.ENUM:
            if spec.is_custom:
                return dict(spec.items).get(int(value), "") if str(value).isdigit() else ""
            if spec.directory == "STATUS":
                qs = LeadStatus.objects.filter(code=value)
            elif spec.directory == "SOURCE":
                qs = Source.objects.filter(code=value)
            else:
                qs = DirectoryItem.objects.filter(directory=spec.directory, code=value)
            return qs.values_list("name", flat=True).first() or ""
        models = {"stage": Stage, "pipeline": Pipeline, **{e.name.lower(): m for e, m in RECORD_MODELS.items()}}
        model = models.get(spec.link or "")
        obj = model._default_manager.filter(pk=int(value)).first() if model is not None else None
        return (getattr(obj, "name", None) or str(obj)) if obj is not None else ""
    except (TypeError, ValueError):
        return ""


def _amount(value: Any) -> Any:
    if value is None or value == "":
        return value
    try:
        return f"{Decimal(str(value)):.2f}"
    except (InvalidOperation, ValueError):
        return value


def stage_changed(event: Event) -> None:
    from kontor.crm.models import Stage

    if event.record_id is None or not event.changes or "stage_id" not in event.changes:
        return
    old_id, new_id = event.changes["stage_id"]
    stages = {s.pk: s for s in Stage.objects.filter(pk__in=[old_id, new_id])}
    old, new = stages.get(old_id), stages.get(new_id)
    data = dict(event.data or {})
    _add(event, EntityType.DEAL, event.record_id, TimelineKind.STAGE_CHANGED, {
        "from": old.code if old else data.get("stage_from"), "to": new.code if new else data.get("stage_to"),
        "from_name": old.name if old else "", "to_name": new.name if new else "",
        "pipeline_id": new.pipeline_id if new else None, "from_pipeline_id": old.pipeline_id if old else None})


def lead_converted(event: Event) -> None:
    """``converted`` on the lead, ``created_from_lead`` on each record made from it (the records
    whose ``lead_id`` names it; chosen existing ones are not)."""
    from kontor.crm.models import Company, Contact, Deal, Lead

    if event.record_id is None:
        return
    made = dict((event.data or {}).get("converted_to") or {})
    _add(event, EntityType.LEAD, event.record_id, TimelineKind.CONVERTED, made)
    title = Lead.objects.filter(pk=event.record_id).values_list("title", flat=True).first() or ""
    for entity_type, model, key in ((EntityType.DEAL, Deal, "deal_id"), (EntityType.CONTACT, Contact, "contact_id"),
                                    (EntityType.COMPANY, Company, "company_id")):
        pk = made.get(key)
        if pk and model.objects.filter(pk=pk, lead_id=event.record_id).exists():
            _add(event, entity_type, pk, TimelineKind.CREATED_FROM_LEAD, {"lead_id": event.record_id, "title": title})


def _activity_bindings(activity_id: int) -> list[tuple[int, int]]:
    from kontor.crm.models import ActivityBinding

    return list(ActivityBinding.objects.filter(activity_id=activity_id).order_by("id")
                .values_list("entity_type", "entity_id"))


def activity_created(event: Event) -> None:
    """``activity_added`` on every record the new activity is bound to."""
    from kontor.crm.models import Activity

    row = Activity.objects.filter(pk=event.record_id).values_list("subject", "type").first()
    if row is None or event.record_id is None:
        return
    for entity_type, entity_id in _activity_bindings(event.record_id):
        _add(event, EntityType(entity_type), entity_id, TimelineKind.ACTIVITY_ADDED,
             {"activity_id": event.record_id, "subject": row[0], "type": row[1]})


def activity_updated(event: Event) -> None:
    """``activity_completed`` on every bound record when the activity was just completed."""
    from kontor.crm.models import Activity

    completed = (event.changes or {}).get("completed")
    if not completed or completed[1] is not True or event.record_id is None:
        return
    subject = Activity.objects.filter(pk=event.record_id).values_list("subject", flat=True).first() or ""
    for entity_type, entity_id in _activity_bindings(event.record_id):
        _add(event, EntityType(entity_type), entity_id, TimelineKind.ACTIVITY_COMPLETED,
             {"activity_id": event.record_id, "subject": subject})


def register() -> None:
    """Subscribe to every record kind's events (``AppConfig.ready``)."""
    from kontor.events import bus

    for entity in ENTITY_TYPES:
        bus.subscribe(f"{entity}.created", record_created, phase=bus.Phase.IN_TRANSACTION, order=bus.RECORD)
        bus.subscribe(f"{entity}.updated", record_updated, phase=bus.Phase.IN_TRANSACTION, order=bus.RECORD)
    bus.subscribe("deal.stage_changed", stage_changed, phase=bus.Phase.IN_TRANSACTION, order=bus.RECORD)
    bus.subscribe("lead.converted", lead_converted, phase=bus.Phase.IN_TRANSACTION, order=bus.RECORD)
    bus.subscribe("activity.created", activity_created, phase=bus.Phase.IN_TRANSACTION, order=bus.RECORD)
    bus.subscribe("activity.updated", activity_updated, phase=bus.Phase.IN_TRANSACTION, order=bus.RECORD)
