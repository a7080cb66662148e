"""crm.{lead,deal,contact,company}.userfield.{add,get,list,update,delete}: custom fields with
Bitrix24's parameters, over ``kontor.crm.services.custom_fields``.

Bitrix24 names: ``FIELD_NAME`` (``SHOP_ORDER`` or ``UF_CRM_SHOP_ORDER``), ``USER_TYPE_ID``, ``MULTIPLE``,
``MANDATORY``, ``SORT``, ``SHOW_FILTER`` (``N`` or one of Bitrix24's filter kinds ``I``/``E``/``S``),
``SHOW_IN_LIST``, ``XML_ID``, ``SETTINGS``, ``LIST`` (``[{ID?, VALUE, SORT, DEF, XML_ID, DEL}]``) and the
labels ``EDIT_FORM_LABEL``/``LIST_COLUMN_LABEL``/``LIST_FILTER_LABEL`` (a text or ``{de, en, …}``;
Kontor keeps one label per language, so the first one given wins). Changing fields is a setting:
only admins may (``Access denied.`` for a manager's webhook); reading is open, as ``crm.*.fields``
shows the same definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from kontor.bitrix.errors import argument_error, crm_error, not_found
from kontor.bitrix.methods.common import fields_param
from kontor.bitrix.methods.directories import require_admin
from kontor.bitrix.params import as_list, get_id, get_mapping, to_int, yes_no
from kontor.bitrix.registry import Call, method
from kontor.crm.enums import EntityType
from kontor.crm.models import CustomField
from kontor.crm.services.custom_fields import custom_field_create, custom_field_delete, custom_field_update

KINDS = {"lead": EntityType.LEAD, "deal": EntityType.DEAL, "contact": EntityType.CONTACT,
         "company": EntityType.COMPANY}
LABELS = ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL", "LABEL")
#: Keys Kontor does not store, with the only value it accepts for them (Bitrix24's default).
DEFAULTS: dict[str, Any] = {"EDIT_IN_LIST": "Y", "IS_SEARCHABLE": "N", "ERROR_MESSAGE": "", "HELP_MESSAGE": ""}


def _flag(value: Any, name: str) -> bool:
    if name == "SHOW_FILTER" and isinstance(value, str) and value.strip().upper() in ("I", "E", "S"):  # filter kinds
        return True
    flag = yes_no(value)
    if flag is None:
        raise crm_error(f"{name} must be Y or N.")
    return flag


def _labels(fields: Mapping[str, Any]) -> dict[str, str]:
    """``label_de``/``label_en`` from Bitrix24's label keys (a text for every language, or per language)."""
    out: dict[str, str] = {}
    for key in LABELS:
        value = fields.get(key)
        if value in (None, "", [], {}):
            continue
        if isinstance(value, Mapping):
            texts = {str(k).lower(): v for k, v in value.items() if isinstance(v, str) and v.strip()}
            if not texts:  # an object without any text is no label, like ""
                continue
            first = next(iter(texts.values()))
            out.setdefault("label_de", texts.get("de") or texts.get("en") or first)
            out.setdefault("label_en", texts.get("en") or texts.get("de") or first)
        elif isinstance(value, str):
            out.setdefault("label_de", value)
            out.setdefault("label_en", value)
        else:
            raise crm_error(f"{key} must be a text or an object of texts per language.")
    return out


def _items(raw: Any, field: CustomField | None) -> list[dict[str, Any]]:
    existing = {i.pk: i for i in field.items.all()} if field is not None else {}
    out = []
    for item in as_list(raw):
        if not isinstance(item, Mapping):
            raise crm_error("LIST must be an array of {VALUE, SORT, DEF}.")
        upper = {str(k).upper(): v for k, v in item.items()}
        pk = to_int(upper.get("ID"))
        entry: dict[str, Any] = {"id": pk, "delete": bool(yes_no(upper.get("DEL", "N")))}
        value = upper.get("VALUE")
        entry["value"] = value if value not in (None, "") else (existing[pk].value if pk in existing else value)
        if upper.get("SORT") not in (None, ""):
            entry["sort"] = to_int(upper["SORT"]) if to_int(upper["SORT"]) is not None else upper["SORT"]
        elif pk in existing:
            entry["sort"] = existing[pk].sort
        entry["is_default"] = bool(yes_no(upper.get("DEF", "N")))
        if upper.get("XML_ID") not in (None, ""):
            entry["xml_id"] = str(upper["XML_ID"])
        out.append(entry)
    return out


def _settings(value: Any) -> dict[str, Any]:
    if value in (None, "", []):
        return {}
    if not isinstance(value, Mapping):
        raise crm_error("SETTINGS must be an object.")
    out = {str(k).lower(): v for k, v in value.items()}
    if "entity" not in out:  # Bitrix24's crm type: {"LEAD": "N", "CONTACT": "Y", …}; Kontor links one kind
        chosen = [k for k in ("lead", "deal", "contact", "company") if yes_no(out.get(k)) is True]
        if len(chosen) > 1:
            raise crm_error("SETTINGS: a CRM link field in Kontor points to one record kind.")
        if chosen:
            out = {k: v for k, v in out.items() if k not in ("lead", "deal", "contact", "company")}
            out["entity"] = chosen[0]
    return out


def _check_defaults(fields: Mapping[str, Any]) -> None:
    for key, default in DEFAULTS.items():
        value = fields.get(key)
        if value is None or value == default or (isinstance(value, Mapping) and not any(value.values())):
            continue
        raise argument_error(f"Field '{key}' is not supported by Kontor (only '{default}').", "fields")


def _known(fields: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise argument_error(f"Field '{unknown[0]}' is not supported by Kontor.", "fields")


ADD_KEYS = {"FIELD_NAME", "USER_TYPE_ID", "MULTIPLE", "MANDATORY", "SORT", "SHOW_FILTER", "SHOW_IN_LIST", "XML_ID",
            "SETTINGS", "LIST", "ENTITY_ID", *LABELS, *DEFAULTS}
UPDATE_KEYS = ADD_KEYS - {"ENTITY_ID"}


def _uf_entity(kind: str) -> str:
    return f"CRM_{kind.upper()}"


def userfield_out(field: CustomField, kind: str, lang: str | None = None) -> dict[str, Any]:
    """A custom field as ``crm.*.userfield.get`` answers: labels per language (or one text when the
    list asked for a ``LANG``)."""
    labels: Any = {"de": field.label_de or field.label_en, "en": field.label_en or field.label_de}
    if lang:
        labels = labels.get(lang.lower(), field.label_en or field.label_de)
    empty: Any = {"de": "", "en": ""} if not lang else ""
    out: dict[str, Any] = {
        "ID": str(field.pk), "ENTITY_ID": _uf_entity(kind), "FIELD_NAME": field.code,
        "USER_TYPE_ID": field.type, "XML_ID": field.xml_id or None, "SORT": str(field.sort),
        "MULTIPLE": "Y" if field.multiple else "N", "MANDATORY": "Y" if field.mandatory else "N",
        "SHOW_FILTER": "E" if field.show_filter else "N", "SHOW_IN_LIST": "Y" if field.show_in_list else "N",
        "EDIT_IN_LIST": "Y", "IS_SEARCHABLE": "N", "SETTINGS": field.settings or {},
        "EDIT_FORM_LABEL": labels, "LIST_COLUMN_LABEL": labels, "LIST_FILTER_LABEL": labels,
        "ERROR_MESSAGE": empty, "HELP_MESSAGE": empty,
    }
    if field.type == "enumeration":
        out["LIST"] = [{"ID": str(i.pk), "SORT": str(i.sort), "VALUE": i.value, "DEF": "Y" if i.is_default else "N",
                        "XML_ID": i.xml_id or str(i.pk)} for i in field.items.order_by("sort", "id")]
    return out


def _field(kind: str, call: Call) -> CustomField:
    field = CustomField.objects.filter(entity_type=KINDS[kind], pk=get_id(call.params)).first()
    if field is None:
        raise not_found()
    return field


def userfield_add(kind: str, call: Call) -> int:
    """crm.<kind>.userfield.add: a new custom field of ``kind``; its ID."""
    require_admin(call)
    fields = fields_param(call.params)
    _known(fields, ADD_KEYS)
    _check_defaults(fields)
    if fields.get("ENTITY_ID") not in (None, "", _uf_entity(kind)):
        raise crm_error(f"ENTITY_ID must be {_uf_entity(kind)} for crm.{kind}.userfield.add.")
    if not fields.get("FIELD_NAME") or not fields.get("USER_TYPE_ID"):
        raise crm_error("The fields FIELD_NAME and USER_TYPE_ID are required.")
    labels = _labels(fields)
    sort = to_int(fields.get("SORT"))
    field = custom_field_create(
        actor=call.user, entity_type=KINDS[kind], code=fields["FIELD_NAME"], type=fields["USER_TYPE_ID"],
        label_de=labels.get("label_de", ""), label_en=labels.get("label_en", ""),
        multiple=_flag(fields.get("MULTIPLE", "N"), "MULTIPLE"),
        mandatory=_flag(fields.get("MANDATORY", "N"), "MANDATORY"),
        sort=100 if fields.get("SORT") in (None, "") else (sort if sort is not None else fields["SORT"]),
        show_in_list=_flag(fields.get("SHOW_IN_LIST", "Y"), "SHOW_IN_LIST"),
        show_filter=_flag(fields.get("SHOW_FILTER", "Y"), "SHOW_FILTER"),
        settings=_settings(fields.get("SETTINGS")), items=_items(fields.get("LIST"), None) or None,
        xml_id=fields.get("XML_ID") or "",
    )
    return field.pk


def userfield_get(kind: str, call: Call) -> dict[str, Any]:
    """crm.<kind>.userfield.get: one field by ``id``."""
    return userfield_out(_field(kind, call), kind)


def userfield_list(kind: str, call: Call) -> list[dict[str, Any]]:
    """crm.<kind>.userfield.list: the fields of ``kind`` by ``filter`` and ``order``."""
    raw_filter = {str(k).strip().upper(): v for k, v in
                  get_mapping(call.params, "filter", message="Parameter 'filter' must be array.").items()}
    raw_order = get_mapping(call.params, "order", message="Parameter 'order' must be array.")
    lang = raw_filter.pop("LANG", None)
    rows = CustomField.objects.filter(entity_type=KINDS[kind])
    columns = {"ID": "pk", "FIELD_NAME": "code", "USER_TYPE_ID": "type", "XML_ID": "xml_id", "SORT": "sort",
               "MULTIPLE": "multiple", "MANDATORY": "mandatory", "SHOW_FILTER": "show_filter",
               "SHOW_IN_LIST": "show_in_list"}
    for key, value in raw_filter.items():
        name = key.lstrip("=")
        if name == "ENTITY_ID":
            if str(value).upper() != _uf_entity(kind):
                return []
            continue
        if name not in columns or isinstance(value, Mapping | list):
            raise argument_error(f"Filter field '{key}' is not supported.", "filter")
        if name in ("MULTIPLE", "MANDATORY", "SHOW_FILTER", "SHOW_IN_LIST"):
            value = _flag(value, name)
        elif name in ("ID", "SORT"):
            value = to_int(value)
            if value is None:
                raise argument_error(f"Filter field '{key}' needs an integer.", "filter")
        elif name == "FIELD_NAME":
            value = str(value).upper()
        rows = rows.filter(**{columns[name]: value})
    order = []
    for key, direction in raw_order.items():
        column = columns.get(str(key).strip().upper())
        if column:
            desc = str(direction).strip().upper() == "DESC"
            order.append(f"-{column}" if desc else column)
    rows = rows.order_by(*order, "sort", "id")
    return [userfield_out(f, kind, lang if isinstance(lang, str) else None) for f in rows]


def userfield_update(kind: str, call: Call) -> bool:
    """crm.<kind>.userfield.update: labels, flags, sort, settings and list items (code, type and multiplicity fixed)."""
    require_admin(call)
    field = _field(kind, call)
    fields = fields_param(call.params)
    _known(fields, UPDATE_KEYS)
    _check_defaults(fields)
    data: dict[str, Any] = {}
    # Code, type and multiplicity are fixed, as in Bitrix24: repeating them is fine, changing is a 400.
    fixed = {"FIELD_NAME": ("code", lambda v: str(v).upper().removeprefix("UF_CRM_")
                            == field.code.removeprefix("UF_CRM_")),
             "USER_TYPE_ID": ("type", lambda v: str(v).lower() == field.type),
             "MULTIPLE": ("multiple", lambda v: yes_no(v) == field.multiple)}
    for key, (native, same) in fixed.items():
        if key in fields and not same(fields[key]):
            data[native] = fields[key]
    data.update(_labels(fields))
    for key, native in (("MANDATORY", "mandatory"), ("SHOW_IN_LIST", "show_in_list"),
                        ("SHOW_FILTER", "show_filter")):
        if key in fields:
            data[native] = _flag(fields[key], key)
    if "SORT" in fields:
        sort = to_int(fields["SORT"])
        data["sort"] = sort if sort is not None else fields["SORT"]
    if "SETTINGS" in fields:
        data["settings"] = _settings(fields["SETTINGS"])
    if "XML_ID" in fields:
        data["xml_id"] = fields["XML_ID"] or ""
    if "LIST" in fields:
        data["items"] = _items(fields["LIST"], field)
    custom_field_update(field=field, actor=call.user, data=data)
    return True


def userfield_delete(kind: str, call: Call) -> bool:
    """crm.<kind>.userfield.delete: the field and its values."""
    require_admin(call)
    custom_field_delete(field=_field(kind, call), actor=call.user)
    return True


# One set of handlers, registered per record kind (crm.lead.userfield.add, crm.deal.userfield.add, …).
for _kind in KINDS:
    for _action, _handler in (("add", userfield_add), ("get", userfield_get), ("list", userfield_list),
                              ("update", userfield_update), ("delete", userfield_delete)):
        method(f"crm.{_kind}.userfield.{_action}")(partial(_handler, _kind))


def userfield_types(call: Call) -> list[dict[str, str]]:
    """The custom field types Kontor stores (a subset of Bitrix24's)."""
    from kontor.crm.fields import CustomType

    return [{"ID": t.value, "title": t.value} for t in CustomType]


method("crm.userfield.types")(userfield_types)

