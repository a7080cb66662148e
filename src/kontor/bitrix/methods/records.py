"""crm.lead.*, crm.deal.*, crm.contact.*, crm.company.* and crm.deal.contact.items.*.

The field maps are not written here: they come from the record specs (``kontor.crm.fields.bitrix_map``,
standard and custom fields). A spec's Bitrix24 name is how the facade reads, writes, filters, selects,
orders and describes the field; its kind decides the value format (ids and amounts as strings, Y/N,
ISO 8601 with offset, a day as ``YYYY-MM-DDT00:00:00+HH:MM``, empty as ``null``). What is left here
are the few fields only the facade has (semantics, categories, stage codes with ``CN:`` prefixes,
``IS_NEW`` …), declared per record kind.

Rule: nothing answered with success is lost. A key in ``fields`` is stored under its native name, or
it is one Bitrix24 itself ignores on write (``READ_ONLY``), or the call is a 400 naming it.

Every write goes through ``kontor.crm.services`` with the webhook's user as actor: validation,
timeline and (for a lead in simple mode) the conversion happen there, not here.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any, ClassVar

from django.db.models import Q, QuerySet
from django.utils import timezone

from kontor.bitrix.errors import RestError, argument_error, crm_error, translate
from kontor.bitrix.filters import Converter, build_order, mapped, spec_filter
from kontor.bitrix.mapping import CODE_SEMANTIC, LINK_PREFIXES, dt, money, s, yn
from kontor.bitrix.methods.common import (
    Entity,
    comm_keys,
    field_meta,
    multi_in_add,
    multi_in_update,
    multi_out,
    ref_in,
    text_in,
)
from kontor.bitrix.params import as_list, yes_no
from kontor.bitrix.registry import Call
from kontor.core.errors import KontorError
from kontor.core.money import is_currency
from kontor.crm import services
from kontor.crm.enums import EntityType
from kontor.crm.fields import FieldSpec, Kind, bitrix_map, parse_day, parse_moment
from kontor.crm.filtering import Op, condition
from kontor.crm.models import Communication, Company, Contact, ContactCompany, Deal, DealContact, Lead

#: Fields Bitrix24 computes itself and ignores on write: a client may send them back unchanged.
READ_ONLY = frozenset({
    "ID", "DATE_CREATE", "DATE_MODIFY", "CREATED_BY_ID", "MODIFY_BY_ID", "MOVED_BY_ID", "MOVED_TIME",
    "DATE_CLOSED", "STATUS_SEMANTIC_ID", "STAGE_SEMANTIC_ID", "IS_NEW", "IS_RETURN_CUSTOMER", "HAS_PHONE",
    "HAS_EMAIL", "HAS_IMOL", "LEAD_ID", "CLOSED", "QUOTE_ID", "LAST_ACTIVITY_TIME", "LAST_ACTIVITY_BY",
    "IS_REPEATED_APPROACH",
})

#: ``select`` names of the multi-fields (only returned when named, as in Bitrix24).
MULTI_FIELDS = ("PHONE", "EMAIL", "WEB", "IM")


def _day(value: date | None) -> str:
    """A day as Bitrix24 sends a date field: midnight with the server's offset; ``""`` when empty."""
    if value is None:
        return ""
    moment = timezone.make_aware(datetime.combine(value, time.min), timezone.get_default_timezone())
    return moment.isoformat(timespec="seconds")


def value_out(spec: FieldSpec, value: Any) -> Any:
    """A stored standard value in Bitrix24's format."""
    kind = spec.kind
    if kind in (Kind.INT, Kind.USER, Kind.LINK, Kind.DOUBLE):
        return s(value)
    if kind == Kind.MONEY:
        return money(value)
    if kind == Kind.DATE:
        return _day(value)
    if kind == Kind.DATETIME:
        return dt(value)
    if kind == Kind.BOOL:
        return yn(bool(value))
    return value if value not in (None, "") else None


def custom_out(spec: FieldSpec, value: Any) -> Any:
    """A custom value (as ``uf`` stores it) as Bitrix24 sends a user field: numbers and ids as
    strings, booleans ``"1"``/``"0"`` (the user field type's own values), dates with offset."""
    if value is None:
        return [] if spec.multiple else None
    if spec.multiple:
        return [custom_out(replace(spec, multiple=False), v) for v in as_list(value)]
    kind = spec.kind
    if kind == Kind.BOOL:
        return "1" if value else "0"
    if kind == Kind.DATE:
        return _day(parse_day(value))
    if kind == Kind.DATETIME:
        return dt(parse_moment(value))
    if kind in (Kind.INT, Kind.DOUBLE, Kind.ENUM, Kind.USER, Kind.LINK):
        return str(value)
    return value


def custom_in(spec: FieldSpec, value: Any) -> Any:
    """A user field's value from a client, for the service to validate."""
    if spec.multiple:
        return [custom_in(replace(spec, multiple=False), v) for v in as_list(value)]
    if spec.kind == Kind.LINK and isinstance(value, str):
        # Bitrix24's CRM binding values may name the kind too: "C_12", "CO_3"; it must be the field's.
        found = re.fullmatch(r"\s*(?:([A-Za-z]{1,2})_)?(\d+)\s*", value)
        if found is None:
            return value
        if found[1] is not None and LINK_PREFIXES.get(found[1].upper()) != spec.link:
            raise crm_error(f"{spec.name.upper()}: '{value.strip()}' does not name a {spec.link}")
        return ref_in(found[2])
    if spec.kind in (Kind.USER, Kind.LINK):
        return ref_in(value)
    if spec.kind in (Kind.TEXT, Kind.URL):
        return text_in(value)
    return value


def meta_of(spec: FieldSpec) -> dict[str, Any]:
    """A spec as one entry of ``crm.*.fields``; custom fields in Bitrix24's user field shape."""
    extra: dict[str, Any] = {}
    if spec.kind == Kind.ENUM and spec.directory:
        extra["statusType"] = spec.directory
    if spec.is_custom:
        extra.update(listLabel=spec.label, formLabel=spec.label, filterLabel=spec.label)
        if spec.kind == Kind.ENUM:
            extra["items"] = [{"ID": str(pk), "VALUE": value} for pk, value in spec.items]
        meta = field_meta(spec.bitrix_type_name, spec.label, required=spec.required, multiple=spec.multiple,
                          **extra)
        meta["isDynamic"] = True
        return meta
    return field_meta(spec.bitrix_type_name, spec.label, required=spec.required, read_only=spec.read_only,
                      immutable=spec.immutable, multiple=spec.multiple, **extra)


class RecordEntity(Entity):
    """A lead, deal, contact or company on the facade, driven by its record specs."""

    entity_type: EntityType
    #: Facade-only fields: ``{name: crm.*.fields entry}``; their values come from ``derived``.
    derived_meta: ClassVar[dict[str, dict[str, Any]]] = {}
    #: Facade-only fields a client may write with the value Kontor always has (``None``: any Y/N),
    #: e.g. ``IS_MANUAL_OPPORTUNITY``: Kontor keeps the amount as given, with or without it.
    accepted: ClassVar[dict[str, str | None]] = {}

    # --- specs ----------------------------------------------------------------------------------
    def specs(self, call: Call) -> dict[str, FieldSpec]:
        """``{Bitrix24 name: spec}``, read once per call (custom fields come from the database)."""
        cache = call.__dict__.setdefault("_bitrix_specs", {})
        if self.entity_type not in cache:
            cache[self.entity_type] = bitrix_map(self.entity_type)
        return cache[self.entity_type]

    @property
    def multi_fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return MULTI_FIELDS

    # --- reading --------------------------------------------------------------------------------
    def derived(self, obj: Any, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        return {}

    def page_extra(self, rows, call, wanted):
        if not rows:
            return {}
        out: dict[int, dict[str, Any]] = {r.pk: {} for r in rows}
        if wanted is None or {*MULTI_FIELDS, "HAS_PHONE", "HAS_EMAIL", "*"} & wanted:
            for pk in out:
                out[pk]["comms"] = {t: [] for t in MULTI_FIELDS}
            for c in Communication.objects.filter(entity_type=self.entity_type,
                                                  entity_id__in=list(out)).order_by("id"):
                out[c.entity_id]["comms"].setdefault(c.type, []).append(c)
        return out

    def to_bitrix(self, obj: Any, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        comms = extra.get("comms")
        uf = getattr(obj, "uf", None) or {}
        for bx, spec in self.specs(call).items():
            if spec.is_custom:
                data[bx] = custom_out(spec, uf.get(spec.name))
            elif spec.kind == Kind.MULTI:
                if comms is not None:
                    data[bx] = multi_out(comms.get(bx, []))
            elif spec.name in ("has_phone", "has_email"):
                if comms is not None:
                    data[bx] = yn(bool(comms.get("PHONE" if spec.name == "has_phone" else "EMAIL")))
            elif spec.kind != Kind.LINKS:  # the links only come with crm.*.get (handle_get)
                data[bx] = value_out(spec, getattr(obj, spec.column))
        data.update(self.derived(obj, call, extra))
        return data

    def handle_get(self, call: Call) -> dict[str, Any]:
        data = super().handle_get(call)
        for bx, spec in self.specs(call).items():
            if spec.kind == Kind.LINKS:
                data[bx] = self.links(spec, int(data["ID"]))
        return data

    def links(self, spec: FieldSpec, pk: int) -> list[int]:
        if spec.name == "contact_ids":
            deal_rows = DealContact.objects.filter(deal_id=pk).order_by("-is_primary", "sort", "id")
            return list(deal_rows.values_list("contact_id", flat=True))
        company_rows = ContactCompany.objects.filter(contact_id=pk).order_by("-is_primary", "sort", "id")
        return list(company_rows.values_list("company_id", flat=True))

    def fields_description(self, call: Call) -> dict[str, Any]:
        out = {bx: meta_of(spec) for bx, spec in self.specs(call).items()}
        out.update(self.derived_meta)
        return out

    # --- lists ----------------------------------------------------------------------------------
    def filter_extra(self, call: Call) -> dict[str, Converter]:
        return {}

    def list_filter(self, call: Call, raw_filter: dict[str, Any]) -> Q:
        specs = self.specs(call)
        extra = self.filter_extra(call)
        if "PHONE" in specs:
            extra = {"PHONE": _phone_filter(self.entity_type, specs["PHONE"]), **extra}
        return spec_filter(self.entity_type, raw_filter, specs, extra)

    def list_order(self, call: Call, raw_order: dict[str, Any]) -> list[str]:
        fields = {bx: spec.column for bx, spec in self.specs(call).items() if spec.orderable}
        return build_order(raw_order, fields)

    # --- writing --------------------------------------------------------------------------------
    def special_in(self, call: Call, name: str, value: Any, data: dict[str, Any], obj: Any) -> bool:
        """A facade-only writable field (a deal's CATEGORY_ID, STAGE_ID); ``True`` when handled."""
        return False

    def data_in(self, call: Call, fields: dict[str, Any], obj: Any = None) -> dict[str, Any]:
        """Bitrix24 ``fields`` as the service's native ``data``. Read-only fields are skipped as
        Bitrix24 skips them; any other key without a spec is a 400 naming it."""
        specs = self.specs(call)
        data: dict[str, Any] = {}
        for name, value in fields.items():
            if self.special_in(call, name, value, data, obj):
                continue
            spec = specs.get(name)
            if spec is None:
                if name in READ_ONLY:
                    continue
                if name in self.accepted:
                    wanted = self.accepted[name]
                    flag = yes_no(value)
                    if flag is None or (wanted is not None and yn(flag) != wanted):
                        raise argument_error(f"Field '{name}': Kontor supports only '{wanted or 'Y/N'}'.", "fields")
                    continue
                if name.startswith("UF_"):
                    raise argument_error(f"Field '{name}' is not defined for {self.name}s (create it with "
                                         f"crm.{self.name}.userfield.add first).", "fields")
                raise argument_error(f"Field '{name}' is not supported by Kontor for {self.name}s.", "fields")
            if spec.read_only:
                continue
            data[spec.name] = self.value_in(spec, value, obj)
        return data

    def value_in(self, spec: FieldSpec, value: Any, obj: Any) -> Any:
        if spec.is_custom:
            return custom_in(spec, value)
        kind = spec.kind
        if kind == Kind.CURRENCY and isinstance(value, str) and value.strip() and not is_currency(value):
            raise crm_error(f"{spec.bitrix}: '{value}' is not an ISO 4217 currency code (such as EUR).")
        if kind == Kind.MULTI:
            if obj is None:
                return multi_in_add(value)
            existing = Communication.objects.filter(entity_type=self.entity_type, entity_id=obj.pk,
                                                    type=spec.comm_type)
            return multi_in_update(value, list(existing))
        if kind == Kind.LINKS:
            return [v for v in as_list(value) if ref_in(v) is not None]
        if kind in (Kind.USER, Kind.LINK):
            return ref_in(value)
        if kind in (Kind.TEXT, Kind.LONGTEXT, Kind.URL):
            return text_in(value)
        return value

    def translate(self, exc: KontorError, call: Call) -> RestError:
        """A service's error naming a native field, re-worded with the field's Bitrix24 name."""
        return translate(exc, {spec.name: bx for bx, spec in self.specs(call).items()})

    def handle_add(self, call: Call) -> int:
        try:
            return super().handle_add(call)
        except KontorError as exc:
            raise self.translate(exc, call) from exc

    def handle_update(self, call: Call) -> bool:
        try:
            return super().handle_update(call)
        except KontorError as exc:
            raise self.translate(exc, call) from exc


def _phone_filter(entity_type: EntityType, spec: FieldSpec) -> Converter:
    """``PHONE`` through the filter engine, a number without ``+`` (as PBXes send it) tried as
    international too: ``79001234567`` finds ``+7 900 123-45-67``."""
    def build(op: Op, raw: Any) -> Q:
        if op in (Op.EQ, Op.NE, Op.IN, Op.NOT_IN) and raw is not None:
            values = raw if isinstance(raw, list | tuple) else [raw]
            if all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
                raw = [key for v in values for key in comm_keys("PHONE", str(v))]
                op = {Op.EQ: Op.IN, Op.NE: Op.NOT_IN}.get(op, op)
        return condition(entity_type, spec, op, raw)

    return build


def _semantic(name: str, path: str) -> Converter:
    return mapped(name, path, lambda raw: CODE_SEMANTIC.get(str(raw).strip().upper(), "-"))


AUDIT_META = {
    "MODIFY_BY_ID": field_meta("user", "Modified by", read_only=True),
}
MOVED_META = {
    "MOVED_BY_ID": field_meta("user", "Moved by", read_only=True),
    "MOVED_TIME": field_meta("datetime", "Moved on", read_only=True),
}


# --- leads --------------------------------------------------------------------------------------


class LeadEntity(RecordEntity):
    name = "lead"
    model = Lead
    entity_type = EntityType.LEAD
    derived_meta = {
        "STATUS_SEMANTIC_ID": field_meta("string", "Status details", read_only=True),
        "IS_MANUAL_OPPORTUNITY": field_meta("char", "Manual amount"),
        **AUDIT_META, **MOVED_META,
    }
    accepted = {"IS_MANUAL_OPPORTUNITY": None}

    def queryset(self) -> QuerySet:
        return Lead.objects.all()

    def derived(self, obj: Lead, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "STATUS_SEMANTIC_ID": call.catalog.status_semantic(obj.status_id),
            "IS_MANUAL_OPPORTUNITY": "N",
            "MODIFY_BY_ID": s(obj.created_by_id),
            "MOVED_BY_ID": s(obj.created_by_id),
            "MOVED_TIME": dt(obj.updated_at),
        }

    def filter_extra(self, call: Call) -> dict[str, Converter]:
        return {"STATUS_SEMANTIC_ID": _semantic("STATUS_SEMANTIC_ID", "status__semantic")}

    def create(self, call: Call, fields: dict[str, Any]) -> int:
        return services.lead_create(actor=call.user, data=self.data_in(call, fields)).pk

    def update(self, obj: Lead, call: Call, fields: dict[str, Any]) -> None:
        services.lead_update(lead=obj, actor=call.user, data=self.data_in(call, fields, obj))

    def delete(self, obj: Lead, call: Call) -> None:
        services.lead_delete(lead=obj, actor=call.user)


# --- contacts -----------------------------------------------------------------------------------


class ContactEntity(RecordEntity):
    name = "contact"
    model = Contact
    entity_type = EntityType.CONTACT
    derived_meta = {"PHOTO": field_meta("file", "Photo", read_only=True), **AUDIT_META}

    def queryset(self) -> QuerySet:
        return Contact.objects.all()

    def derived(self, obj: Contact, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        return {"PHOTO": None, "MODIFY_BY_ID": s(obj.created_by_id)}

    def create(self, call: Call, fields: dict[str, Any]) -> int:
        return services.contact_create(actor=call.user, data=self.data_in(call, fields)).pk

    def update(self, obj: Contact, call: Call, fields: dict[str, Any]) -> None:
        services.contact_update(contact=obj, actor=call.user, data=self.data_in(call, fields, obj))

    def delete(self, obj: Contact, call: Call) -> None:
        services.contact_delete(contact=obj, actor=call.user)


# --- companies ----------------------------------------------------------------------------------


class CompanyEntity(RecordEntity):
    name = "company"
    model = Company
    entity_type = EntityType.COMPANY
    derived_meta = {
        "LOGO": field_meta("file", "Logo", read_only=True),
        "IS_MY_COMPANY": field_meta("char", "My company details", read_only=True),
        **AUDIT_META,
    }
    accepted = {"IS_MY_COMPANY": "N"}

    def queryset(self) -> QuerySet:
        return Company.objects.all()

    def derived(self, obj: Company, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        return {"LOGO": None, "IS_MY_COMPANY": "N", "MODIFY_BY_ID": s(obj.created_by_id)}

    def create(self, call: Call, fields: dict[str, Any]) -> int:
        return services.company_create(actor=call.user, data=self.data_in(call, fields)).pk

    def update(self, obj: Company, call: Call, fields: dict[str, Any]) -> None:
        services.company_update(company=obj, actor=call.user, data=self.data_in(call, fields, obj))

    def delete(self, obj: Company, call: Call) -> None:
        services.company_delete(company=obj, actor=call.user)


# --- deals --------------------------------------------------------------------------------------


class DealEntity(RecordEntity):
    """Deals: Kontor's pipelines are Bitrix24's categories (the default one is ``0``) and a stage is
    its code, ``C<N>:``-prefixed outside the default pipeline."""

    name = "deal"
    model = Deal
    entity_type = EntityType.DEAL
    derived_meta = {
        "CATEGORY_ID": field_meta("crm_category", "Pipeline", immutable=True),
        "STAGE_ID": field_meta("crm_status", "Deal stage", statusType="DEAL_STAGE"),
        "STAGE_SEMANTIC_ID": field_meta("string", "Stage group", read_only=True),
        "IS_NEW": field_meta("char", "New deal", read_only=True),
        "IS_RECURRING": field_meta("char", "Recurring deal", read_only=True),
        "IS_REPEATED_APPROACH": field_meta("char", "Repeated approach", read_only=True),
        "IS_MANUAL_OPPORTUNITY": field_meta("char", "Manual amount"),
        **AUDIT_META, **MOVED_META,
    }
    accepted = {"IS_MANUAL_OPPORTUNITY": None, "IS_RECURRING": "N"}

    @property
    def multi_fields(self) -> tuple[str, ...]:  # type: ignore[override]
        return ()

    def queryset(self) -> QuerySet:
        return Deal.objects.all()

    def page_extra(self, rows, call, wanted):
        first: dict[int, int] = {}
        for st in call.catalog.stages.values():  # ordered by pipeline, sort: the first one wins
            if st.semantic == "process":
                first.setdefault(st.pipeline_id, st.pk)
        return {r.pk: {"first_stage": first} for r in rows}

    def derived(self, obj: Deal, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        cat = call.catalog
        return {
            "CATEGORY_ID": s(cat.category_id(obj.pipeline_id)),
            "STAGE_ID": cat.stage_id(obj.stage_id),
            "STAGE_SEMANTIC_ID": cat.stage_semantic(obj.stage_id),
            "IS_NEW": yn(obj.stage_id == extra.get("first_stage", {}).get(obj.pipeline_id)),
            "IS_RECURRING": "N",
            "IS_REPEATED_APPROACH": "N",
            "IS_MANUAL_OPPORTUNITY": "N",
            "MODIFY_BY_ID": s(obj.created_by_id),
            "MOVED_BY_ID": s(obj.created_by_id),
            "MOVED_TIME": dt(obj.updated_at),
        }

    def filter_extra(self, call: Call) -> dict[str, Converter]:
        catalog = call.catalog

        def stage(raw: Any) -> int:
            found = catalog.resolve_stage(raw)
            return found.pk if found else -1

        def category(raw: Any) -> int:
            pk = catalog.pipeline_pk(raw)
            return pk if pk is not None else -1

        return {"CATEGORY_ID": mapped("CATEGORY_ID", "pipeline_id", category),
                "STAGE_ID": mapped("STAGE_ID", "stage_id", stage),
                "STAGE_SEMANTIC_ID": _semantic("STAGE_SEMANTIC_ID", "stage__semantic")}

    def list_order(self, call: Call, raw_order: dict[str, Any]) -> list[str]:
        return build_order(raw_order, {**{bx: spec.column for bx, spec in self.specs(call).items()
                                          if spec.orderable}, "CATEGORY_ID": "pipeline_id",
                                       "STAGE_ID": "stage_id"})

    def special_in(self, call: Call, name: str, value: Any, data: dict[str, Any], obj: Any) -> bool:
        cat = call.catalog
        if name == "CATEGORY_ID":
            # Immutable in crm.deal.update (Bitrix24 moves deals with crm.item.update): ignored there.
            if obj is None and ref_in(value) is not None:
                pipeline_pk = cat.pipeline_pk(value)
                if pipeline_pk is None:
                    raise crm_error(f"Category {value} not found.")
                data["pipeline_id"] = pipeline_pk
            return True
        if name == "STAGE_ID":
            if value not in (None, ""):
                stage = cat.resolve_stage(value)  # a bare code is a stage of the default pipeline
                if stage is None:
                    raise crm_error(f"Stage '{value}' not found.")
                data["stage_id"] = stage.pk
            return True
        return False

    def create(self, call: Call, fields: dict[str, Any]) -> int:
        return services.deal_create(actor=call.user, data=self.data_in(call, fields)).pk

    def update(self, obj: Deal, call: Call, fields: dict[str, Any]) -> None:
        services.deal_update(deal=obj, actor=call.user, data=self.data_in(call, fields, obj))

    def delete(self, obj: Deal, call: Call) -> None:
        services.deal_delete(deal=obj, actor=call.user)


LEADS, DEALS, CONTACTS, COMPANIES = LeadEntity(), DealEntity(), ContactEntity(), CompanyEntity()
ENTITIES = {e.name: e for e in (LEADS, DEALS, CONTACTS, COMPANIES)}
for _entity in ENTITIES.values():
    _entity.register()


