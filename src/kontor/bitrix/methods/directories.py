"""Pipelines (crm.category.*, crm.dealcategory.*) and status directories (crm.status.*).

Pipelines, stages, lead statuses and sources are settings: only admins change them (400 "Access denied."
for a manager's webhook), through the same services the native API uses.
"""

from __future__ import annotations

from typing import Any

from kontor.bitrix.errors import access_denied, crm_error, not_found
from kontor.bitrix.mapping import CODE_SEMANTIC, SEMANTIC_CODE, Catalog, dt, yn
from kontor.bitrix.methods.common import field_meta, fields_param, text_in
from kontor.bitrix.models import DirectoryEntry
from kontor.bitrix.params import get_id, get_mapping, get_param, to_int
from kontor.bitrix.registry import Call, Page, method
from kontor.crm import services
from kontor.crm.enums import Semantic
from kontor.crm.models import DirectoryItem, LeadStatus, Pipeline, Source, Stage
from kontor.crm.services.directories import (
    DIRECTORIES,
    directory_item_create,
    directory_item_delete,
    directory_item_update,
)
from kontor.crm.services.sources import source_create, source_delete, source_update

DEAL_ENTITY_TYPE = 2
DIRECTORY_NAMES = {"HONORIFIC": "Salutations", "CONTACT_TYPE": "Contact types", "COMPANY_TYPE": "Company types",
                   "DEAL_TYPE": "Deal types", "INDUSTRY": "Industries", "EMPLOYEES": "Employees"}
EXTRA_SEMANTICS: dict[str, str] = {Semantic.PROCESS: "process", Semantic.SUCCESS: "success",
                                   Semantic.FAILURE: "failure"}


def require_admin(call: Call) -> None:
    if not getattr(call.user, "is_crm_admin", False):
        raise access_denied()


# --- crm.category.* (entityTypeId 2 only) --------------------------------------------------------


def _entity_type(call: Call) -> None:
    if to_int(get_param(call.params, "entityTypeId")) != DEAL_ENTITY_TYPE:
        raise crm_error("Entity type is not supported: only deals (entityTypeId 2) have categories.")


def _category(pipeline: Pipeline, catalog: Catalog) -> dict[str, Any]:
    return {"id": catalog.category_id(pipeline.pk), "name": pipeline.name, "sort": pipeline.sort,
            "entityTypeId": DEAL_ENTITY_TYPE, "isDefault": yn(pipeline.pk == catalog.default_pk),
            "originId": "", "originatorId": ""}


def _pipeline(call: Call, raw_id: Any) -> Pipeline:
    pk = call.catalog.pipeline_pk(raw_id)
    if pk is None:
        raise not_found()
    return call.catalog.pipelines[pk]


def category_list(call: Call) -> Page:
    _entity_type(call)
    cats = [_category(p, call.catalog) for p in call.catalog.pipelines.values()]
    cats.sort(key=lambda c: (c["isDefault"] != "Y", c["sort"], c["id"]))
    return Page({"categories": cats}, total=len(cats))


method("crm.category.list")(category_list)


def category_get(call: Call) -> dict[str, Any]:
    _entity_type(call)
    return {"category": _category(_pipeline(call, get_param(call.params, "id")), call.catalog)}


method("crm.category.get")(category_get)


def category_add(call: Call) -> dict[str, Any]:
    _entity_type(call)
    require_admin(call)
    fields = {str(k).lower(): v for k, v in get_mapping(call.params, "fields").items()}
    sort = to_int(fields.get("sort"))
    pipeline = services.pipeline_create(actor=call.user, name=text_in(fields.get("name")),
                                        sort=500 if sort is None else sort)
    return {"category": _category(pipeline, Catalog())}


method("crm.category.add")(category_add)


def category_update(call: Call) -> dict[str, Any]:
    _entity_type(call)
    require_admin(call)
    pipeline = _pipeline(call, get_param(call.params, "id"))
    fields = {str(k).lower(): v for k, v in get_mapping(call.params, "fields").items()}
    data: dict[str, Any] = {}
    if "name" in fields:
        data["name"] = text_in(fields["name"])
    if "sort" in fields:
        data["sort"] = fields["sort"]
    pipeline = services.pipeline_update(pipeline=pipeline, actor=call.user, data=data)
    return {"category": _category(pipeline, call.catalog)}


method("crm.category.update")(category_update)


def category_delete(call: Call) -> bool:
    _entity_type(call)
    require_admin(call)
    services.pipeline_delete(pipeline=_pipeline(call, get_param(call.params, "id")), actor=call.user)
    return True


method("crm.category.delete")(category_delete)


def category_fields(call: Call) -> dict[str, Any]:
    return {"fields": {
        "id": field_meta("integer", "ID", read_only=True),
        "name": field_meta("string", "Name", required=True),
        "sort": field_meta("integer", "Sort"),
        "entityTypeId": field_meta("integer", "Entity type", read_only=True),
        "isDefault": field_meta("boolean", "Default", read_only=True),
    }}


method("crm.category.fields")(category_fields)


# --- crm.dealcategory.* (deprecated, still used) -------------------------------------------------


def _dealcategory(pipeline: Pipeline, catalog: Catalog) -> dict[str, Any]:
    return {"ID": str(catalog.category_id(pipeline.pk)), "CREATED_DATE": dt(pipeline.created_at),
            "NAME": pipeline.name, "IS_LOCKED": "N", "SORT": str(pipeline.sort)}


def dealcategory_list(call: Call) -> Page:
    items = [_dealcategory(p, call.catalog) for p in call.catalog.pipelines.values()
             if p.pk != call.catalog.default_pk]
    return Page(items, total=len(items))


method("crm.dealcategory.list")(dealcategory_list)


def dealcategory_get(call: Call) -> dict[str, Any]:
    return _dealcategory(_pipeline(call, get_param(call.params, "id")), call.catalog)


method("crm.dealcategory.get")(dealcategory_get)


def dealcategory_add(call: Call) -> int:
    require_admin(call)
    fields = fields_param(call.params)
    sort = to_int(fields.get("SORT"))
    pipeline = services.pipeline_create(actor=call.user, name=text_in(fields.get("NAME")),
                                        sort=500 if sort is None else sort)
    return pipeline.pk


method("crm.dealcategory.add")(dealcategory_add)


def dealcategory_stage_list(call: Call) -> list[dict[str, Any]]:
    raw = get_param(call.params, "id")
    pk = call.catalog.default_pk if raw in (None, "") else call.catalog.pipeline_pk(raw)
    if pk is None:
        return []
    stages = _stages_of(call.catalog, pk)
    ids = _entry_ids([(_directory_of_pipeline(call.catalog, pk), call.catalog.stage_id(st.pk) or st.code)
                      for st in stages])
    return [_stage_entry(st, call.catalog, ids=ids) for st in stages]


method("crm.dealcategory.stage.list")(dealcategory_stage_list)


def dealcategory_update(call: Call) -> bool:
    require_admin(call)
    pipeline = _pipeline(call, get_param(call.params, "id"))
    fields = fields_param(call.params)
    data: dict[str, Any] = {}
    if "NAME" in fields:
        data["name"] = text_in(fields["NAME"])
    if "SORT" in fields:
        data["sort"] = fields["SORT"]
    services.pipeline_update(pipeline=pipeline, actor=call.user, data=data)
    return True


method("crm.dealcategory.update")(dealcategory_update)


def dealcategory_delete(call: Call) -> bool:
    require_admin(call)
    raw = get_param(call.params, "id")
    if to_int(raw) == 0:
        raise crm_error("The default category cannot be deleted.")
    services.pipeline_delete(pipeline=_pipeline(call, raw), actor=call.user)
    return True


method("crm.dealcategory.delete")(dealcategory_delete)


def dealcategory_default_get(call: Call) -> dict[str, Any]:
    """The default pipeline, which Bitrix24 numbers 0."""
    return _dealcategory(call.catalog.pipelines[call.catalog.default_pk], call.catalog)


method("crm.dealcategory.default.get")(dealcategory_default_get)


def dealcategory_fields(call: Call) -> dict[str, Any]:
    return {"ID": field_meta("integer", "ID", read_only=True),
            "CREATED_DATE": field_meta("datetime", "Created on", read_only=True),
            "NAME": field_meta("string", "Name", required=True),
            "IS_LOCKED": field_meta("char", "Locked", read_only=True),
            "SORT": field_meta("integer", "Sort")}


method("crm.dealcategory.fields")(dealcategory_fields)


# --- crm.status.* --------------------------------------------------------------------------------


def _stages_of(catalog: Catalog, pipeline_pk: int) -> list[Stage]:
    return [st for st in catalog.stages.values() if st.pipeline_id == pipeline_pk]


def _directory_of_pipeline(catalog: Catalog, pipeline_pk: int) -> str:
    category = catalog.category_id(pipeline_pk)
    return "DEAL_STAGE" if category == 0 else f"DEAL_STAGE_{category}"


def _entry_ids(keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Numeric ids of directory entries, handed out on first sight."""
    if not keys:
        return {}
    DirectoryEntry.objects.bulk_create(
        [DirectoryEntry(entity_id=e, status_id=st) for e, st in keys], ignore_conflicts=True
    )
    entity_ids = {e for e, _ in keys}
    rows = DirectoryEntry.objects.filter(entity_id__in=entity_ids)
    return {(r.entity_id, r.status_id): r.pk for r in rows}


def _entry(entity_id: str, status_id: str, name: str, sort: int, *, system: bool, semantic: str | None,
           color: str, category_id: int | None, ids: dict) -> dict[str, Any]:
    semantics = None if semantic in (None, Semantic.PROCESS) else SEMANTIC_CODE[semantic]
    entry: dict[str, Any] = {
        "ID": str(ids.get((entity_id, status_id), "")) or None,
        "ENTITY_ID": entity_id,
        "STATUS_ID": status_id,
        "NAME": name,
        "NAME_INIT": name if system else "",
        "SORT": str(sort),
        "SYSTEM": yn(system),
        "CATEGORY_ID": None if category_id is None else str(category_id),
        "COLOR": color or None,
        "SEMANTICS": semantics,
    }
    if semantic is not None:
        entry["EXTRA"] = {"SEMANTICS": EXTRA_SEMANTICS[semantic], "COLOR": color or None}
    return entry


def _stage_entry(stage: Stage, catalog: Catalog, ids: dict) -> dict[str, Any]:
    return _entry(_directory_of_pipeline(catalog, stage.pipeline_id), catalog.stage_id(stage.pk) or stage.code,
                  stage.name, stage.sort, system=stage.code in ("NEW", "WON", "LOSE"),
                  semantic=stage.semantic, color=stage.color,
                  category_id=catalog.category_id(stage.pipeline_id), ids=ids)


def _directory(catalog: Catalog, entity_id: str) -> list[tuple[str, str, Any]]:
    """``[(ENTITY_ID, STATUS_ID, row)]`` of one directory (or of all when ``entity_id`` is empty)."""
    out: list[tuple[str, str, Any]] = []
    if entity_id in ("", "STATUS"):
        out += [("STATUS", st.code, st) for st in catalog.statuses.values()]
    if entity_id in ("", "SOURCE"):
        out += [("SOURCE", src.code, src) for src in Source.objects.order_by("sort", "code")]
    if entity_id == "" or entity_id in DIRECTORIES:
        items = DirectoryItem.objects.order_by("directory", "sort", "id")
        if entity_id:
            items = items.filter(directory=entity_id)
        out += [(item.directory, item.code, item) for item in items]
    for pk in catalog.pipelines:
        directory = _directory_of_pipeline(catalog, pk)
        if entity_id in ("", directory):
            out += [(directory, catalog.stage_id(st.pk) or st.code, st) for st in _stages_of(catalog, pk)]
    return out


def _entries(catalog: Catalog, rows: list[tuple[str, str, Any]]) -> list[dict[str, Any]]:
    ids = _entry_ids([(e, st) for e, st, _ in rows])
    out = []
    for entity_id, status_id, row in rows:
        if isinstance(row, Stage):
            out.append(_stage_entry(row, catalog, ids))
        elif isinstance(row, LeadStatus):
            out.append(_entry(entity_id, status_id, row.name, row.sort, system=row.system, semantic=row.semantic,
                              color=row.color, category_id=None, ids=ids))
        elif isinstance(row, DirectoryItem):
            out.append(_entry(entity_id, status_id, row.name, row.sort, system=row.system, semantic=None, color="",
                              category_id=None, ids=ids))
        else:
            out.append(_entry(entity_id, status_id, row.name, row.sort, system=True, semantic=None, color="",
                              category_id=None, ids=ids))
    return out


def _entity_id_filter(call: Call) -> str:
    raw_filter = get_mapping(call.params, "filter", message="Parameter 'filter' must be array.")
    upper = {str(k).strip().lstrip("=").upper(): v for k, v in raw_filter.items()}
    value = upper.get("ENTITY_ID", "")
    if not isinstance(value, str):
        raise crm_error("Filter by ENTITY_ID must be a string")
    return value.strip().upper()


def status_list(call: Call) -> Page:
    raw_order = get_mapping(call.params, "order", message="Parameter 'order' must be array.")
    entries = _entries(call.catalog, _directory(call.catalog, _entity_id_filter(call)))
    for key, direction in reversed(list(raw_order.items())):
        name = str(key).upper()
        if name in ("SORT", "ID", "NAME", "STATUS_ID", "ENTITY_ID"):
            def sort_key(e, name=name):
                return int(e[name] or 0) if name in ("SORT", "ID") else (e[name] or "")
            entries.sort(key=sort_key, reverse=str(direction).upper() == "DESC")
    return Page(entries, total=len(entries))


method("crm.status.list")(status_list)


def status_entity_items(call: Call) -> list[dict[str, Any]]:
    entity_id = str(get_param(call.params, "entityId") or "").strip().upper()
    if not entity_id:
        raise crm_error("The parameter entityId is not defined or invalid.")
    return [{"NAME": e["NAME"], "SORT": int(e["SORT"]), "STATUS_ID": e["STATUS_ID"]}
            for e in _entries(call.catalog, _directory(call.catalog, entity_id))]


method("crm.status.entity.items")(status_entity_items)


def status_entity_types(call: Call) -> list[dict[str, Any]]:
    types: list[dict[str, Any]] = [
        {"ID": "STATUS", "NAME": "Lead statuses", "SEMANTIC_INFO": {
            "START_FIELD": "NEW", "FINAL_SUCCESS_FIELD": "CONVERTED", "FINAL_UNSUCCESS_FIELD": "JUNK",
            "FINAL_SORT": 0}, "ENTITY_TYPE_ID": 1},
        {"ID": "SOURCE", "NAME": "Sources"},
        *({"ID": directory, "NAME": DIRECTORY_NAMES[directory]} for directory in DIRECTORIES),
    ]
    for pk, pipeline in call.catalog.pipelines.items():
        stages = _stages_of(call.catalog, pk)
        success = next((st for st in stages if st.semantic == Semantic.SUCCESS), None)
        failure = next((st for st in stages if st.semantic == Semantic.FAILURE), None)
        category = call.catalog.category_id(pk)
        entry: dict[str, Any] = {
            "ID": _directory_of_pipeline(call.catalog, pk),
            "NAME": f"Deal stages ({pipeline.name})",
            "SEMANTIC_INFO": {
                "START_FIELD": call.catalog.stage_id(stages[0].pk) if stages else None,
                "FINAL_SUCCESS_FIELD": call.catalog.stage_id(success.pk) if success else None,
                "FINAL_UNSUCCESS_FIELD": call.catalog.stage_id(failure.pk) if failure else None,
                "FINAL_SORT": success.sort if success else 0,
            },
            "ENTITY_TYPE_ID": DEAL_ENTITY_TYPE,
        }
        if category:
            entry["PREFIX"] = f"C{category}"
            entry["FIELD_ATTRIBUTE_SCOPE"] = f"category_{category}"
            entry["CATEGORY_ID"] = category
        types.append(entry)
    return types


method("crm.status.entity.types")(status_entity_types)


def _split_stage(call: Call, entity_id: str, status_id: str) -> tuple[Pipeline, str]:
    """The pipeline of directory ``DEAL_STAGE[_N]`` and the bare stage code of ``status_id``."""
    category = "0" if entity_id == "DEAL_STAGE" else entity_id.removeprefix("DEAL_STAGE_")
    pk = call.catalog.pipeline_pk(category) if category.isdigit() else None
    if pk is None:
        raise crm_error(f"Directory {entity_id} not found.")
    code = status_id.split(":", 1)[1] if ":" in status_id else status_id
    return call.catalog.pipelines[pk], code


def _semantic_in(raw: Any) -> str:
    code = str(raw or "").strip().upper()
    return CODE_SEMANTIC.get(code, Semantic.PROCESS)


def status_add(call: Call) -> int:
    require_admin(call)
    fields = fields_param(call.params)
    entity_id = str(fields.get("ENTITY_ID") or "").strip().upper()
    # the services upper-case a code and refuse one that is not ASCII ("straße" is no "STRASSE")
    status_id = str(fields.get("STATUS_ID") or "").strip()
    if not entity_id or not status_id:
        raise crm_error("The fields ENTITY_ID and STATUS_ID are required.")
    data = {"code": status_id, "name": text_in(fields.get("NAME")), "semantic": _semantic_in(fields.get("SEMANTICS"))}
    if fields.get("SORT") not in (None, ""):
        data["sort"] = fields["SORT"]
    if fields.get("COLOR") not in (None, ""):
        data["color"] = text_in(fields["COLOR"])
    if entity_id == "STATUS":
        created = services.lead_status_create(actor=call.user, data=data)
        key = ("STATUS", created.code)
    elif entity_id == "SOURCE":
        source = source_create(actor=call.user, data={k: v for k, v in data.items() if k in ("code", "name", "sort")})
        key = ("SOURCE", source.code)
    elif entity_id.startswith("DEAL_STAGE"):
        pipeline, code = _split_stage(call, entity_id, status_id)
        data["code"] = code
        stage = services.stage_create(pipeline=pipeline, actor=call.user, data=data)
        key = (entity_id, Catalog().stage_id(stage.pk) or stage.code)
    elif entity_id in DIRECTORIES:
        item = directory_item_create(actor=call.user, directory=entity_id,
                                     data={k: v for k, v in data.items() if k in ("code", "name", "sort")})
        key = (entity_id, item.code)
    else:
        raise crm_error(f"Directory {entity_id} cannot be changed over REST in Kontor.")
    return _entry_ids([key])[key]


method("crm.status.add")(status_add)


def _resolve_entry(call: Call) -> tuple[str, Any]:
    pk = get_id(call.params)
    ref = DirectoryEntry.objects.filter(pk=pk).first()
    if ref is None:
        raise not_found()
    if ref.entity_id == "STATUS":
        row = call.catalog.statuses.get(ref.status_id)
    elif ref.entity_id == "SOURCE":
        row = Source.objects.filter(code=ref.status_id).first()
    elif ref.entity_id.startswith("DEAL_STAGE"):
        pipeline, code = _split_stage(call, ref.entity_id, ref.status_id)
        row = call.catalog.stage_by_key.get((pipeline.pk, code))
    elif ref.entity_id in DIRECTORIES:
        row = DirectoryItem.objects.filter(directory=ref.entity_id, code=ref.status_id).first()
    else:
        raise crm_error(f"Directory {ref.entity_id} cannot be changed over REST in Kontor.")
    if row is None:
        raise not_found()
    return ref.entity_id, row


def status_get(call: Call) -> dict[str, Any]:
    """One entry by the numeric ``ID`` crm.status.list hands out."""
    entity_id, row = _resolve_entry(call)
    return _entries(call.catalog, [(entity_id, _status_code(call, entity_id, row), row)])[0]


method("crm.status.get")(status_get)


def _status_code(call: Call, entity_id: str, row: Any) -> str:
    if isinstance(row, Stage):
        return call.catalog.stage_id(row.pk) or row.code
    return row.code


def status_update(call: Call) -> bool:
    require_admin(call)
    fields = fields_param(call.params)
    _, row = _resolve_entry(call)
    data: dict[str, Any] = {}
    if "NAME" in fields:
        data["name"] = text_in(fields["NAME"])
    if "SORT" in fields:
        data["sort"] = fields["SORT"]
    if "COLOR" in fields:
        data["color"] = text_in(fields["COLOR"])
    if isinstance(row, Stage):
        if "SEMANTICS" in fields:
            data["semantic"] = _semantic_in(fields["SEMANTICS"])
        services.stage_update(stage=row, actor=call.user, data=data)
    elif isinstance(row, Source | DirectoryItem):
        if data.pop("color", None):
            raise crm_error("COLOR: entries of this directory have no colour.")
        if isinstance(row, Source):
            source_update(source=row, actor=call.user, data=data)
        else:
            directory_item_update(item=row, actor=call.user, data=data)
    else:
        services.lead_status_update(status=row, actor=call.user, data=data)
    return True


method("crm.status.update")(status_update)


def status_delete(call: Call) -> bool:
    require_admin(call)
    _, row = _resolve_entry(call)
    if isinstance(row, Stage):
        services.stage_delete(stage=row, actor=call.user)
    elif isinstance(row, Source):
        source_delete(source=row, actor=call.user)
    elif isinstance(row, DirectoryItem):
        directory_item_delete(item=row, actor=call.user)
    else:
        services.lead_status_delete(status=row, actor=call.user)
    return True


method("crm.status.delete")(status_delete)


def status_fields(call: Call) -> dict[str, Any]:
    return {
        "ID": field_meta("integer", "ID", read_only=True),
        "ENTITY_ID": field_meta("string", "Directory", required=True, immutable=True),
        "STATUS_ID": field_meta("string", "Status code", required=True, immutable=True),
        "NAME": field_meta("string", "Name", required=True),
        "SORT": field_meta("integer", "Sort"),
        "COLOR": field_meta("string", "Colour"),
        "SEMANTICS": field_meta("string", "Semantics", immutable=True),
        "SYSTEM": field_meta("char", "System", read_only=True),
        "CATEGORY_ID": field_meta("integer", "Category", read_only=True),
    }


method("crm.status.fields")(status_fields)


