"""The one conversion map: what a lead's fields become on the deal, the contact and the company.

Both conversion engines read it — manual and simple-mode conversion (``services._convert_lead``,
through the record services) and the switch job's set-based SQL (``jobs.LeadBulkConverter``, whose
``INSERT … SELECT`` column lists are generated from it) — so they cannot drift apart.

Standard fields come from the lead specs' ``convert`` (``kontor.crm.fields.CONVERSION``). Custom
fields travel as Bitrix24's converter carries them: a lead's ``UF_CRM_X`` value goes to the target's
``UF_CRM_X`` when that field exists with a compatible type (the same ``CustomType``, or one of
``COMPATIBLE`` — an url into a text, not a text into an url, which need not be an address), the same
``multiple`` flag and, for links to CRM records, the same record kind.
Enumerations are carried by item value (the lead's item id becomes the id of the target item with
the same value), so every lead item needs a same-valued item on the target.

Missing target fields (``missing_target_fields``) are looked for on the deal only: the deal is what
every conversion makes (simple mode, the switch), and a lead's custom fields describe the inquiry
— an order number, a campaign — which the deal continues. Creating a copy of every lead field on
contacts and companies as well would triple the fields; values still go to a contact's or company's
field when an admin defined one with the same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from kontor.crm.enums import EntityType
from kontor.crm.fields import COMPATIBLE, CONVERSION, CustomType, FieldSpec, Kind, spec_map, specs_for

#: The record kinds a lead converts into, with their entity types.
TARGETS: dict[str, EntityType] = {"deal": EntityType.DEAL, "contact": EntityType.CONTACT,
                                  "company": EntityType.COMPANY}
#: Where ``missing_target_fields`` looks (see the module docstring).
CREATE_MISSING_ON = ("deal",)


@dataclass(frozen=True)
class Carry:
    """One lead field carried to one target field."""

    source: FieldSpec
    target: FieldSpec
    #: Enumerations: lead item id → target item id (same value).
    items: Mapping[int, int] | None = None

    @property
    def pair(self) -> tuple[str, str]:
        """``(lead column or uf key, target column or uf key)``."""
        return self.source.column, self.target.column


@dataclass(frozen=True)
class TargetMap:
    """What one target kind receives from a lead (``conversion_map()[kind]``)."""

    #: Standard columns.
    columns: tuple[Carry, ...] = ()
    #: Multi-field types (``PHONE``, ``EMAIL``, ``WEB``, ``IM``) copied to the target.
    comm_types: tuple[str, ...] = ()
    #: Custom fields (``uf`` keys).
    custom: tuple[Carry, ...] = ()
    #: Every custom key a lead can hold (its defined fields), carried or not.
    lead_keys: tuple[str, ...] = field(default=())

    def pairs(self) -> list[tuple[str, str]]:
        return [c.pair for c in (*self.columns, *self.custom)]


def _item_map(source: FieldSpec, target: FieldSpec) -> dict[int, int] | None:
    by_value = {value.strip().casefold(): pk for pk, value in target.items}
    mapping = {}
    for pk, value in source.items:
        found = by_value.get(value.strip().casefold())
        if found is None:
            return None
        mapping[pk] = found
    return mapping


def custom_carry(source: FieldSpec, target: FieldSpec | None) -> Carry | None:
    """How a lead's custom field travels to ``target`` (a same-code field), or ``None`` when it cannot."""
    if target is None or not target.is_custom:
        return None
    s, t = source.custom, target.custom
    s_type, t_type = CustomType(s.type), CustomType(t.type)
    if t_type != s_type and t_type not in COMPATIBLE.get(s_type, ()):
        return None
    if (s_type, t_type) == (CustomType.STRING, CustomType.URL):
        return None  # every address is a text, but a text need not be an address: the url field would refuse it
    if s.multiple != t.multiple:
        return None
    if s_type == CustomType.CRM and source.link != target.link:
        return None
    if s_type == CustomType.ENUMERATION:
        items = _item_map(source, target)
        if items is None:
            return None
        if all(k == v for k, v in items.items()):
            items = None  # the same items (ids): a plain copy
        return Carry(source, target, items)
    return Carry(source, target)


def conversion_map() -> dict[str, TargetMap]:
    """Per target kind, what a lead's fields become there (custom fields read from the database)."""
    lead = spec_map(EntityType.LEAD)
    lead_custom = [s for s in lead.values() if s.is_custom]
    out = {}
    for kind, entity in TARGETS.items():
        target = spec_map(entity)
        columns, comms = [], []
        for lead_name, target_name in CONVERSION[kind].items():  # every target takes some lead fields
            src, dst = lead[lead_name], target[target_name]
            if src.kind == Kind.MULTI:
                comms.append(src.comm_type or "")
            else:
                columns.append(Carry(src, dst))
        custom = [c for c in (custom_carry(s, target.get(s.name)) for s in lead_custom) if c is not None]
        out[kind] = TargetMap(columns=tuple(columns), comm_types=tuple(comms), custom=tuple(custom),
                              lead_keys=tuple(s.name for s in lead_custom))
    return out


def conversion_pairs() -> dict[str, list[tuple[str, str]]]:
    """``{target kind: [(lead column or uf key, target column or uf key), …]}``."""
    return {kind: tmap.pairs() for kind, tmap in conversion_map().items()}


# --- the values, in Python ------------------------------------------------------------------------


def carried_uf(lead_uf: Mapping[str, Any] | None, tmap: TargetMap) -> dict[str, Any]:
    """The custom values a lead's ``uf`` gives the target (``{}`` when none)."""
    out: dict[str, Any] = {}
    for carry in tmap.custom:
        value = (lead_uf or {}).get(carry.source.name)
        if value is None:
            continue
        if carry.items is not None:
            value = [carry.items[v] for v in value] if isinstance(value, list) else carry.items[value]
        out[carry.target.name] = value
    return out


# --- the values, in SQL ---------------------------------------------------------------------------


def _key(name: str) -> str:
    # Keys come from validated codes (UF_CRM_[A-Z0-9_]); never user text in SQL.
    assert name.replace("_", "").isalnum() and name.islower(), name
    return name


def uf_sql(tmap: TargetMap) -> str:
    """A SQL expression giving the target's ``uf`` from the lead row ``l`` — what ``carried_uf``
    computes: the lead's JSON without the keys the target does not take, enumeration items
    translated, ``NULL`` when nothing is left (``'{}'`` compares as JSON on PostgreSQL, as text on
    SQLite, where both sides are minified). A plain copy when every key travels unchanged."""
    pg = connection.vendor == "postgresql"
    col = "l.uf"
    plain = {c.source.name for c in tmap.custom if c.items is None}
    drop = [_key(k) for k in tmap.lead_keys if k not in plain]
    if not tmap.custom:
        return "NULL"
    if not drop:
        return f"NULLIF({col}, '{{}}')"
    if pg:
        base = f"({col} - ARRAY[{', '.join(repr(k) for k in drop)}]::text[])"
    else:
        base = f"json_remove({col}, {', '.join(repr('$.' + k) for k in drop)})"
    patch = []
    for carry in tmap.custom:
        if carry.items is None:
            continue
        key = _key(carry.source.name)
        if pg:
            cases = " ".join(f"WHEN '{s}' THEN {t}" for s, t in carry.items.items())
            if carry.source.multiple:
                value = (f"(SELECT jsonb_agg(CASE e.v #>> '{{}}' {cases} END ORDER BY e.n)"
                         f" FROM jsonb_array_elements({col} -> '{key}') WITH ORDINALITY AS e(v, n))")
            else:
                value = f"CASE {col} ->> '{key}' {cases} END"
        else:
            cases = " ".join(f"WHEN {s} THEN {t}" for s, t in carry.items.items())
            if carry.source.multiple:
                value = (f"CASE WHEN json_type({col}, '$.{key}') IS NULL THEN NULL ELSE json((SELECT"
                         f" json_group_array(CASE e.value {cases} END) FROM json_each({col}, '$.{key}') e)) END")
            else:
                value = f"CASE json_extract({col}, '$.{key}') {cases} END"
        patch += [f"'{carry.target.name}'", value]
    if patch:
        if pg:
            base = f"({base} || jsonb_strip_nulls(jsonb_build_object({', '.join(patch)})))"
        else:
            base = f"json_patch({base}, json_object({', '.join(patch)}))"
    return f"NULLIF({base}, '{{}}')"


# --- missing target fields ------------------------------------------------------------------------


def missing_target_fields(targets: Iterable[str] = CREATE_MISSING_ON) -> list[tuple[str, Any]]:
    """``[(target kind, lead CustomField)]``: lead custom fields without a same-code field on the
    target (by default the deal; see the module docstring)."""
    lead_custom = [s for s in specs_for(EntityType.LEAD) if s.is_custom]
    out = []
    for kind in targets:
        codes = {s.name for s in specs_for(TARGETS[kind]) if s.is_custom}
        out += [(kind, s.custom) for s in lead_custom if s.name not in codes]
    return out


def create_missing_target_fields(*, actor, targets: Iterable[str] = CREATE_MISSING_ON) -> list[Any]:
    """Create the ``missing_target_fields`` with the lead field's code, type, labels, flags and items.
    Never mandatory: a field a conversion added must not make every later record need a value."""
    from kontor.crm.services.custom_fields import custom_field_create

    made = []  # custom_field_create runs pending foreign-key checks before its index DDL (PostgreSQL)
    for kind, cf in missing_target_fields(targets):
        items = [{"value": i.value, "sort": i.sort, "is_default": i.is_default, "xml_id": i.xml_id}
                 for i in cf.items.order_by("sort", "id")] if cf.type == CustomType.ENUMERATION else None
        made.append(custom_field_create(
            actor=actor, entity_type=TARGETS[kind], code=cf.code, type=cf.type, label_de=cf.label_de,
            label_en=cf.label_en, multiple=cf.multiple, mandatory=False, sort=cf.sort,
            show_in_list=cf.show_in_list, show_filter=cf.show_filter, settings=dict(cf.settings or {}),
            items=items, xml_id=cf.xml_id))
    return made


def fields_made(fields: Iterable[Any]) -> list[dict[str, str]]:
    """How the switch and the audit log name created fields: ``[{"entity": "deal", "code": …}]``."""
    return [{"entity": EntityType(f.entity_type).name.lower(), "code": f.code} for f in fields]
