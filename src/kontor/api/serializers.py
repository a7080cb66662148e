"""Records to wire dicts (SPEC §5 names), many at a time.

A record's fields come from its specs (``kontor.crm.fields``); multi-fields, deal contacts, contact
companies and activity bindings come from one query per page, never one per record; a single record
goes through the same functions as a page of one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet

from kontor.crm.enums import CommType, EntityType
from kontor.crm.fields import FieldSpec, Kind, native_value, specs_for, uf_values
from kontor.crm.models import (
    Activity,
    ContactCompany,
    DealContact,
    LeadStatus,
    Pipeline,
    Stage,
)
from kontor.crm.selectors import record_bindings, record_communications


def _comm(c) -> dict[str, Any]:
    return {"id": c.pk, "value": c.value, "type": c.value_type, "normalized": c.normalized}


def _links(spec: FieldSpec, ids: list[int]) -> dict[int, list[int]]:
    """``{record id: [linked ids, primary first]}`` of a LINKS field, one query for the page."""
    found: dict[int, list[int]] = {pk: [] for pk in ids}
    rows: Iterable[tuple[int, int]]
    if spec.name == "contact_ids":
        rows = DealContact.objects.filter(deal_id__in=ids).order_by("sort", "id").values_list("deal_id", "contact_id")
    elif spec.name == "company_ids":
        rows = ContactCompany.objects.filter(contact_id__in=ids).order_by("sort", "id").values_list(
            "contact_id", "company_id")
    else:  # a new LINKS field needs its link table named here
        raise NotImplementedError(spec.name)
    for record_id, linked_id in rows:
        found[record_id].append(linked_id)
    return found


def records_out(entity: EntityType, records: Sequence[Any],
                specs: Sequence[FieldSpec] | None = None) -> list[dict[str, Any]]:
    """Records of one kind as the native API sends them: every field of its specs (custom ones as
    flat ``uf_crm_*`` keys, ``None`` when empty), values through ``native_value`` (money a decimal
    string). Multi-fields and linked ids are loaded for the whole page, one query each."""
    specs = specs if specs is not None else specs_for(entity)
    ids = [r.pk for r in records]
    comms = record_communications(entity, ids) if any(s.kind == Kind.MULTI for s in specs) else {}
    links = {s.name: _links(s, ids) for s in specs if s.kind == Kind.LINKS}
    out = []
    for record in records:
        uf = uf_values(record)
        row: dict[str, Any] = {}
        for spec in specs:
            if spec.is_custom:
                row[spec.name] = uf.get(spec.name)
            elif spec.kind == Kind.MULTI:
                row[spec.name] = [_comm(c) for c in comms[record.pk][spec.comm_type or ""]]
            elif spec.name in ("has_phone", "has_email"):
                row[spec.name] = bool(comms[record.pk][CommType.PHONE if spec.name == "has_phone" else CommType.EMAIL])
            elif spec.kind == Kind.LINKS:
                row[spec.name] = links[spec.name][record.pk]
            else:
                row[spec.name] = native_value(spec, getattr(record, spec.column))
        out.append(row)
    return out


def _communication_out(item: dict[str, Any]) -> dict[str, Any]:
    entity_type = item.get("entity_type")
    return {"type": item.get("type", ""), "value": item.get("value", ""),
            "entity_type": EntityType(entity_type).name.lower() if entity_type else None,
            "entity_id": item.get("entity_id")}


def activities_out(activities: Sequence[Activity]) -> list[dict[str, Any]]:
    bindings = record_bindings([a.pk for a in activities])
    return [
        {
            "id": a.pk, "type": a.type, "subject": a.subject, "description": a.description, "deadline": a.deadline,
            "start_time": a.start_time, "end_time": a.end_time,
            "communications": [_communication_out(c) for c in a.communications or []],
            "completed": a.completed, "completed_at": a.completed_at, "responsible_id": a.responsible_id,
            "direction": a.direction, "priority": a.priority, "bindings": bindings[a.pk],
            "created_at": a.created_at, "updated_at": a.updated_at,
        }
        for a in activities
    ]


def stage_out(stage: Stage) -> dict[str, Any]:
    return {"id": stage.pk, "pipeline_id": stage.pipeline_id, "code": stage.code, "name": stage.name,
            "sort": stage.sort, "semantic": stage.semantic, "color": stage.color}


def pipeline_out(pipeline: Pipeline, stages: Sequence[Stage] | None = None) -> dict[str, Any]:
    """A pipeline with its stages in order; ``stages`` when prefetched, else one query."""
    if stages is None:
        stages = list(pipeline.stages.order_by("sort", "id"))
    return {"id": pipeline.pk, "name": pipeline.name, "sort": pipeline.sort, "is_default": pipeline.is_default,
            "created_at": pipeline.created_at, "stages": [stage_out(s) for s in stages]}


def lead_status_out(status: LeadStatus) -> dict[str, Any]:
    return {"id": status.code, "code": status.code, "name": status.name, "sort": status.sort,
            "semantic": status.semantic, "color": status.color, "system": status.system}


def page(qs: QuerySet, *, limit: int, offset: int, render, count: bool = True) -> dict[str, Any]:
    """The list envelope ``{"items", "total", "has_more", "limit", "offset"}`` for one page of ``qs``.

    One row more than the page is read to know whether another page follows. ``total`` is counted
    only when asked for and not already known: a page that ends the list (not past its end) knows it.
    With ``count=False`` it is ``None`` (``?count=false``: no ``COUNT(*)`` over a big list)."""
    # The wire shape needs only the foreign keys' ids: joining the related rows would only cost time.
    items = list(qs.select_related(None)[offset:offset + limit + 1])
    has_more = len(items) > limit
    items = items[:limit]
    total: int | None = None
    if count:
        total = offset + len(items) if not has_more and (items or not offset) else qs.count()
    return {"items": render(items), "total": total, "has_more": has_more, "limit": limit, "offset": offset}
