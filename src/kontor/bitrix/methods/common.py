"""The shape every CRM record method shares: add/get/update/delete/list/fields over an ``Entity``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Model, Q, QuerySet

from kontor.bitrix.errors import crm_error, not_found
from kontor.bitrix.filters import Field, build_filter, build_order, parse_select
from kontor.bitrix.mapping import Catalog
from kontor.bitrix.params import as_list, get_id, get_mapping, get_param, to_int, yes_no
from kontor.bitrix.registry import Call, Page, method
from kontor.core.normalize import normalize_email, normalize_phone
from kontor.crm import access

PAGE_SIZE = 50


def parse_start(raw: Any) -> int:
    """``start``: -1 means "no count"; anything else is floored to a page boundary (legacy lists)."""
    number = to_int(raw)
    if number is None or number < -1:
        return 0
    if number == -1:
        return -1
    return (number // PAGE_SIZE) * PAGE_SIZE


def text_in(value: Any) -> Any:
    """A text field from a client: numbers become strings; lists/objects go on to fail validation."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int | float):
        return str(value)
    return value


def ref_in(value: Any) -> Any:
    """A reference id: ``0``, ``""`` and ``null`` mean none."""
    if value is None or value == "" or to_int(value) == 0:
        return None
    return value


def fields_param(params: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with upper-cased keys (Bitrix24 field names are upper case)."""
    raw = get_mapping(params, "fields", message="Parameter 'fields' must be array.")
    return {str(k).strip().upper(): v for k, v in raw.items()}


def field_meta(type_: str, title: str, *, required: bool = False, read_only: bool = False,
               immutable: bool = False, multiple: bool = False, **extra: Any) -> dict[str, Any]:
    """One entry of a ``*.fields`` answer."""
    return {"type": type_, "isRequired": required, "isReadOnly": read_only, "isImmutable": immutable,
            "isMultiple": multiple, "isDynamic": False, "title": title, **extra}


class Entity:
    """A record kind as the facade sees it. Subclasses map fields and call the crm services."""

    name: str  # "lead"
    model: type[Model]
    multi_fields: tuple[str, ...] = ()  # PHONE, EMAIL where the record has them
    order_fields: dict[str, str] = {}

    # --- to implement -------------------------------------------------------------------------
    def queryset(self) -> QuerySet:
        raise NotImplementedError

    def filter_fields(self, catalog: Catalog) -> dict[str, Any]:
        raise NotImplementedError

    def to_bitrix(self, obj: Any, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def page_extra(self, rows: list[Any], call: Call, wanted: set[str] | None) -> dict[int, dict[str, Any]]:
        """Data for many rows at once (multi-fields, flags), so a page costs a fixed number of queries."""
        return {}

    def create(self, call: Call, fields: dict[str, Any]) -> int:
        raise NotImplementedError

    def update(self, obj: Any, call: Call, fields: dict[str, Any]) -> None:
        raise NotImplementedError

    def delete(self, obj: Any, call: Call) -> None:
        raise NotImplementedError

    def fields_description(self, call: Call) -> dict[str, Any]:
        raise NotImplementedError

    # --- shared -------------------------------------------------------------------------------
    def scoped(self, call: Call) -> QuerySet:
        """``queryset()`` narrowed to what the webhook's user may read (``kontor.crm.access``);
        every read, list and write of a record kind starts here."""
        qs = self.queryset()
        return access.scope(qs, call.user) if qs.model in access.KINDS else qs

    def get_object(self, pk: int, call: Call) -> Any:
        """The record ``pk`` the webhook's user may read; one they may not is "Not found" too."""
        obj = self.scoped(call).filter(pk=pk).first()
        if obj is None:
            raise not_found()
        return obj

    def item(self, obj: Any, call: Call, *, select_all: bool = True, names: set[str] | None = None,
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
        data = self.to_bitrix(obj, call, extra or {})
        if select_all and not names:
            return data
        names = names or set()
        # "*": the standard fields without multi-fields and user fields; "UF_*": every user field.
        all_uf = "UF_*" in names
        return {k: v for k, v in data.items()
                if k == "ID" or k in names or (all_uf and k.startswith("UF_"))
                or (select_all and k not in self.multi_fields and not k.startswith("UF_"))}

    def register(self) -> None:
        prefix = f"crm.{self.name}"
        method(f"{prefix}.add")(self.handle_add)
        method(f"{prefix}.get")(self.handle_get)
        method(f"{prefix}.update")(self.handle_update)
        method(f"{prefix}.delete")(self.handle_delete)
        method(f"{prefix}.list")(self.handle_list)
        method(f"{prefix}.fields")(self.handle_fields)

    def handle_add(self, call: Call) -> int:
        return self.create(call, fields_param(call.params))

    def handle_get(self, call: Call) -> dict[str, Any]:
        obj = self.get_object(get_id(call.params), call)
        extra = self.page_extra([obj], call, None).get(obj.pk, {})
        data = self.item(obj, call, extra=extra)
        for name in self.multi_fields:
            if not data.get(name):
                data.pop(name, None)
        return data

    def handle_update(self, call: Call) -> bool:
        obj = self.get_object(get_id(call.params), call)
        self.update(obj, call, fields_param(call.params))
        return True

    def handle_delete(self, call: Call) -> bool:
        obj = self.get_object(get_id(call.params), call)
        self.delete(obj, call)
        return True

    def handle_fields(self, call: Call) -> dict[str, Any]:
        return self.fields_description(call)

    def list_filter(self, call: Call, raw_filter: dict[str, Any]) -> Q:
        """``filter`` as a ``Q`` (record kinds with specs use the filter engine instead)."""
        return build_filter(raw_filter, self.filter_fields(call.catalog))

    def list_order(self, call: Call, raw_order: dict[str, Any]) -> list[str]:
        return build_order(raw_order, self.order_fields)

    def list_queryset(self, call: Call) -> QuerySet:
        raw_filter = get_mapping(call.params, "filter", message="Parameter 'filter' must be array.")
        raw_order = get_mapping(call.params, "order", message="Parameter 'order' must be array.")
        return self.scoped(call).filter(self.list_filter(call, raw_filter)).order_by(*self.list_order(call, raw_order))

    def handle_list(self, call: Call) -> Page:
        qs = self.list_queryset(call)
        select_all, names = parse_select(get_param(call.params, "select"))
        start = parse_start(get_param(call.params, "start"))
        if start == -1:
            rows, total, nxt = list(qs[:PAGE_SIZE]), 0, None
        else:
            total = qs.count()
            rows = list(qs[start : start + PAGE_SIZE]) if start < total else []
            nxt = start + PAGE_SIZE if start + PAGE_SIZE < total else None
        extra = self.page_extra(rows, call, names or None)  # parse_select keeps an explicit "*" among the names
        items = [self.item(obj, call, select_all=select_all, names=names, extra=extra.get(obj.pk, {}))
                 for obj in rows]
        return Page(items, total, nxt)


def multi_out(comms: list[Any]) -> list[dict[str, Any]]:
    """Multi-field rows as Bitrix24 items."""
    return [{"ID": str(c.pk), "VALUE_TYPE": c.value_type, "VALUE": c.value, "TYPE_ID": c.type} for c in comms]


def multi_in_add(raw: Any) -> list[dict[str, Any]]:
    """Multi-field items of an ``add``: every item with a value is new. All facade items are
    ``lenient``: a value that is no phone or e-mail is stored as typed, as Bitrix24 stores it."""
    out = []
    for item in as_list(raw):
        if isinstance(item, Mapping):
            value = item.get("VALUE", item.get("value"))
            if value is None or value == "":
                continue
            value_type = item.get("VALUE_TYPE", item.get("value_type"))
            # No VALUE_TYPE: the service's default for the kind (WORK, or OTHER for messengers).
            out.append({"value": text_in(value), "type": str(value_type).upper() if value_type else None,
                        "lenient": True})
        elif isinstance(item, str) and item.strip():
            out.append({"value": item, "type": None, "lenient": True})
        else:
            raise crm_error("Multi-field items must be objects with VALUE and VALUE_TYPE.")
    return out


def multi_in_update(raw: Any, existing: list[Any]) -> list[dict[str, Any]]:
    """Bitrix24's update rules (BITRIX24_REST.md §2): an item without ``ID`` is added, ``{ID, VALUE}``
    overwrites, ``{ID, DELETE: "Y"}``, ``{ID, VALUE: ""}`` or a bare ``{ID}`` deletes; rows not named
    stay. Returns the complete list for ``communications_set``."""
    rows = {c.pk: {"id": c.pk, "value": c.value, "type": c.value_type, "lenient": True} for c in existing}
    added: list[dict[str, Any]] = []
    for item in as_list(raw):
        if not isinstance(item, Mapping):
            raise crm_error("Multi-field items must be objects with VALUE and VALUE_TYPE.")
        pk = to_int(item.get("ID", item.get("id")))
        value = item.get("VALUE", item.get("value"))
        value_type = item.get("VALUE_TYPE", item.get("value_type"))
        if pk is None:
            if value is None or value == "":
                continue
            added.append({"value": text_in(value), "type": str(value_type).upper() if value_type else None,
                          "lenient": True})
            continue
        if pk not in rows:
            continue  # another record's row, or one already gone: Bitrix24 ignores it
        if yes_no(item.get("DELETE", "N")) or value is None or value == "":
            del rows[pk]
            continue
        rows[pk]["value"] = text_in(value)
        if value_type:
            rows[pk]["type"] = str(value_type).upper()
    return [*rows.values(), *added]


def comm_keys(type_: str, value: str) -> list[str]:
    """The normalised keys a phone or e-mail from a client may be stored under.

    A phone without ``+`` or ``00`` is read in the default region and, as PBXes send numbers
    (``79001234567``), as international too: Bitrix24 finds the contact either way."""
    text = value.strip()
    if not text:
        return []  # an empty key would match every value stored without one (junk phones/e-mails)
    if type_ != "PHONE":
        return [normalize_email(text) or text.lower()]
    keys = [normalize_phone(text) or text.lower()]
    digits = text.lstrip("(")
    if digits[:1].isdigit() and not digits.startswith("00"):
        international = normalize_phone("+" + text)
        if international and international not in keys:
            keys.append(international)
    return keys


def int_field(path: str) -> Field:
    return Field(path)


def str_field(path: str) -> Field:
    return Field(path, kind="str", like=True)


def date_field(path: str) -> Field:
    return Field(path, kind="datetime")
