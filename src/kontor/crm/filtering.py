"""The one filter engine: conditions on record fields, by their specs, as ``Q`` objects.

The native API's ``?field=value`` / ``?field__gte=value`` and the facade's Bitrix24 prefixes
(``>=DATE_CREATE``, ``%TITLE``, ``@ID``) are two spellings of the same ``(spec, op, value)``
conditions built here, so an index fix or a new operator is made once. Values always travel as query
parameters; pattern operators are SQL ``LIKE`` (``kontor.core.lookups``), never a regular expression.

Custom fields live in the record's ``uf`` JSON; a condition on one compares the JSON value at its key
(``json_extract`` on SQLite, ``->`` on PostgreSQL), the same expression the per-field index created
with the field is built on (``uf_index_sql``), so a filter on one custom field is an index lookup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL

from kontor.core.errors import validation
from kontor.core.lookups import escape_like_pattern
from kontor.core.normalize import normalize_email, normalize_phone
from kontor.crm.enums import EntityType
from kontor.crm.fields import FieldSpec, Kind, parse_bool, parse_day, parse_moment

MAX_IN = 1000
MAX_INT = 2**63 - 1


class Op(StrEnum):
    """Filter operators; the ``not_*``/``ne`` ones negate their partner."""

    EQ = "eq"  # equal (an empty value: the field is empty)
    NE = "ne"  # not equal
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IN = "in"  # one of a list
    NOT_IN = "not_in"
    CONTAINS = "contains"  # substring, case-insensitive
    NOT_CONTAINS = "not_contains"
    LIKE = "like"  # SQL LIKE with the value's own % and _ wildcards
    NOT_LIKE = "not_like"


NEGATION = {Op.NE: Op.EQ, Op.NOT_IN: Op.IN, Op.NOT_CONTAINS: Op.CONTAINS, Op.NOT_LIKE: Op.LIKE}
COMPARE = {Op.GT: ">", Op.GTE: ">=", Op.LT: "<", Op.LTE: "<="}


def _bad(spec: FieldSpec, message: str):
    return validation(f"{spec.name}: {message}", spec.name)


def filter_value(spec: FieldSpec, raw: Any) -> Any:
    """A filter value of ``spec``'s kind (no existence checks: an unknown id simply matches nothing);
    ``None`` for an empty value."""
    if isinstance(raw, dict | list | tuple):
        raise _bad(spec, "needs a single value here")
    if raw is None or (isinstance(raw, str) and raw == "" and spec.kind not in (Kind.TEXT, Kind.LONGTEXT)):
        return None
    kind = spec.kind
    if kind in (Kind.INT, Kind.USER, Kind.LINK, Kind.LINKS):
        text = str(raw).strip()
        if isinstance(raw, bool) or not text.lstrip("-").isdigit() or len(text) > 20 or abs(int(text)) > MAX_INT:
            raise _bad(spec, f"needs an integer, not '{raw}'")
        return int(text)
    if kind in (Kind.MONEY, Kind.DOUBLE) and not (spec.is_custom and kind == Kind.MONEY):
        try:
            amount = Decimal(str(raw).strip().replace(",", "."))
        except (InvalidOperation, ValueError):
            raise _bad(spec, f"needs a number, not '{raw}'") from None
        if isinstance(raw, bool) or not amount.is_finite() or abs(amount) >= Decimal("1e16"):
            raise _bad(spec, "is out of range")
        return float(amount) if kind == Kind.DOUBLE else amount
    if kind == Kind.DATE:
        day = parse_day(raw)
        if day is None:
            raise _bad(spec, f"'{raw}' is not a date")
        return day
    if kind == Kind.DATETIME:
        moment = parse_moment(raw)
        if moment is None:
            raise _bad(spec, f"'{raw}' is not a date and time")
        return moment
    if kind == Kind.BOOL:
        flag = parse_bool(raw)
        if flag is None:
            raise _bad(spec, "needs true or false (Y or N)")
        return flag
    if kind == Kind.ENUM and spec.is_custom:
        pk = spec.item_id(raw)
        return -1 if pk is None else pk  # -1: no such item, matches nothing
    text = str(raw)
    if len(text) > 255:
        raise _bad(spec, "the value is longer than 255 characters")
    if kind in (Kind.ENUM, Kind.CURRENCY):
        return text.strip().upper()
    return text


def _values(spec: FieldSpec, raw: Any) -> list[Any]:
    items = list(raw) if isinstance(raw, list | tuple) else (
        [v for v in raw.split(",")] if isinstance(raw, str) and "," in raw and spec.kind not in (
            Kind.TEXT, Kind.LONGTEXT) else [raw])
    if len(items) > MAX_IN:
        raise _bad(spec, f"takes at most {MAX_IN} values")
    return [filter_value(spec, v) for v in items]


def condition(entity: EntityType, spec: FieldSpec, op: Op | str, raw: Any) -> Q:
    """Records whose ``spec`` field satisfies ``op raw``. An operator the field does not support is a
    422 naming the field."""
    op = Op(op)
    if op.value not in spec.ops:
        allowed = ", ".join(spec.ops) or "none"
        raise _bad(spec, f"cannot be filtered with '{op.value}' (supported: {allowed})")
    base = NEGATION.get(op, op)
    if spec.is_custom:
        cond = _custom(entity, spec, base, raw)
    elif spec.kind == Kind.MULTI:
        cond = _comm(entity, spec, base, raw)
    elif spec.name in ("has_phone", "has_email"):
        cond = _has_comm(entity, spec, raw)
    elif spec.kind == Kind.LINKS:
        cond = _links(entity, spec, raw)
    else:
        cond = _column(spec, base, raw)
    return ~cond if op in NEGATION else cond


def conditions(entity: EntityType, terms: Iterable[tuple[FieldSpec, Op | str, Any]]) -> Q:
    """All ``terms`` at once (AND)."""
    cond = Q()
    for spec, op, raw in terms:
        cond &= condition(entity, spec, op, raw)
    return cond


def _column(spec: FieldSpec, op: Op, raw: Any) -> Q:
    path = spec.column
    if op in (Op.CONTAINS, Op.LIKE):
        text = raw if isinstance(raw, str) else None
        if text is None:
            raise _bad(spec, "needs a text value")
        if len(text) > 255:
            raise _bad(spec, "the pattern is longer than 255 characters")
        lookup = "icontains" if op == Op.CONTAINS else "like_pattern"
        return Q(**{f"{path}__{lookup}": text})
    if op in COMPARE:
        value = filter_value(spec, raw)
        if value is None:
            raise _bad(spec, "needs a value to compare with")
        return Q(**{f"{path}__{op.value}": value})
    if op == Op.IN or isinstance(raw, list | tuple):
        values = _values(spec, raw)
        cond = Q(**{f"{path}__in": [v for v in values if v is not None]})
        if any(v is None for v in values):
            cond |= _empty(spec)
        return cond
    value = filter_value(spec, raw)
    if value is None or (value == "" and spec.kind in (Kind.TEXT, Kind.LONGTEXT)):
        return _empty(spec)
    if isinstance(value, bool):
        # ``IN (value)``, not ``NOT field``: SQLite can serve that from an index on (…, field, id).
        return Q(**{f"{path}__in": [value]})
    return Q(**{path: value})


def _empty(spec: FieldSpec) -> Q:
    path = spec.column
    if spec.empty_value == "":
        return Q(**{path: ""}) | Q(**{f"{path}__isnull": True})
    return Q(**{f"{path}__isnull": True})


def _comm(entity: EntityType, spec: FieldSpec, op: Op, raw: Any) -> Q:
    """Records with that normalised phone / e-mail / website / messenger (equality only)."""
    from kontor.crm.models import Communication

    keys = []
    for value in (raw if isinstance(raw, list | tuple) else [raw]):
        if isinstance(value, dict | list) or value is None:
            raise _bad(spec, "needs text values")
        text = str(value).strip()
        if spec.comm_type == "PHONE":
            keys.append(normalize_phone(text) or text.lower())
        elif spec.comm_type == "EMAIL":
            keys.append(normalize_email(text) or text.lower())
        else:
            keys.append(text.lower())
    if len(keys) > MAX_IN:
        raise _bad(spec, f"takes at most {MAX_IN} values")
    found = Communication.objects.filter(entity_type=entity, type=spec.comm_type, normalized__in=keys,
                                         entity_id=OuterRef("pk"))
    return Q(Exists(found))


def _has_comm(entity: EntityType, spec: FieldSpec, raw: Any) -> Q:
    from kontor.crm.models import Communication

    flag = filter_value(spec, raw)
    comm_type = "PHONE" if spec.name == "has_phone" else "EMAIL"
    cond = Q(Exists(Communication.objects.filter(entity_type=entity, type=comm_type, entity_id=OuterRef("pk"))))
    return cond if flag else ~cond


def _links(entity: EntityType, spec: FieldSpec, raw: Any) -> Q:
    """Deals with any of these contacts (``contact_ids``), contacts in any of these companies."""
    ids = [v for v in _values(spec, raw) if v is not None]
    if spec.name == "contact_ids":
        from kontor.crm.models import DealContact

        return Q(Exists(DealContact.objects.filter(deal_id=OuterRef("pk"), contact_id__in=ids)))
    from kontor.crm.models import ContactCompany

    return Q(Exists(ContactCompany.objects.filter(contact_id=OuterRef("pk"), company_id__in=ids)))


# --- custom fields --------------------------------------------------------------------------------


def _table(entity: EntityType) -> str:
    from kontor.crm.models import RECORD_MODELS

    return RECORD_MODELS[entity]._meta.db_table


def uf_expression(table: str | None, key: str, *, text: bool = False) -> str:
    """SQL for the JSON value at ``key`` of ``table``'s ``uf`` (``table`` ``None``: unqualified, as in
    an index). ``key`` is a custom field's code, ``uf_crm_[a-z0-9_]``, never user text."""
    column = f'"{table}"."uf"' if table else '"uf"'
    if connection.vendor == "postgresql":
        return f"({column} ->> '{key}')" if text else f"({column} -> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def uf_index_sql(entity: EntityType, key: str) -> tuple[str, str]:
    """``(CREATE INDEX …, DROP INDEX …)`` for one custom field's values."""
    table = _table(entity)
    name = f"{table}_{key}_idx"[:63]
    create = f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({uf_expression(None, key)})'
    return create, f'DROP INDEX IF EXISTS "{name}"'


def _stored(spec: FieldSpec, value: Any) -> Any:
    """A filter value in the form ``uf`` stores it (dates ISO, datetimes UTC ``…Z``)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if spec.kind != Kind.MONEY else str(value)
    return value


def _param(value: Any) -> tuple[str, Any]:
    """A placeholder and its parameter comparable with the stored JSON value."""
    if connection.vendor == "postgresql":
        return "%s::jsonb", json.dumps(value)
    return "%s", value


def _custom(entity: EntityType, spec: FieldSpec, op: Op, raw: Any) -> Q:
    table = _table(entity)
    key = spec.name
    if op in (Op.CONTAINS, Op.LIKE):
        if not isinstance(raw, str) or len(raw) > 255:
            raise _bad(spec, "needs a text value of at most 255 characters")
        if op == Op.CONTAINS:  # the text itself, its % and _ included, anywhere in the value
            literal = escape_like_pattern(raw).replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{literal}%"
        else:
            pattern = escape_like_pattern(raw)
        like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"
        sql = f"{uf_expression(table, key, text=True)} {like} %s ESCAPE '\\'"
        return Q(RawSQL(sql, [pattern], output_field=BooleanField()))
    if spec.multiple:
        values = [_stored(spec, v) for v in _values(spec, raw) if v is not None]
        if connection.vendor == "postgresql":
            any_of = " OR ".join([f'("{table}"."uf" -> \'{key}\') @> %s::jsonb'] * len(values)) or "FALSE"
            return Q(RawSQL(f"({any_of})", [json.dumps([v]) for v in values], output_field=BooleanField()))
        holders = ", ".join(["%s"] * len(values)) or "NULL"
        sql = f"EXISTS (SELECT 1 FROM json_each(\"{table}\".\"uf\", '$.{key}') WHERE value IN ({holders}))"
        return Q(RawSQL(sql, values, output_field=BooleanField()))
    expr = uf_expression(table, key)
    if op in COMPARE:
        value = filter_value(spec, raw)
        if value is None:
            raise _bad(spec, "needs a value to compare with")
        mark, param = _param(_stored(spec, value))
        return Q(RawSQL(f"{expr} {COMPARE[op]} {mark}", [param], output_field=BooleanField()))
    values = _values(spec, raw)
    present = [_stored(spec, v) for v in values if v is not None]
    parts: list[str] = []
    params: list[Any] = []
    if present:
        marks: list[str] = []
        for value in present:
            mark, param = _param(value)
            marks.append(mark)
            params.append(param)
        parts.append(f"{expr} IN ({', '.join(marks)})" if len(marks) > 1 else f"{expr} = {marks[0]}")
    if len(present) < len(values):
        parts.append(f"{expr} IS NULL")
    return Q(RawSQL("(" + " OR ".join(parts) + ")", params, output_field=BooleanField()))
