"""Custom fields ("Benutzerdefinierte Felder", Bitrix24 ``UF_CRM_*``): define, change, delete.

A definition is a ``CustomField`` row; the values live in each record's ``uf`` JSON. Defining a field
creates an index on its values (``kontor.crm.filtering.uf_index_sql``) so a filter on it stays an
index lookup on a million records; deleting one drops the index and the field's values, as Bitrix24
does. The API, the facade's ``crm.*.userfield.*`` and the settings page call these services.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.db import connection, transaction

from kontor.core.errors import ErrorCode, KontorError, validation
from kontor.crm.enums import EntityType
from kontor.crm.fields import UF_CODE, CustomType
from kontor.crm.filtering import uf_index_sql
from kontor.crm.models import RECORD_MODELS, AuditLog, CustomField, CustomFieldItem
from kontor.crm.services.common import INT32

LINK_TARGETS = ("lead", "deal", "contact", "company")


def normalize_code(raw: Any) -> str:
    """``"shop_order"``, ``"UF_CRM_SHOP_ORDER"`` or ``"uf_crm_shop_order"`` → ``UF_CRM_SHOP_ORDER``."""
    if not isinstance(raw, str) or not raw.strip():
        raise validation("code is required (letters, digits and _; e.g. UF_CRM_SHOP_ORDER)", "code")
    code = raw.strip().upper()
    if not code.startswith("UF_CRM_"):
        code = "UF_CRM_" + code
    if not UF_CODE.match(code):
        raise validation(f"code: '{raw}' must be UF_CRM_ followed by 1 to 40 letters, digits or _", "code")
    return code


def _sort_error(value: Any) -> str | None:
    """Why ``value`` is no ``sort`` (a whole number an integer column holds; ``True`` is not one)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return "must be an integer"
    return None if value in INT32 else "is out of range"


def _flag(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().upper() in ("Y", "N", "TRUE", "FALSE", "1", "0"):
        return value.strip().upper() in ("Y", "TRUE", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise validation(f"{field} must be true or false", field)


def _label(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 255 or "\x00" in value:
        raise validation(f"{field} must be a text of at most 255 characters", field)
    return value.strip()


def _items(raw: Any) -> list[dict[str, Any]]:
    """Enumeration items: ``[{"value", "sort"?, "is_default"?, "id"?, "delete"?}]`` or plain strings."""
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise validation("items must be a list", "items")
    out = []
    for index, item in enumerate(raw):
        if isinstance(item, str):
            item = {"value": item}
        if not isinstance(item, Mapping):
            raise validation(f"items[{index}] must be a text or an object with 'value'", "items")
        value = item.get("value")
        if item.get("delete") and item.get("id") is None:
            raise validation(f"items[{index}]: delete needs the id of the item to delete", "items")
        if not item.get("delete") and (not isinstance(value, str) or not value.strip() or len(value) > 255):
            raise validation(f"items[{index}]: a value of at most 255 characters is required", "items")
        sort = item.get("sort", (index + 1) * 10)
        if error := _sort_error(sort):
            raise validation(f"items[{index}]: sort {error}", "items")
        out.append({"id": item.get("id"), "value": (value or "").strip(), "sort": sort,
                    "is_default": _flag(item.get("is_default", False), "items"), "delete": bool(item.get("delete")),
                    "xml_id": str(item.get("xml_id") or "")[:255]})
    return out


def _settings(type_: CustomType, raw: Any) -> dict[str, Any]:
    settings = dict(raw or {}) if isinstance(raw, Mapping) or raw is None else None
    if settings is None:
        raise validation("settings must be an object", "settings")
    if type_ == CustomType.CRM:
        entity = str(settings.get("entity") or "contact").lower()
        if entity not in LINK_TARGETS:
            raise validation(f"settings.entity must be one of {', '.join(LINK_TARGETS)}", "settings")
        settings = {**settings, "entity": entity}
    return settings


def _index_ddl(sql: str) -> None:
    """Run ``CREATE``/``DROP INDEX`` inside the caller's transaction. PostgreSQL refuses DDL on a table
    with deferred foreign-key checks still pending (records written earlier in the same transaction),
    so those checks run first; they would run at commit anyway."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _ensure_index(entity_type: EntityType, key: str) -> None:
    _index_ddl(uf_index_sql(entity_type, key)[0])


def custom_field_create(
    *, actor=None, entity_type: EntityType, code: Any, type: Any, label_de: Any = "", label_en: Any = "",
    multiple: Any = False, mandatory: Any = False, sort: Any = 100, show_in_list: Any = True,
    show_filter: Any = True, settings: Any = None, items: Any = None, xml_id: Any = "",
) -> CustomField:
    """Define a custom field on ``entity_type``. Its code must be new on that kind; it begins with
    ``UF_CRM_``, which no standard field's name does."""
    with transaction.atomic():
        code = normalize_code(code)
        try:
            type_ = CustomType(str(type).strip().lower())
        except ValueError:
            allowed = ", ".join(t.value for t in CustomType)
            raise validation(f"type: '{type}' is not a custom field type (one of {allowed})", "type") from None
        if CustomField.objects.filter(entity_type=entity_type, code=code).exists():
            raise KontorError(ErrorCode.CONFLICT, f"{code} already exists on {EntityType(entity_type).name.lower()}s",
                              field="code")
        if error := _sort_error(sort):
            raise validation(f"sort {error}", "sort")
        field = CustomField.objects.create(
            entity_type=entity_type, code=code, type=type_, multiple=_flag(multiple, "multiple"),
            mandatory=_flag(mandatory, "mandatory"), sort=sort, label_de=_label(label_de, "label_de"),
            label_en=_label(label_en, "label_en"), show_in_list=_flag(show_in_list, "show_in_list"),
            show_filter=_flag(show_filter, "show_filter"), settings=_settings(type_, settings),
            xml_id=_label(xml_id, "xml_id"),
        )
        if type_ == CustomType.ENUMERATION:
            _write_items(field, _items(items))
        elif items:
            raise validation("items: only enumeration fields have items", "items")
        AuditLog.objects.create(action="custom_field.create", actor=actor,
                                data={"entity": EntityType(entity_type).name.lower(), "code": code, "type": type_})
        _ensure_index(EntityType(entity_type), field.key)
        return field


def _write_items(field: CustomField, items: Sequence[dict[str, Any]]) -> None:
    existing = {i.pk: i for i in field.items.all()}
    for item in items:
        row = existing.get(item["id"]) if item["id"] is not None else None
        if item["id"] is not None and row is None:
            raise validation(f"items: item {item['id']} does not belong to {field.code}", "items")
        if row is not None and item["delete"]:
            _forget_item(field, row.pk)
            row.delete()
            continue
        if row is None:
            row = CustomFieldItem(field=field)
        row.value = item["value"] or row.value
        row.sort, row.is_default, row.xml_id = item["sort"], item["is_default"], item["xml_id"] or row.xml_id
        row.save()


def _forget_item(field: CustomField, item_id: int) -> None:
    """Records that chose a deleted enumeration item no longer hold it (as Bitrix24 does)."""
    from kontor.crm.fields import custom_spec
    from kontor.crm.filtering import Op, condition

    entity_type = EntityType(field.entity_type)
    model = RECORD_MODELS[entity_type]
    # Filterable here whatever the list's filter setting says: this is housekeeping, not a user's filter.
    spec = replace(custom_spec(field, field.items.all()), filterable=True)
    holders = list(model._default_manager.filter(condition(entity_type, spec, Op.EQ, item_id)).only("pk", "uf"))
    for record in holders:
        uf = dict(getattr(record, "uf", None) or {})
        value = uf.get(field.key)
        if isinstance(value, list):
            value = [v for v in value if v != item_id] or None
        elif value == item_id:
            value = None
        if value is None:
            uf.pop(field.key, None)
        else:
            uf[field.key] = value
        setattr(record, "uf", uf or None)  # noqa: B010 (every record model has uf; Model does not say so)
    model._default_manager.bulk_update(holders, ["uf"], batch_size=1000)


def custom_field_update(*, field: CustomField, actor=None, data: Mapping[str, Any]) -> CustomField:
    """Change a custom field's labels, flags, sort, settings or items. Its code, type and
    ``multiple`` stay (the stored values depend on them), as in Bitrix24."""
    with transaction.atomic():
        allowed = {"label_de", "label_en", "mandatory", "sort", "show_in_list", "show_filter", "settings", "items",
                   "xml_id"}
        fixed = sorted(set(data) & {"code", "type", "multiple", "entity", "entity_type"})
        if fixed:
            raise validation(f"{fixed[0]} cannot be changed (delete the field and create a new one)", fixed[0])
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise validation(f"unknown field(s): {', '.join(unknown)}", unknown[0])
        field = CustomField.objects.select_for_update().get(pk=field.pk)
        for name in ("label_de", "label_en", "xml_id"):
            if name in data:
                setattr(field, name, _label(data[name], name))
        for name in ("mandatory", "show_in_list", "show_filter"):
            if name in data:
                setattr(field, name, _flag(data[name], name))
        if "sort" in data:
            if error := _sort_error(data["sort"]):
                raise validation(f"sort {error}", "sort")
            field.sort = data["sort"]
        if "settings" in data:
            field.settings = _settings(CustomType(field.type), data["settings"])
        field.save()
        if "items" in data:
            if field.type != CustomType.ENUMERATION:
                raise validation("items: only enumeration fields have items", "items")
            _write_items(field, _items(data["items"]))
        AuditLog.objects.create(action="custom_field.update", actor=actor, data={"code": field.code,
                                                                                "changed": sorted(data)})
        return field


def custom_field_delete(*, field: CustomField, actor=None) -> None:
    """Delete a custom field with its values on every record, and its index."""
    with transaction.atomic():
        entity_type = EntityType(field.entity_type)
        model = RECORD_MODELS[entity_type]
        table = model._meta.db_table
        key = field.key
        assert re.fullmatch(r"uf_crm_[a-z0-9_]+", key)  # codes are validated on creation; never user text in SQL
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f'UPDATE "{table}" SET uf = NULLIF(uf - %s, \'{{}}\'::jsonb) WHERE uf ? %s', [key, key])
            else:
                cursor.execute(
                    f"UPDATE \"{table}\" SET uf = NULLIF(json_remove(uf, '$.{key}'), '{{}}') "
                    f"WHERE json_type(uf, '$.{key}') IS NOT NULL"
                )
        _index_ddl(uf_index_sql(entity_type, key)[1])
        AuditLog.objects.create(action="custom_field.delete", actor=actor,
                                data={"entity": entity_type.name.lower(), "code": field.code})
        field.delete()
