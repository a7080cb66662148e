"""Activity services: create, update, complete, delete, and binding to records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kontor.accounts.models import Action, RecordKind
from kontor.core.errors import validation
from kontor.crm import access
from kontor.crm.enums import ActivityDirection, ActivityType, EntityType
from kontor.crm.models import RECORD_MODELS, Activity, ActivityBinding
from kontor.crm.services.common import (
    apply_changes,
    clean_text,
    resolve_user,
    unknown_fields,
)
from kontor.events.bus import record_event

ACTIVITY_FIELDS = (
    "type", "subject", "description", "deadline", "completed", "responsible_id", "bindings", "direction",
    "priority", "start_time", "end_time", "communications",
)
#: Communication kinds as Bitrix24 names them ("" for a meeting's participant without an address).
COMMUNICATION_TYPES = ("PHONE", "EMAIL", "IM", "WEB", "")
#: Types whose deadline is their start (Bitrix24: calls and meetings); the others end at the deadline.
STARTS_AT_DEADLINE = (ActivityType.CALL, ActivityType.MEETING)


def clean_datetime(value: Any, field: str) -> datetime | None:
    """An aware datetime from an ISO 8601 string or datetime; naive values are read in server time."""
    if value is None or value == "":
        return None
    parsed: datetime | None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip().replace(" ", "T", 1))
        except ValueError:
            parsed = None
        if parsed is None:
            raise validation(f"{field} must be an ISO 8601 date and time", field)
    else:
        raise validation(f"{field} must be an ISO 8601 date and time", field)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _record_ref(entity: Any, pk: Any, where: str, field: str, names: tuple[str, str]) -> tuple[EntityType, int]:
    """An existing record named by its kind (``lead`` or ``1``, …) and id; ``names`` are the two keys as
    the caller sent them, for the refusal."""
    try:
        entity_type = EntityType.from_name(entity) if isinstance(entity, str) else EntityType(int(entity))
    except (KeyError, ValueError, TypeError):
        raise validation(f"{where}.{names[0]} must be lead, deal, contact or company", field) from None
    try:
        record_id = int(pk)
    except (TypeError, ValueError):
        raise validation(f"{where}.{names[1]} must be a record id", field) from None
    if not RECORD_MODELS[entity_type]._default_manager.filter(pk=record_id).exists():
        raise validation(f"{where}: {entity_type.name.lower()} {record_id} does not exist", field)
    return entity_type, record_id


def clean_bindings(raw: Any) -> list[tuple[EntityType, int]]:
    """``[{"entity": "deal", "id": 5}, …]`` checked against existing records."""
    if not isinstance(raw, list | tuple) or not raw:
        raise validation("bindings must name at least one record: [{\"entity\": \"deal\", \"id\": 1}]", "bindings")
    out: list[tuple[EntityType, int]] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise validation(f"bindings[{index}] must be an object", "bindings")
        ref = _record_ref(item.get("entity"), item.get("id"), f"bindings[{index}]", "bindings", ("entity", "id"))
        if ref not in out:
            out.append(ref)
    return out


def clean_communications(raw: Any) -> list[dict[str, Any]]:
    """``[{"type": "PHONE", "value": "+49…", "entity_type": 3, "entity_id": 5}, …]``: who an activity is
    with. The value is kept as typed; the record, when named, must exist."""
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise validation("communications must be a list", "communications")
    out: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise validation(f"communications[{index}] must be an object", "communications")
        kind = str(item.get("type") or "").strip().upper()
        if kind not in COMMUNICATION_TYPES:
            raise validation(f"communications[{index}].type must be one of PHONE, EMAIL, IM, WEB",
                             "communications")
        value = clean_text(item.get("value") or "", "communications", max_length=255)
        entry: dict[str, Any] = {"type": kind, "value": value, "entity_type": None, "entity_id": None}
        if item.get("entity_type") not in (None, "", 0) or item.get("entity_id") not in (None, "", 0):
            entity_type, entity_id = _record_ref(item.get("entity_type"), item.get("entity_id"),
                                                 f"communications[{index}]", "communications",
                                                 ("entity_type", "entity_id"))
            entry["entity_type"], entry["entity_id"] = int(entity_type), entity_id
        out.append(entry)
    return out


def _clean_activity(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown_fields(data, ACTIVITY_FIELDS)
    values: dict[str, Any] = {}
    if "type" in data:
        if data["type"] not in ActivityType.values:
            raise validation(f"type must be one of {', '.join(ActivityType.values)}", "type")
        values["type"] = data["type"]
    if "subject" in data:
        values["subject"] = clean_text(data["subject"], "subject", required=True)
    if "description" in data:
        values["description"] = clean_text(data["description"], "description", max_length=None)
    for name in ("deadline", "start_time", "end_time"):
        if name in data:
            values[name] = clean_datetime(data[name], name)
    if "communications" in data:
        values["communications"] = clean_communications(data["communications"])
    if "completed" in data:
        if not isinstance(data["completed"], bool):
            raise validation("completed must be true or false", "completed")
        values["completed"] = data["completed"]
    if "responsible_id" in data:
        values["responsible"] = resolve_user(data["responsible_id"], "responsible_id")
    if "direction" in data and data["direction"] is not None:
        if isinstance(data["direction"], bool) or data["direction"] not in ActivityDirection.values:
            raise validation("direction must be 1 (incoming) or 2 (outgoing)", "direction")
        values["direction"] = data["direction"]
    if "priority" in data and data["priority"] is not None:
        if isinstance(data["priority"], bool) or data["priority"] not in (1, 2, 3):
            raise validation("priority must be 1, 2 or 3", "priority")
        values["priority"] = data["priority"]
    return values


def _bind(activity: Activity, bindings: Sequence[tuple[EntityType, int]]) -> None:
    ActivityBinding.objects.bulk_create(
        [ActivityBinding(activity=activity, entity_type=et, entity_id=pk) for et, pk in bindings],
        ignore_conflicts=True,
    )


def activity_create(*, actor=None, data: Mapping[str, Any]) -> Activity:
    """Create an activity bound to one or more records; the first binding is its owner."""
    with transaction.atomic():
        values = _clean_activity(data)
        if "subject" not in values:
            raise validation("subject is required", "subject")
        raw_bindings = data.get("bindings")
        if not raw_bindings and values.get("communications"):
            # As in Bitrix24: an activity without an owner belongs to the records it communicates with.
            raw_bindings = [{"entity": c["entity_type"], "id": c["entity_id"]} for c in values["communications"]
                            if c["entity_id"]]
        bindings = clean_bindings(raw_bindings)
        _derive_deadline(values, values.get("type", ActivityType.TODO))
        activity = Activity(**values, author=actor)
        activity.responsible = values.get("responsible", actor)
        access.require_add(actor, RecordKind.ACTIVITY, activity.responsible_id)
        access.require_bound(actor, bindings)
        activity.owner_type, activity.owner_id = bindings[0]
        if activity.completed:
            activity.completed_at = timezone.now()
        activity.save()
        _bind(activity, bindings)
        record_event("created", "activity", activity.pk, actor=actor)  # the timeline subscriber writes the entries
        return activity


def activity_update(*, activity: Activity, actor=None, data: Mapping[str, Any]) -> Activity:
    """Change an activity; ``bindings``, when given, replace the old ones."""
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        access.require(actor, activity, Action.EDIT)
        values = _clean_activity(data)
        bindings = clean_bindings(data["bindings"]) if "bindings" in data else None
        if bindings is not None:
            access.require_bound(actor, bindings)
        _derive_deadline(values, values.get("type", activity.type), fallback=False)
        changes = apply_changes(activity, values)
        access.require_owner(actor, activity)
        if "completed" in changes:
            activity.completed_at = timezone.now() if activity.completed else None
        if bindings is not None:
            before = _binding_list(activity)
            ActivityBinding.objects.filter(activity=activity).delete()
            _bind(activity, bindings)
            activity.owner_type, activity.owner_id = bindings[0]
            after = _binding_list(activity)
            if before != after:
                changes["bindings"] = [before, after]
        if changes:
            activity.updated_at = timezone.now()
            activity.save()
            if "responsible" in changes:  # the public name of the field
                changes["responsible_id"] = changes.pop("responsible")
            record_event("updated", "activity", activity.pk, actor=actor, changes=changes)
        return activity


def _derive_deadline(values: dict[str, Any], type_: str, *, fallback: bool = True) -> None:
    """Without an explicit deadline, a call's or meeting's deadline is its start, any other
    activity's its end (Bitrix24's rule for START_TIME / END_TIME); a new activity with only the
    other one given takes that (``fallback``)."""
    if "deadline" in values:
        return
    first, second = ("start_time", "end_time") if type_ in STARTS_AT_DEADLINE else ("end_time", "start_time")
    for name in (first, second) if fallback else (first,):
        if values.get(name) is not None:
            values["deadline"] = values[name]
            return


def _binding_list(activity: Activity) -> list[dict[str, Any]]:
    return [{"entity": EntityType(et).name.lower(), "id": pk}
            for et, pk in activity.bindings.order_by("id").values_list("entity_type", "entity_id")]


def activity_complete(*, activity: Activity, actor=None, completed: bool = True) -> Activity:
    """Mark an activity completed (or open again with ``completed=False``)."""
    with transaction.atomic():
        return activity_update(activity=activity, actor=actor, data={"completed": completed})


def activity_delete(*, activity: Activity, actor=None) -> None:
    """Delete an activity with its bindings."""
    with transaction.atomic():
        access.require(actor, activity, Action.DELETE)
        record_event("deleted", "activity", activity.pk, actor=actor)  # first: subscribers still see it
        activity.delete()


def activities_unbind_record(*, entity_type: EntityType, entity_id: int) -> None:
    """Remove a deleted record's bindings; activities bound to nothing else go with it."""
    bindings = ActivityBinding.objects.filter(entity_type=entity_type, entity_id=entity_id)
    activity_ids = list(bindings.values_list("activity_id", flat=True))
    ActivityBinding.objects.filter(entity_type=entity_type, entity_id=entity_id).delete()
    if activity_ids:
        orphans = list(Activity.objects.filter(pk__in=activity_ids, bindings__isnull=True).values_list("pk", flat=True))
        for orphan in orphans:
            record_event("deleted", "activity", orphan)
        Activity.objects.filter(pk__in=orphans).delete()
        still_bound = ActivityBinding.objects.filter(activity_id__in=activity_ids).order_by("activity_id", "id")
        owners: dict[int, tuple[int, int]] = {}
        for b in still_bound:
            owners.setdefault(b.activity_id, (b.entity_type, b.entity_id))
        for activity_id, (et, pk) in owners.items():
            Activity.objects.filter(pk=activity_id, owner_type=entity_type, owner_id=entity_id).update(
                owner_type=et, owner_id=pk
            )
