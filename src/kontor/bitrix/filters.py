"""Bitrix24 list filters, orders and selects: the prefix syntax over Kontor's one filter engine.

A key such as ``>=DATE_CREATE`` is split into an operator and a field name here; the condition itself
comes from ``kontor.crm.filtering.condition`` and the field's spec, exactly as for the native API's
``?field__gte=``. Only fields with a spec, or one of the few facade-only fields a record kind
declares (semantics, categories, stage codes), are accepted (anything else is a 400), and values
always travel as query parameters: no user text ever becomes SQL. Prefixes (BITRIX24_REST.md §1.6):
``=``/none equal, ``!``/``!=`` not equal, ``> >= < <=``, ``@`` in, ``!@`` not in, ``%`` substring,
``=%``/``%=`` LIKE with explicit ``%``/``_`` wildcards, ``!%``/``!=%``/``!%=`` their negations.

``Field`` is the older per-path declaration still used by ``crm.activity.list`` (activities have no
record specs yet).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from kontor.bitrix.errors import argument_error
from kontor.bitrix.mapping import parse_when
from kontor.bitrix.params import as_list, to_int, yes_no
from kontor.core.errors import KontorError
from kontor.crm.enums import EntityType
from kontor.crm.fields import FieldSpec
from kontor.crm.filtering import Op, condition
from kontor.crm.selectors import flag_is

# Longest prefixes first, so "!=%" is not read as "!=" + "%FIELD".
OPERATORS = ("!=%", "!%=", "!@", "!=", "!%", ">=", "<=", "=%", "%=", "=", "!", ">", "<", "@", "%")
EQUALITY = {"", "=", "!", "!=", "@", "!@"}
COMPARISON = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
LIKE = {"%", "=%", "%=", "!%", "!=%", "!%="}
NEGATED = {"!", "!=", "!@", "!%", "!=%", "!%="}
MAX_INT = 2**63 - 1
MAX_IN = 1000


#: Bitrix24 prefix → the engine's operator. ``=%``/``%=`` hand the client's own ``%``/``_`` wildcards
#: to SQL LIKE as they are (``%=X`` without a ``%`` is an exact LIKE match, as before).
PREFIX_OPS = {
    "": Op.EQ, "=": Op.EQ, "!": Op.NE, "!=": Op.NE, ">": Op.GT, ">=": Op.GTE, "<": Op.LT, "<=": Op.LTE,
    "@": Op.IN, "!@": Op.NOT_IN, "%": Op.CONTAINS, "!%": Op.NOT_CONTAINS, "=%": Op.LIKE, "%=": Op.LIKE,
    "!=%": Op.NOT_LIKE, "!%=": Op.NOT_LIKE,
}

#: A facade-only filter field: ``(operator, raw value) -> Q``.
Converter = Callable[[Op, Any], Q]


def split_key(key: str) -> tuple[str, str]:
    """``">=DATE_CREATE"`` → ``(">=", "DATE_CREATE")``."""
    for op in OPERATORS:
        if key.startswith(op):
            return op, key[len(op) :]
    return "", key


def spec_filter(entity: EntityType, raw_filter: Mapping[str, Any], specs: Mapping[str, FieldSpec],
                extra: Mapping[str, Converter] | None = None) -> Q:
    """``filter`` of a record list as a ``Q``: ``specs`` by Bitrix24 name through the filter engine,
    ``extra`` for the facade-only fields (they win over a spec of the same name, e.g. a deal's
    ``CATEGORY_ID``, which clients give as a category number, not a pipeline id). An unknown field or
    an operator or value the field cannot take is a 400 ``ERROR_ARGUMENT`` naming the field."""
    extra = extra or {}
    cond = Q()
    for key, raw in raw_filter.items():  # keys are text: JSON's and a query string's are
        prefix, name = split_key(key.strip())
        name = name.upper()
        op = PREFIX_OPS[prefix]
        try:
            if name in extra:
                cond &= extra[name](op, raw)
            elif name in specs:
                cond &= condition(entity, specs[name], op, raw)
            else:
                raise argument_error(f"Filter field '{name}' is not supported.", "filter")
        except KontorError as exc:
            # The engine names the native field; the client knows it by its Bitrix24 name.
            detail = exc.message.split(": ", 1)[-1]
            raise argument_error(f"Filter field '{name}': {detail}", "filter") from exc
    return cond


def mapped(name: str, path: str, convert: Callable[[Any], Any]) -> Converter:
    """A facade-only equality field ``name``: each value goes through ``convert`` (a code, a category …)
    and is compared with ``path``. An unknown value matches nothing rather than failing."""

    def build(op: Op, raw: Any) -> Q:
        if op not in (Op.EQ, Op.NE, Op.IN, Op.NOT_IN):
            raise argument_error(f"Filter field '{name}' supports only equality (=, !, @, !@).", "filter")
        items = as_list(raw)  # one value is a list of one; no value matches nothing, as an unknown one
        if len(items) > MAX_IN:
            raise argument_error(f"Filter field '{name}' has more than {MAX_IN} values.", "filter")
        for item in items:
            if isinstance(item, dict | list):
                raise argument_error(f"Filter field '{name}' needs single values.", "filter")
        cond = Q(**{f"{path}__in": [convert(v) for v in items]})
        return ~cond if op in (Op.NE, Op.NOT_IN) else cond

    return build


@dataclass(frozen=True)
class Field:
    """One filterable field: its ORM path, how to read a value, which operators make sense."""

    path: str
    kind: str = "int"  # int | str | decimal | datetime | yn
    like: bool = False  # allows the LIKE operators
    compare: bool = True  # allows > >= < <=
    convert: Callable[[Any], Any] | None = None  # custom value mapping (e.g. semantics, categories)

    def value(self, raw: Any, name: str) -> Any:
        if self.convert is not None:
            return self.convert(raw)
        if isinstance(raw, dict | list):
            raise argument_error(f"Filter field '{name}' needs a single value.", "filter")
        if self.kind == "int":
            number = to_int(raw)
            if number is None or abs(number) > MAX_INT:
                raise argument_error(f"Filter field '{name}' needs an integer, not '{raw}'.", "filter")
            return number
        if self.kind == "decimal":
            try:
                amount = Decimal(str(raw).strip().replace(",", "."))
            except (InvalidOperation, ValueError):
                raise argument_error(f"Filter field '{name}' needs a number, not '{raw}'.", "filter") from None
            if not amount.is_finite() or abs(amount) >= Decimal("1e16"):
                raise argument_error(f"Filter field '{name}' is out of range.", "filter")
            return amount
        if self.kind == "datetime":
            return parse_when(raw, name)
        if self.kind == "yn":
            flag = yes_no(raw)
            if flag is None:
                raise argument_error(f"Filter field '{name}' needs Y or N.", "filter")
            return flag
        return "" if raw is None else str(raw)

    def q(self, op: str, raw: Any, name: str) -> Q:
        if op in LIKE:
            if not self.like:
                raise argument_error(f"Filter field '{name}' does not support '{op}'.", "filter")
            text = str(raw) if not isinstance(raw, dict | list) else None
            if text is None:
                raise argument_error(f"Filter field '{name}' needs a single value.", "filter")
            if len(text) > 255:
                raise argument_error(f"Filter field '{name}': the pattern is longer than 255 characters.", "filter")
            if op in ("%", "!%"):
                cond = Q(**{f"{self.path}__icontains": text})
            else:
                cond = Q(**{f"{self.path}__like_pattern": text})  # SQL LIKE, never a regex
            return ~cond if op in NEGATED else cond
        if op in COMPARISON:
            if not self.compare:
                raise argument_error(f"Filter field '{name}' does not support '{op}'.", "filter")
            return Q(**{f"{self.path}__{COMPARISON[op]}": self.value(raw, name)})
        # equality family
        if isinstance(raw, dict | list) or op in ("@", "!@"):
            items = as_list(raw)
            if len(items) > MAX_IN:
                raise argument_error(f"Filter field '{name}' has more than {MAX_IN} values.", "filter")
            # no kind reads a value as None (text reads it as ""): no IS NULL to add
            cond = Q(**{f"{self.path}__in": [self.value(v, name) for v in items]})
        else:
            value = None if raw is None or (raw == "" and self.kind not in ("str",)) else self.value(raw, name)
            if value is None:
                cond = Q(**{f"{self.path}__isnull": True})
            elif isinstance(value, bool):
                cond = flag_is(self.path, value)
            else:
                cond = Q(**{self.path: value})
        return ~cond if op in NEGATED else cond


def build_filter(raw_filter: Mapping[str, Any], fields: Mapping[str, Field | Callable[[str, Any], Q]]) -> Q:
    """``filter`` of a list call as a ``Q``; an unknown field or operator is a 400."""
    cond = Q()
    for key, raw in raw_filter.items():  # keys are text: JSON's and a query string's are
        op, name = split_key(key.strip())
        field = fields.get(name.upper())
        if field is None:
            raise argument_error(f"Filter field '{name}' is not supported.", "filter")
        cond &= field.q(op, raw, name) if isinstance(field, Field) else field(op, raw)
    return cond


def build_order(raw_order: Mapping[str, Any], fields: Mapping[str, str]) -> list[str]:
    """``order`` as ORM ``order_by`` terms, always ending in ``id`` so pages are stable.

    Unknown fields are ignored, as Bitrix24 does; a direction other than ASC/DESC means ASC.
    """
    terms: list[str] = []
    for key, direction in raw_order.items():
        path = fields.get(str(key).strip().upper())
        if path is None:
            continue
        desc = isinstance(direction, str) and direction.strip().upper() == "DESC"
        terms.append(f"-{path}" if desc else path)
    if not any(t.lstrip("-") == "id" for t in terms):
        # The tie-breaker follows the last direction, so an index on that column can serve the order.
        terms.append("-id" if terms and terms[-1].startswith("-") else "id")
    return terms


def parse_select(raw_select: Any) -> tuple[bool, set[str]]:
    """``(all standard fields?, named fields)`` from ``select``; empty (``(True, set())``) means ``*`` +
    ``UF_*``."""
    names = {str(v).strip().upper() for v in as_list(raw_select) if isinstance(v, str | int)}
    names.discard("")
    if not names:
        return True, set()
    # "*" stays among the names: an explicit "*" (no user fields, no multi-fields) is not an empty select.
    return "*" in names, names
