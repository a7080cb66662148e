"""crm.timeline.comment.* (the notes the web UI shows, through ``kontor.crm.services.notes``) and
crm.stagehistory.list (from the timeline).

A comment is a ``TimelineEntry`` of kind ``comment`` with ``data["text"]``; its author is the
webhook's user. ``crm.stagehistory.list`` reads a record's ``created`` and ``stage_changed`` /
``status_changed`` entries as Bitrix24's stage history: ``TYPE_ID`` 1 = created, 2 = moved to an
in-progress stage, 3 = moved to a final one, 5 = moved to another pipeline.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from django.db.models import Q

from kontor.bitrix.errors import RestError, argument_error, crm_error, translate
from kontor.bitrix.filters import Field, build_filter, build_order, parse_select
from kontor.bitrix.mapping import dt, s
from kontor.bitrix.methods.common import PAGE_SIZE, field_meta, fields_param, parse_start
from kontor.bitrix.params import get_id, get_mapping, get_param, to_int
from kontor.bitrix.registry import Call, Page, method
from kontor.core.errors import KontorError
from kontor.crm import access
from kontor.crm.enums import EntityType, Semantic, TimelineKind
from kontor.crm.models import RECORD_MODELS, Deal, Lead, TimelineEntry
from kontor.crm.services import notes

ENTITY_TYPES = {"lead": EntityType.LEAD, "deal": EntityType.DEAL, "contact": EntityType.CONTACT,
                "company": EntityType.COMPANY}
TYPE_NAMES = {v: k for k, v in ENTITY_TYPES.items()}
HISTORY_CHUNK = 500  # stage history entries typed at a time when a TYPE_ID filter keeps some moves only
COMMENT_FIELDS = {
    "ID": field_meta("integer", "ID", read_only=True),
    "CREATED": field_meta("datetime", "Created on", read_only=True),
    "ENTITY_ID": field_meta("integer", "Entity ID", required=True, immutable=True),
    "ENTITY_TYPE": field_meta("string", "Entity type", required=True, immutable=True),
    "AUTHOR_ID": field_meta("user", "Author", immutable=True),
    "COMMENT": field_meta("string", "Comment"),
    "FILES": field_meta("attached_diskfile", "Files", multiple=True),
}


def _entity_type(raw: Any) -> EntityType:
    text = str(raw or "").strip().lower()
    number = to_int(raw)
    if number in TYPE_NAMES:
        return EntityType(number)
    if text not in ENTITY_TYPES:
        raise crm_error("ENTITY_TYPE is not defined or invalid (lead, deal, contact or company).")
    return ENTITY_TYPES[text]


def comment_out(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "ID": str(entry.pk),
        "CREATED": dt(entry.created_at),
        "ENTITY_ID": str(entry.entity_id),
        "ENTITY_TYPE": TYPE_NAMES[EntityType(entry.entity_type)],
        "AUTHOR_ID": s(entry.actor_id),
        "COMMENT": (entry.data or {}).get("text", ""),
        "FILES": [],
    }


def _comment(call: Call) -> TimelineEntry:
    entries = access.scope_related(TimelineEntry.objects.all(), call.user)
    entry = entries.filter(pk=get_id(call.params), kind=TimelineKind.COMMENT).first()
    if entry is None:
        raise crm_error("Not found")
    return entry


def _no_files(fields: dict[str, Any]) -> None:
    if fields.get("FILES") not in (None, "", [], {}):
        raise argument_error("Field 'FILES' is not supported by Kontor (comments are text only).", "fields")


def comment_add(call: Call) -> int:
    fields = fields_param(call.params)
    _no_files(fields)
    unknown = set(fields) - {"ENTITY_ID", "ENTITY_TYPE", "COMMENT", "FILES", "AUTHOR_ID"}
    if unknown:
        raise argument_error(f"Field '{sorted(unknown)[0]}' is not supported for comments.", "fields")
    entity_id = to_int(fields.get("ENTITY_ID"))
    if entity_id is None or entity_id <= 0:
        raise crm_error("ENTITY_ID is not defined or invalid.")
    entity_type = _entity_type(fields.get("ENTITY_TYPE"))
    if not access.scope(RECORD_MODELS[entity_type]._default_manager.filter(pk=entity_id), call.user).exists():
        raise crm_error("Not found")  # as for a record that does not exist
    try:
        entry = notes.note_add(entity_type=entity_type, entity_id=entity_id,
                               text=fields.get("COMMENT"), actor=call.user, field="COMMENT")
    except KontorError as exc:
        raise translate(exc, {}) from exc
    return entry.pk


method("crm.timeline.comment.add")(comment_add)


def comment_get(call: Call) -> dict[str, Any]:
    return comment_out(_comment(call))


method("crm.timeline.comment.get")(comment_get)


def comment_update(call: Call) -> int:
    entry = _comment(call)
    fields = fields_param(call.params)
    _no_files(fields)
    if "COMMENT" not in fields:
        raise crm_error("Nothing to update: fields[COMMENT] is missing.")
    try:
        notes.note_update(entry=entry, text=fields["COMMENT"], actor=call.user, field="COMMENT")
    except KontorError as exc:
        raise translate(exc, {}) from exc
    return entry.pk


method("crm.timeline.comment.update")(comment_update)


def comment_delete(call: Call) -> bool:
    try:
        notes.note_delete(entry=_comment(call), actor=call.user)
    except KontorError as exc:
        raise translate(exc, {}) from exc
    return True


method("crm.timeline.comment.delete")(comment_delete)


def comment_fields(call: Call) -> dict[str, Any]:
    return COMMENT_FIELDS


method("crm.timeline.comment.fields")(comment_fields)


def _filter_entity_type(raw: Any) -> int:
    """``ENTITY_TYPE`` of the comment filter, a name or a number like on ``add``; -1 (no record) otherwise."""
    number = to_int(raw)
    return number if number in TYPE_NAMES else ENTITY_TYPES.get(str(raw).strip().lower(), -1)


COMMENT_FILTER = {"ID": Field("id"), "ENTITY_ID": Field("entity_id"),
                  "ENTITY_TYPE": Field("entity_type", compare=False, convert=_filter_entity_type),
                  "AUTHOR_ID": Field("actor_id"), "CREATED": Field("created_at", kind="datetime")}


def comment_list(call: Call) -> Page:
    """Comments of one record: ``filter`` must name ``ENTITY_ID`` and ``ENTITY_TYPE``."""
    raw_filter = get_mapping(call.params, "filter", message="Parameter 'filter' must be array.")
    named = {k.strip().upper().lstrip("=") for k in raw_filter if isinstance(k, str)}
    if not {"ENTITY_ID", "ENTITY_TYPE"} <= named:
        raise crm_error("ENTITY_ID and ENTITY_TYPE are required in the filter.")
    qs = access.scope_related(TimelineEntry.objects.filter(kind=TimelineKind.COMMENT), call.user)
    qs = qs.filter(build_filter(raw_filter, COMMENT_FILTER))
    order = build_order(get_mapping(call.params, "order", message="Parameter 'order' must be array."),
                        {"ID": "id", "CREATED": "created_at", "AUTHOR_ID": "actor_id"})
    qs = qs.order_by(*order)  # build_order ends with the id tie-breaker: oldest first unless told
    select_all, names = parse_select(get_param(call.params, "select"))
    start = max(parse_start(get_param(call.params, "start")), 0)
    total = qs.count()
    rows = [comment_out(e) for e in qs[start : start + PAGE_SIZE]]
    if not select_all:
        rows = [{k: v for k, v in row.items() if k in names or k == "ID"} for row in rows]
    return Page(rows, total, start + PAGE_SIZE if start + PAGE_SIZE < total else None)


method("crm.timeline.comment.list")(comment_list)


# --- stage history ------------------------------------------------------------------------------

HISTORY_FILTER = {"ID": Field("id"), "OWNER_ID": Field("entity_id"), "CREATED_TIME": Field("created_at",
                                                                                          kind="datetime")}


def stagehistory_list(call: Call) -> Page:
    """Stage moves of deals (``entityTypeId`` 2) or status moves of leads (1), oldest first."""
    entity_type = to_int(get_param(call.params, "entityTypeId"))
    if entity_type not in (EntityType.LEAD, EntityType.DEAL):
        raise RestError(400, "NOT_FOUND", "entityTypeId must be 1 (leads) or 2 (deals).")
    raw_filter = dict(get_mapping(call.params, "filter", message="Parameter 'filter' must be array."))
    type_filter = raw_filter.pop("TYPE_ID", None)
    moved = TimelineKind.STAGE_CHANGED if entity_type == EntityType.DEAL else TimelineKind.STATUS_CHANGED
    qs = TimelineEntry.objects.filter(entity_type=entity_type, kind__in=[TimelineKind.CREATED, moved])
    qs = access.scope_related(qs, call.user)
    qs = qs.filter(build_filter(raw_filter, HISTORY_FILTER))
    if type_filter is not None:
        wanted = {to_int(v) for v in (type_filter if isinstance(type_filter, list) else [type_filter])}
        kinds = ([TimelineKind.CREATED] if 1 in wanted else []) + ([moved] if wanted & {2, 3, 5} else [])
        qs = qs.filter(kind__in=kinds)
    order = build_order(get_mapping(call.params, "order", message="Parameter 'order' must be array."),
                        {"ID": "id", "CREATED_TIME": "created_at", "OWNER_ID": "entity_id"})
    qs = qs.order_by(*order)  # build_order ends with the id tie-breaker
    start = max(parse_start(get_param(call.params, "start")), 0)
    if type_filter is not None and {2, 3, 5} - wanted and wanted & {2, 3, 5}:
        # Some move types only: a move's type comes from the catalog, not a column, so the moves are
        # typed in chunks and counted and paged after the type filter.
        rows, total = _typed_page(call, EntityType(entity_type), qs, wanted, start)
    else:
        total = qs.count()
        rows = _history_rows(call, EntityType(entity_type), list(qs[start : start + PAGE_SIZE]))
    select_all, names = parse_select(get_param(call.params, "select"))
    if not select_all:
        rows = [{k: v for k, v in row.items() if k in names or k == "ID"} for row in rows]
    return Page({"items": rows}, total, start + PAGE_SIZE if start + PAGE_SIZE < total else None)


method("crm.stagehistory.list")(stagehistory_list)


def _typed_page(call: Call, entity_type: EntityType, qs, wanted: set[int | None],
                start: int) -> tuple[list[dict[str, Any]], int]:
    """The page at ``start`` of the entries whose ``TYPE_ID`` is wanted, and how many there are."""
    page: list[dict[str, Any]] = []
    total = 0
    entries = qs.iterator(chunk_size=HISTORY_CHUNK)
    while chunk := list(islice(entries, HISTORY_CHUNK)):
        for row in _history_rows(call, entity_type, chunk):
            if row["TYPE_ID"] in wanted:
                if start <= total < start + PAGE_SIZE:
                    page.append(row)
                total += 1
    return page, total


def _history_rows(call: Call, entity_type: EntityType, entries: list[TimelineEntry]) -> list[dict[str, Any]]:
    catalog = call.catalog
    owners = {e.entity_id for e in entries}
    current: dict[int, int] = {}  # a deal's pipeline now (leads have none)
    if entity_type == EntityType.DEAL:
        current = dict(Deal.objects.filter(pk__in=owners).values_list("pk", "pipeline_id"))
    # A created entry names no status for leads: the first move's "from" is where the record began.
    first_from: dict[int, dict[str, Any]] = {}
    for e in (TimelineEntry.objects.filter(Q(entity_id__in=owners), entity_type=entity_type,
                                           kind__in=[TimelineKind.STAGE_CHANGED, TimelineKind.STATUS_CHANGED])
              .order_by("id")):
        first_from.setdefault(e.entity_id, e.data or {})
    rows = []
    for e in entries:
        data = e.data or {}
        row: dict[str, Any] = {"ID": e.pk, "TYPE_ID": 1, "OWNER_ID": e.entity_id, "CREATED_TIME": dt(e.created_at)}
        if entity_type == EntityType.DEAL:
            first = first_from.get(e.entity_id, {})
            if e.kind == TimelineKind.CREATED:  # where the deal began: the pipeline the first move left
                code = data.get("stage") or first.get("from")
                pipeline = first.get("from_pipeline_id") or first.get("pipeline_id") or current.get(e.entity_id)
            else:
                code, pipeline = data.get("to"), data.get("pipeline_id") or current.get(e.entity_id)
            stage = catalog.stage_by_key.get((pipeline, code))
            semantic = catalog.stage_semantic(stage.pk) if stage else None
            if e.kind != TimelineKind.CREATED:
                # entries before "from_pipeline_id" was kept: a "from" stage unknown in the new pipeline
                left = data.get("from_pipeline_id") or pipeline
                before = catalog.stage_by_key.get((left, data.get("from")))
                moved = left != pipeline or before is None
                row["TYPE_ID"] = 5 if moved else (2 if stage and stage.semantic == Semantic.PROCESS else 3)
            row.update({"CATEGORY_ID": catalog.category_id(pipeline) if pipeline else None,
                        "STAGE_SEMANTIC_ID": semantic, "STAGE_ID": catalog.stage_id(stage.pk) if stage else code})
        else:
            if e.kind == TimelineKind.CREATED:
                code = first_from.get(e.entity_id, {}).get("from") or Lead.objects.filter(
                    pk=e.entity_id).values_list("status_id", flat=True).first()
            else:
                code = data.get("to")
                status = catalog.statuses.get(code)
                row["TYPE_ID"] = 2 if status is None or status.semantic == Semantic.PROCESS else 3
            row.update({"STATUS_SEMANTIC_ID": catalog.status_semantic(code), "STATUS_ID": code})
        rows.append(row)
    return rows
