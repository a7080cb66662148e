"""crm.item.{add,get,update,list,delete,fields} for leads (1), deals (2), contacts (3), companies (4).

The universal methods are the record methods under other names: each ``crm.item`` call is
translated to its ``crm.<kind>`` counterpart (same specs, services, filters, errors) and back.

Field names are Bitrix24's camelCase of the upper-case names: ``ASSIGNED_BY_ID`` → ``assignedById``,
``CONTACT_IDS`` → ``contactIds``, a few renamed as Bitrix24 does (``DATE_CREATE`` → ``createdTime``,
``CREATED_BY_ID`` → ``createdBy``), user fields ``UF_CRM_X`` → ``ufCrm_X`` (as Bitrix24 names the user
fields of leads, deals, contacts and companies). Phones, e-mails, websites and messengers are one
list ``fm`` of ``{id, typeId, valueType, value}``. Ids and numbers are JSON numbers here.

``categoryId`` on ``crm.item.update`` moves a deal to another pipeline (to ``stageId`` when given,
else to the pipeline's first stage) — the documented way to do it in Bitrix24.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kontor.bitrix.errors import RestError, crm_error
from kontor.bitrix.filters import split_key
from kontor.bitrix.methods.common import field_meta
from kontor.bitrix.methods.records import DEALS, ENTITIES, MULTI_FIELDS, RecordEntity
from kontor.bitrix.params import as_list, get_id, get_mapping, get_param, to_int, yes_no
from kontor.bitrix.registry import Call, Page, method
from kontor.core.errors import KontorError
from kontor.crm import services
from kontor.crm.enums import Semantic

ENTITY_TYPES = {1: "lead", 2: "deal", 3: "contact", 4: "company"}
#: Upper-case names crm.item.* spells differently from the plain camelCase.
RENAMES = {"DATE_CREATE": "createdTime", "DATE_MODIFY": "updatedTime", "CREATED_BY_ID": "createdBy",
           "MODIFY_BY_ID": "updatedBy", "MOVED_BY_ID": "movedBy", "MOVED_TIME": "movedTime",
           "DATE_CLOSED": "closedTime"}
INT_TYPES = {"integer", "user", "crm_category", "crm_lead", "crm_contact", "crm_company", "crm_deal",
             "crm_entity"}
FLOAT_TYPES = {"double", "money"}


def camel(upper: str, *, original_uf: bool = False) -> str:
    """Bitrix24's crm.item name of an upper-case field name (``useOriginalUfNames=Y``: user fields
    keep their ``UF_CRM_…`` names)."""
    if upper in RENAMES:
        return RENAMES[upper]
    if upper.startswith("UF_") and original_uf:
        return upper
    if upper.startswith("UF_CRM_"):
        return "ufCrm_" + upper[len("UF_CRM_"):]
    head, *rest = upper.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


class ItemNames:
    """The camelCase ↔ upper-case names of one record kind (custom fields included)."""

    def __init__(self, entity: RecordEntity, call: Call) -> None:
        self.meta = {k: v for k, v in entity.fields_description(call).items() if k not in MULTI_FIELDS}
        original_uf = yes_no(get_param(call.params, "useOriginalUfNames")) is True
        self.to_camel = {upper: camel(upper, original_uf=original_uf) for upper in self.meta}
        self.to_upper = {c: u for u, c in self.to_camel.items()}
        self.folded = {c.lower(): u for c, u in self.to_upper.items()}

    def upper(self, name: str) -> str:
        """A client's name as the upper-case one; unknown names pass on, to fail there by name."""
        if name in self.to_upper:
            return self.to_upper[name]
        if name in self.meta:  # already upper case
            return name
        return self.folded.get(name.lower(), name.upper())


def _entity(call: Call) -> RecordEntity:
    type_id = to_int(get_param(call.params, "entityTypeId"))
    if type_id not in ENTITY_TYPES:
        raise RestError(400, "NOT_FOUND", "Smart process not found: Kontor serves entityTypeId 1, 2, 3 and 4.")
    entity = ENTITIES[ENTITY_TYPES[type_id]]
    assert isinstance(entity, RecordEntity)
    return entity


def _sub(call: Call, params: dict[str, Any]) -> Call:
    sub = Call(method=call.method, user=call.user, params=params)
    sub.__dict__.update({k: v for k, v in call.__dict__.items() if k in ("catalog", "_bitrix_specs")})
    return sub


def _fields_in(names: ItemNames, raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if str(key).lower() == "fm":
            for item in as_list(value):
                if not isinstance(item, dict):
                    raise crm_error("fm: items must be objects with typeId, valueType and value.")
                type_id = str(item.get("typeId") or item.get("TYPE_ID") or "").upper()
                if type_id not in MULTI_FIELDS:
                    raise crm_error(f"fm: typeId must be one of {', '.join(MULTI_FIELDS)}.")
                entry = {"VALUE": item.get("value"), "VALUE_TYPE": item.get("valueType")}
                if item.get("id") is not None:
                    entry["ID"] = item["id"]
                out.setdefault(type_id, []).append(entry)
            continue
        out[names.upper(str(key))] = value
    return out


def _value_out(meta: dict[str, Any] | None, value: Any) -> Any:
    if meta is None or value in (None, "") or meta.get("isMultiple"):
        return value
    kind = meta.get("type")
    try:
        if kind in INT_TYPES and isinstance(value, str):
            return int(value)
        if kind in FLOAT_TYPES and isinstance(value, str) and "|" not in value:
            return float(value)
    except ValueError:
        return value
    return value


def item_out(names: ItemNames, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    fm: list[dict[str, Any]] = []
    for upper, value in data.items():
        if upper in MULTI_FIELDS:
            fm += [{"id": int(v["ID"]), "typeId": upper, "valueType": v["VALUE_TYPE"], "value": v["VALUE"]}
                   for v in value or []]
            continue
        if upper == "ID":
            out["id"] = int(value)
            continue
        out[names.to_camel.get(upper, camel(upper))] = _value_out(names.meta.get(upper), value)
    if any(k in data for k in MULTI_FIELDS):
        out["fm"] = fm
    return out


def _camel_error(names: ItemNames, exc: RestError) -> RestError:
    """A record method's error naming ``ASSIGNED_BY_ID`` names ``assignedById`` here."""
    text = exc.description
    for upper in sorted(names.to_camel, key=len, reverse=True):
        if upper in text:
            text = text.replace(f"'{upper}'", f"'{names.to_camel[upper]}'")
            if text.startswith(upper):
                text = names.to_camel[upper] + text[len(upper):]
    exc.description = text
    return exc


def _get(entity: RecordEntity, call: Call, pk: int) -> dict[str, Any]:
    names = ItemNames(entity, call)
    data = entity.handle_get(_sub(call, {"id": pk}))
    for name in MULTI_FIELDS:
        data.setdefault(name, [])
    return {"item": item_out(names, data)}


def item_add(call: Call) -> dict[str, Any]:
    entity = _entity(call)
    names = ItemNames(entity, call)
    fields = _fields_in(names, get_mapping(call.params, "fields", message="Parameter 'fields' must be array."))
    try:
        pk = entity.handle_add(_sub(call, {"fields": fields}))
    except RestError as exc:
        raise _camel_error(names, exc) from exc
    return _get(entity, call, pk)


method("crm.item.add")(item_add)


def item_get(call: Call) -> dict[str, Any]:
    return _get(_entity(call), call, get_id(call.params))


method("crm.item.get")(item_get)


def item_update(call: Call) -> dict[str, Any]:
    entity = _entity(call)
    names = ItemNames(entity, call)
    pk = get_id(call.params)
    fields = _fields_in(names, get_mapping(call.params, "fields", message="Parameter 'fields' must be array."))
    obj = entity.get_object(pk, call)
    try:
        with transaction.atomic():  # the pipeline move and the other fields: both or neither
            if entity is DEALS and fields.get("CATEGORY_ID") not in (None, ""):
                _move_category(call, obj, fields)
            entity.update(obj if entity is not DEALS else entity.get_object(pk, call), _sub(call, {}), fields)
    except RestError as exc:
        raise _camel_error(names, exc) from exc
    except KontorError as exc:
        raise _camel_error(names, entity.translate(exc, call)) from exc
    return _get(entity, call, pk)


method("crm.item.update")(item_update)


def _move_category(call: Call, deal: Any, fields: dict[str, Any]) -> None:
    """``categoryId`` (with ``stageId`` or the pipeline's first stage): the deal changes pipeline."""
    catalog = call.catalog
    raw = fields.pop("CATEGORY_ID")
    pipeline_pk = catalog.pipeline_pk(raw)
    if pipeline_pk is None:
        raise crm_error(f"categoryId: category {raw} not found.")
    if pipeline_pk == deal.pipeline_id:
        return
    raw_stage = fields.pop("STAGE_ID", None)
    if raw_stage not in (None, ""):
        stage = catalog.resolve_stage(raw_stage)
        if stage is not None and stage.pipeline_id != pipeline_pk:
            stage = catalog.stage_by_key.get((pipeline_pk, str(raw_stage).strip().upper().split(":", 1)[-1]))
        if stage is None or stage.pipeline_id != pipeline_pk:
            raise crm_error(f"stageId: stage '{raw_stage}' is not in category {raw}.")
    else:
        stages = [st for st in catalog.stages.values() if st.pipeline_id == pipeline_pk]
        stage = next((st for st in stages if st.semantic == Semantic.PROCESS), stages[0] if stages else None)
        if stage is None:
            raise crm_error(f"categoryId: category {raw} has no stages.")
    services.deal_move_stage(deal=deal, stage=stage, actor=call.user)


def item_delete(call: Call) -> list:
    entity = _entity(call)
    entity.handle_delete(_sub(call, {"id": get_id(call.params)}))
    return []


method("crm.item.delete")(item_delete)


def item_list(call: Call) -> Page:
    entity = _entity(call)
    names = ItemNames(entity, call)

    def keys(raw: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in raw.items():
            prefix, name = split_key(str(key).strip())
            out[prefix + names.upper(name)] = value
        return out

    raw_select = [str(v) for v in as_list(get_param(call.params, "select")) if isinstance(v, str | int)]
    select: list[str] = []
    for name in raw_select:
        if name.lower() == "fm":
            select += list(MULTI_FIELDS)
        elif name in ("*", "UF_*", "ufCrm_*", "ufCrm*"):
            select.append("UF_*" if name.lower().startswith("uf") else "*")
        else:
            select.append(names.upper(name))
    params = {"filter": keys(get_mapping(call.params, "filter", message="Parameter 'filter' must be array.")),
              "order": keys(get_mapping(call.params, "order", message="Parameter 'order' must be array.")),
              "select": select, "start": get_param(call.params, "start")}
    try:
        page = entity.handle_list(_sub(call, params))
    except RestError as exc:
        raise _camel_error(names, exc) from exc
    return Page({"items": [item_out(names, row) for row in page.result]}, page.total, page.next)


method("crm.item.list")(item_list)


def item_fields(call: Call) -> dict[str, Any]:
    entity = _entity(call)
    names = ItemNames(entity, call)
    out = {names.to_camel[upper]: {**meta, "upperName": upper} for upper, meta in names.meta.items()}
    out["fm"] = {**field_meta("crm_multifield", "Phones, e-mails, websites, messengers", multiple=True),
                 "upperName": "FM"}
    return {"fields": out}


method("crm.item.fields")(item_fields)
