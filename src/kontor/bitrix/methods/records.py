"""crm.lead.*, crm.deal.*, crm.contact.*, crm.company.* and crm.deal.contact.items.*.

Every write goes through ``kontor.crm.services`` with the webhook's user as actor: validation,
timeline and (for a lead in simple mode) the conversion happen there, not here.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kontor.bitrix.errors import crm_error
from kontor.bitrix.filters import Field
from kontor.bitrix.mapping import CODE_SEMANTIC, Catalog, dt, money, s, yn
from kontor.bitrix.methods.common import (
    Entity,
    comm_filter,
    date_field,
    field_meta,
    int_field,
    multi_in_add,
    multi_in_update,
    multi_out,
    ref_in,
    str_field,
    text_in,
)
from kontor.bitrix.params import as_list, get_id, get_param, to_int, yes_no
from kontor.bitrix.registry import Call, method
from kontor.crm import services
from kontor.crm.enums import CommType, EntityType
from kontor.crm.models import Communication, Company, Contact, Deal, DealContact, Lead
from kontor.crm.selectors import record_communications


def _semantic_field(path: str) -> Field:
    def convert(raw: Any) -> str:
        return CODE_SEMANTIC.get(str(raw).strip().upper(), "-")

    return Field(path, compare=False, convert=convert)


def _yn_field(path: str) -> Field:
    return Field(path, kind="yn", compare=False)


def _code_field(path: str) -> Field:
    return Field(path, kind="code", compare=False)


class RecordEntity(Entity):
    """Leads, contacts and companies: records with PHONE/EMAIL multi-fields."""

    entity_type: EntityType
    multi_fields = ("PHONE", "EMAIL")
    #: Bitrix24 name → Kontor service name, for text-like fields.
    text_map: dict[str, str] = {}
    #: Bitrix24 name → Kontor service name, for references (0/"" mean none).
    ref_map: dict[str, str] = {}
    #: Bitrix24 name → Kontor service name, passed as given (the service validates).
    plain_map: dict[str, str] = {}

    def page_extra(self, rows, call, wanted):
        if not rows or (wanted is not None and not ({"PHONE", "EMAIL", "HAS_PHONE", "HAS_EMAIL", "*"} & wanted)):
            return {}
        comms = record_communications(self.entity_type, [r.pk for r in rows])
        return {pk: {"comms": c} for pk, c in comms.items()}

    def multi(self, extra: dict[str, Any]) -> dict[str, Any]:
        comms = extra.get("comms") or {CommType.PHONE: [], CommType.EMAIL: []}
        return {
            "HAS_PHONE": yn(bool(comms[CommType.PHONE])),
            "HAS_EMAIL": yn(bool(comms[CommType.EMAIL])),
            "PHONE": multi_out(comms[CommType.PHONE]),
            "EMAIL": multi_out(comms[CommType.EMAIL]),
        }

    def data_in(self, fields: dict[str, Any], obj: Any = None) -> dict[str, Any]:
        """Bitrix24 ``fields`` as the service's ``data``; unknown and read-only fields are dropped."""
        data: dict[str, Any] = {}
        for bx, name in self.text_map.items():
            if bx in fields:
                data[name] = text_in(fields[bx])
        for bx, name in self.ref_map.items():
            if bx in fields:
                data[name] = ref_in(fields[bx])
        for bx, name in self.plain_map.items():
            if bx in fields:
                data[name] = fields[bx]
        for bx, name in (("PHONE", "phones"), ("EMAIL", "emails")):
            if bx in fields:
                if obj is None:
                    data[name] = multi_in_add(fields[bx])
                else:
                    existing = Communication.objects.filter(entity_type=self.entity_type, entity_id=obj.pk, type=bx)
                    data[name] = multi_in_update(fields[bx], list(existing))
        return data

    def common_filters(self) -> dict[str, Any]:
        return {
            "ID": int_field("id"),
            "ASSIGNED_BY_ID": int_field("assigned_id"),
            "CREATED_BY_ID": int_field("created_by_id"),
            "DATE_CREATE": date_field("created_at"),
            "DATE_MODIFY": date_field("updated_at"),
            "COMMENTS": str_field("comments"),
            "PHONE": comm_filter(self.entity_type, "PHONE"),
            "EMAIL": comm_filter(self.entity_type, "EMAIL"),
        }


# --- leads --------------------------------------------------------------------------------------


class LeadEntity(RecordEntity):
    name = "lead"
    model = Lead
    entity_type = EntityType.LEAD
    text_map = {"TITLE": "title", "NAME": "name", "SECOND_NAME": "second_name", "LAST_NAME": "last_name",
                "POST": "post", "COMPANY_TITLE": "company_title", "COMMENTS": "comments",
                "SOURCE_DESCRIPTION": "source_description"}
    ref_map = {"ASSIGNED_BY_ID": "assigned_id", "CONTACT_ID": "contact_id", "COMPANY_ID": "company_id"}
    plain_map = {"STATUS_ID": "status_id", "SOURCE_ID": "source", "OPPORTUNITY": "opportunity",
                 "CURRENCY_ID": "currency"}
    order_fields = {"ID": "id", "TITLE": "title", "NAME": "name", "LAST_NAME": "last_name",
                    "STATUS_ID": "status_id", "SOURCE_ID": "source_id", "OPPORTUNITY": "opportunity",
                    "DATE_CREATE": "created_at", "DATE_MODIFY": "updated_at", "ASSIGNED_BY_ID": "assigned_id",
                    "COMPANY_TITLE": "company_title"}

    def queryset(self) -> QuerySet:
        return Lead.objects.all()

    def filter_fields(self, catalog: Catalog) -> dict[str, Any]:
        return {
            **self.common_filters(),
            "TITLE": str_field("title"),
            "NAME": str_field("name"),
            "SECOND_NAME": str_field("second_name"),
            "LAST_NAME": str_field("last_name"),
            "POST": str_field("post"),
            "COMPANY_TITLE": str_field("company_title"),
            "SOURCE_DESCRIPTION": str_field("source_description"),
            "STATUS_ID": _code_field("status_id"),
            "STATUS_SEMANTIC_ID": _semantic_field("status__semantic"),
            "SOURCE_ID": _code_field("source_id"),
            "OPPORTUNITY": Field("opportunity", kind="decimal"),
            "CURRENCY_ID": _code_field("currency"),
            "CONTACT_ID": int_field("contact_id"),
            "COMPANY_ID": int_field("company_id"),
            "IS_RETURN_CUSTOMER": _yn_field("is_return_customer"),
            "DATE_CLOSED": date_field("converted_at"),
        }

    def to_bitrix(self, obj: Lead, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "ID": s(obj.pk),
            "TITLE": obj.title,
            "HONORIFIC": None,
            "NAME": obj.name or None,
            "SECOND_NAME": obj.second_name or None,
            "LAST_NAME": obj.last_name or None,
            "COMPANY_TITLE": obj.company_title or None,
            "COMPANY_ID": s(obj.company_id),
            "CONTACT_ID": s(obj.contact_id),
            "IS_RETURN_CUSTOMER": yn(obj.is_return_customer),
            "BIRTHDATE": "",
            "SOURCE_ID": obj.source_id,
            "SOURCE_DESCRIPTION": obj.source_description or None,
            "STATUS_ID": obj.status_id,
            "STATUS_DESCRIPTION": None,
            "STATUS_SEMANTIC_ID": call.catalog.status_semantic(obj.status_id),
            "POST": obj.post or None,
            "ADDRESS": None,
            "CURRENCY_ID": obj.currency,
            "OPPORTUNITY": money(obj.opportunity),
            "IS_MANUAL_OPPORTUNITY": "N",
            "OPENED": "Y",
            "COMMENTS": obj.comments or None,
            "ASSIGNED_BY_ID": s(obj.assigned_id),
            "CREATED_BY_ID": s(obj.created_by_id),
            "MODIFY_BY_ID": s(obj.created_by_id),
            "DATE_CREATE": dt(obj.created_at),
            "DATE_MODIFY": dt(obj.updated_at),
            "MOVED_BY_ID": s(obj.created_by_id),
            "MOVED_TIME": dt(obj.updated_at),
            "DATE_CLOSED": dt(obj.converted_at),
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
            **self.multi(extra),
        }

    def create(self, call: Call, fields: dict[str, Any]) -> int:
        lead = services.lead_create(actor=call.user, data=self.data_in(fields))
        return lead.pk

    def update(self, obj: Lead, call: Call, fields: dict[str, Any]) -> None:
        services.lead_update(lead=obj, actor=call.user, data=self.data_in(fields, obj))

    def delete(self, obj: Lead, call: Call) -> None:
        services.lead_delete(lead=obj, actor=call.user)

    def fields_description(self, call: Call) -> dict[str, Any]:
        return {
            "ID": field_meta("integer", "ID", read_only=True),
            "TITLE": field_meta("string", "Lead name"),
            "NAME": field_meta("string", "Name"),
            "SECOND_NAME": field_meta("string", "Second name"),
            "LAST_NAME": field_meta("string", "Last name"),
            "COMPANY_TITLE": field_meta("string", "Company name"),
            "COMPANY_ID": field_meta("crm_company", "Company"),
            "CONTACT_ID": field_meta("crm_contact", "Contact"),
            "IS_RETURN_CUSTOMER": field_meta("char", "Repeat lead", read_only=True),
            "SOURCE_ID": field_meta("crm_status", "Source", statusType="SOURCE"),
            "SOURCE_DESCRIPTION": field_meta("string", "Source information"),
            "STATUS_ID": field_meta("crm_status", "Status", statusType="STATUS"),
            "STATUS_SEMANTIC_ID": field_meta("string", "Status details", read_only=True),
            "POST": field_meta("string", "Position"),
            "CURRENCY_ID": field_meta("crm_currency", "Currency"),
            "OPPORTUNITY": field_meta("double", "Total"),
            "OPENED": field_meta("char", "Available to everyone"),
            "COMMENTS": field_meta("string", "Comment"),
            "HAS_PHONE": field_meta("char", "Has phone", read_only=True),
            "HAS_EMAIL": field_meta("char", "Has email", read_only=True),
            "ASSIGNED_BY_ID": field_meta("user", "Responsible person"),
            "CREATED_BY_ID": field_meta("user", "Created by", read_only=True),
            "MODIFY_BY_ID": field_meta("user", "Modified by", read_only=True),
            "DATE_CREATE": field_meta("datetime", "Created on", read_only=True),
            "DATE_MODIFY": field_meta("datetime", "Modified on", read_only=True),
            "DATE_CLOSED": field_meta("datetime", "Completed on", read_only=True),
            "PHONE": field_meta("crm_multifield", "Phone", multiple=True),
            "EMAIL": field_meta("crm_multifield", "E-mail", multiple=True),
        }


# --- contacts -----------------------------------------------------------------------------------


class ContactEntity(RecordEntity):
    name = "contact"
    model = Contact
    entity_type = EntityType.CONTACT
    text_map = {"NAME": "name", "SECOND_NAME": "second_name", "LAST_NAME": "last_name", "POST": "post",
                "COMMENTS": "comments"}
    ref_map = {"ASSIGNED_BY_ID": "assigned_id", "COMPANY_ID": "company_id"}
    plain_map = {"SOURCE_ID": "source"}
    order_fields = {"ID": "id", "NAME": "name", "LAST_NAME": "last_name", "SECOND_NAME": "second_name",
                    "DATE_CREATE": "created_at", "DATE_MODIFY": "updated_at", "ASSIGNED_BY_ID": "assigned_id",
                    "COMPANY_ID": "company_id"}

    def queryset(self) -> QuerySet:
        return Contact.objects.all()

    def filter_fields(self, catalog: Catalog) -> dict[str, Any]:
        return {
            **self.common_filters(),
            "NAME": str_field("name"),
            "SECOND_NAME": str_field("second_name"),
            "LAST_NAME": str_field("last_name"),
            "POST": str_field("post"),
            "COMPANY_ID": int_field("company_id"),
            "SOURCE_ID": _code_field("source_id"),
            "LEAD_ID": int_field("lead_id"),
        }

    def to_bitrix(self, obj: Contact, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "ID": s(obj.pk),
            "HONORIFIC": None,
            "NAME": obj.name or None,
            "SECOND_NAME": obj.second_name or None,
            "LAST_NAME": obj.last_name or None,
            "PHOTO": None,
            "BIRTHDATE": "",
            "TYPE_ID": None,
            "SOURCE_ID": obj.source_id,
            "SOURCE_DESCRIPTION": None,
            "POST": obj.post or None,
            "ADDRESS": None,
            "COMMENTS": obj.comments or None,
            "OPENED": "Y",
            "EXPORT": "Y",
            "ASSIGNED_BY_ID": s(obj.assigned_id),
            "CREATED_BY_ID": s(obj.created_by_id),
            "MODIFY_BY_ID": s(obj.created_by_id),
            "DATE_CREATE": dt(obj.created_at),
            "DATE_MODIFY": dt(obj.updated_at),
            "COMPANY_ID": s(obj.company_id),
            "LEAD_ID": s(obj.lead_id),
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
            **self.multi(extra),
        }

    def create(self, call: Call, fields: dict[str, Any]) -> int:
        return services.contact_create(actor=call.user, data=self.data_in(fields)).pk

    def update(self, obj: Contact, call: Call, fields: dict[str, Any]) -> None:
        services.contact_update(contact=obj, actor=call.user, data=self.data_in(fields, obj))

    def delete(self, obj: Contact, call: Call) -> None:
        services.contact_delete(contact=obj, actor=call.user)

    def fields_description(self, call: Call) -> dict[str, Any]:
        return {
            "ID": field_meta("integer", "ID", read_only=True),
            "NAME": field_meta("string", "Name"),
            "SECOND_NAME": field_meta("string", "Second name"),
            "LAST_NAME": field_meta("string", "Last name"),
            "POST": field_meta("string", "Position"),
            "SOURCE_ID": field_meta("crm_status", "Source", statusType="SOURCE"),
            "COMMENTS": field_meta("string", "Comment"),
            "OPENED": field_meta("char", "Available to everyone"),
            "ASSIGNED_BY_ID": field_meta("user", "Responsible person"),
            "CREATED_BY_ID": field_meta("user", "Created by", read_only=True),
            "DATE_CREATE": field_meta("datetime", "Created on", read_only=True),
            "DATE_MODIFY": field_meta("datetime", "Modified on", read_only=True),
            "COMPANY_ID": field_meta("crm_company", "Company"),
            "LEAD_ID": field_meta("crm_lead", "Lead", read_only=True),
            "HAS_PHONE": field_meta("char", "Has phone", read_only=True),
            "HAS_EMAIL": field_meta("char", "Has email", read_only=True),
            "PHONE": field_meta("crm_multifield", "Phone", multiple=True),
            "EMAIL": field_meta("crm_multifield", "E-mail", multiple=True),
        }


# --- companies ----------------------------------------------------------------------------------


class CompanyEntity(RecordEntity):
    name = "company"
    model = Company
    entity_type = EntityType.COMPANY
    text_map = {"TITLE": "title", "INDUSTRY": "industry", "COMMENTS": "comments"}
    ref_map = {"ASSIGNED_BY_ID": "assigned_id"}
    order_fields = {"ID": "id", "TITLE": "title", "DATE_CREATE": "created_at", "DATE_MODIFY": "updated_at",
                    "ASSIGNED_BY_ID": "assigned_id"}

    def queryset(self) -> QuerySet:
        return Company.objects.all()

    def filter_fields(self, catalog: Catalog) -> dict[str, Any]:
        return {
            **self.common_filters(),
            "TITLE": str_field("title"),
            "INDUSTRY": str_field("industry"),
            "LEAD_ID": int_field("lead_id"),
        }

    def to_bitrix(self, obj: Company, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "ID": s(obj.pk),
            "TITLE": obj.title,
            "COMPANY_TYPE": None,
            "LOGO": None,
            "ADDRESS": None,
            "INDUSTRY": obj.industry or None,
            "EMPLOYEES": None,
            "CURRENCY_ID": None,
            "REVENUE": None,
            "OPENED": "Y",
            "COMMENTS": obj.comments or None,
            "IS_MY_COMPANY": "N",
            "ASSIGNED_BY_ID": s(obj.assigned_id),
            "CREATED_BY_ID": s(obj.created_by_id),
            "MODIFY_BY_ID": s(obj.created_by_id),
            "DATE_CREATE": dt(obj.created_at),
            "DATE_MODIFY": dt(obj.updated_at),
            "LEAD_ID": s(obj.lead_id),
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
            **self.multi(extra),
        }

    def create(self, call: Call, fields: dict[str, Any]) -> int:
        return services.company_create(actor=call.user, data=self.data_in(fields)).pk

    def update(self, obj: Company, call: Call, fields: dict[str, Any]) -> None:
        services.company_update(company=obj, actor=call.user, data=self.data_in(fields, obj))

    def delete(self, obj: Company, call: Call) -> None:
        services.company_delete(company=obj, actor=call.user)

    def fields_description(self, call: Call) -> dict[str, Any]:
        return {
            "ID": field_meta("integer", "ID", read_only=True),
            "TITLE": field_meta("string", "Company name", required=True),
            "INDUSTRY": field_meta("crm_status", "Industry", statusType="INDUSTRY"),
            "COMMENTS": field_meta("string", "Comment"),
            "OPENED": field_meta("char", "Available to everyone"),
            "ASSIGNED_BY_ID": field_meta("user", "Responsible person"),
            "CREATED_BY_ID": field_meta("user", "Created by", read_only=True),
            "DATE_CREATE": field_meta("datetime", "Created on", read_only=True),
            "DATE_MODIFY": field_meta("datetime", "Modified on", read_only=True),
            "LEAD_ID": field_meta("crm_lead", "Lead", read_only=True),
            "HAS_PHONE": field_meta("char", "Has phone", read_only=True),
            "HAS_EMAIL": field_meta("char", "Has email", read_only=True),
            "PHONE": field_meta("crm_multifield", "Phone", multiple=True),
            "EMAIL": field_meta("crm_multifield", "E-mail", multiple=True),
        }


# --- deals --------------------------------------------------------------------------------------


class DealEntity(Entity):
    name = "deal"
    model = Deal
    order_fields = {"ID": "id", "TITLE": "title", "STAGE_ID": "stage_id", "CATEGORY_ID": "pipeline_id",
                    "OPPORTUNITY": "opportunity", "DATE_CREATE": "created_at", "DATE_MODIFY": "updated_at",
                    "CLOSEDATE": "closed_at", "ASSIGNED_BY_ID": "assigned_id", "COMPANY_ID": "company_id",
                    "CONTACT_ID": "contact_id", "LEAD_ID": "lead_id"}

    def queryset(self) -> QuerySet:
        return Deal.objects.all()

    def filter_fields(self, catalog: Catalog) -> dict[str, Any]:
        def stage(raw: Any) -> int:
            found = catalog.resolve_stage(raw)
            return found.pk if found else -1

        def category(raw: Any) -> int:
            if isinstance(raw, dict | list):
                raise crm_error("CATEGORY_ID needs a single value.")
            pk = catalog.pipeline_pk(raw)
            return pk if pk is not None else -1

        return {
            "ID": int_field("id"),
            "TITLE": str_field("title"),
            "CATEGORY_ID": Field("pipeline_id", compare=False, convert=category),
            "STAGE_ID": Field("stage_id", compare=False, convert=stage),
            "STAGE_SEMANTIC_ID": _semantic_field("stage__semantic"),
            "OPPORTUNITY": Field("opportunity", kind="decimal"),
            "CURRENCY_ID": _code_field("currency"),
            "COMPANY_ID": int_field("company_id"),
            "CONTACT_ID": int_field("contact_id"),
            "LEAD_ID": int_field("lead_id"),
            "ASSIGNED_BY_ID": int_field("assigned_id"),
            "CREATED_BY_ID": int_field("created_by_id"),
            "SOURCE_ID": _code_field("source_id"),
            "CLOSED": _yn_field("closed"),
            "IS_RETURN_CUSTOMER": _yn_field("is_return_customer"),
            "DATE_CREATE": date_field("created_at"),
            "DATE_MODIFY": date_field("updated_at"),
            "CLOSEDATE": date_field("closed_at"),
            "COMMENTS": str_field("comments"),
        }

    def to_bitrix(self, obj: Deal, call: Call, extra: dict[str, Any]) -> dict[str, Any]:
        cat = call.catalog
        data = {
            "ID": s(obj.pk),
            "TITLE": obj.title,
            "TYPE_ID": None,
            "CATEGORY_ID": s(cat.category_id(obj.pipeline_id)),
            "STAGE_ID": cat.stage_id(obj.stage_id),
            "STAGE_SEMANTIC_ID": cat.stage_semantic(obj.stage_id),
            "IS_NEW": yn(obj.stage_id == extra.get("first_stage", {}).get(obj.pipeline_id)),
            "IS_RECURRING": "N",
            "IS_RETURN_CUSTOMER": yn(obj.is_return_customer),
            "IS_REPEATED_APPROACH": "N",
            "PROBABILITY": None,
            "CURRENCY_ID": obj.currency,
            "OPPORTUNITY": money(obj.opportunity),
            "IS_MANUAL_OPPORTUNITY": "N",
            "TAX_VALUE": "0.00",
            "COMPANY_ID": s(obj.company_id),
            "CONTACT_ID": s(obj.contact_id),
            "QUOTE_ID": None,
            "BEGINDATE": dt(obj.created_at),
            "CLOSEDATE": dt(obj.closed_at),
            "OPENED": "Y",
            "CLOSED": yn(obj.closed),
            "COMMENTS": obj.comments or None,
            "ASSIGNED_BY_ID": s(obj.assigned_id),
            "CREATED_BY_ID": s(obj.created_by_id),
            "MODIFY_BY_ID": s(obj.created_by_id),
            "MOVED_BY_ID": s(obj.created_by_id),
            "DATE_CREATE": dt(obj.created_at),
            "DATE_MODIFY": dt(obj.updated_at),
            "MOVED_TIME": dt(obj.updated_at),
            "SOURCE_ID": obj.source_id,
            "SOURCE_DESCRIPTION": None,
            "LEAD_ID": s(obj.lead_id),
            "ADDITIONAL_INFO": None,
            "LOCATION_ID": None,
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
        }
        if "contact_ids" in extra:
            data["CONTACT_IDS"] = extra["contact_ids"]
        return data

    def page_extra(self, rows, call, wanted):
        first: dict[int, int] = {}
        for st in call.catalog.stages.values():  # ordered by pipeline, sort: the first one wins
            if st.semantic == "process":
                first.setdefault(st.pipeline_id, st.pk)
        return {r.pk: {"first_stage": first} for r in rows}

    def handle_get(self, call: Call) -> dict[str, Any]:
        obj = self.get_object(get_id(call.params))
        extra = self.page_extra([obj], call, None)[obj.pk]
        extra["contact_ids"] = list(
            DealContact.objects.filter(deal_id=obj.pk).order_by("-is_primary", "sort", "id")
            .values_list("contact_id", flat=True)
        )
        return self.item(obj, call, extra=extra)

    def data_in(self, call: Call, fields: dict[str, Any], obj: Deal | None = None) -> dict[str, Any]:
        cat = call.catalog
        data: dict[str, Any] = {}
        for bx, name in (("TITLE", "title"), ("COMMENTS", "comments")):
            if bx in fields:
                data[name] = text_in(fields[bx])
        for bx, name in (("OPPORTUNITY", "opportunity"), ("CURRENCY_ID", "currency"), ("SOURCE_ID", "source")):
            if bx in fields:
                data[name] = fields[bx]
        for bx, name in (("ASSIGNED_BY_ID", "assigned_id"), ("COMPANY_ID", "company_id")):
            if bx in fields:
                data[name] = ref_in(fields[bx])
        if "CONTACT_IDS" in fields:
            data["contact_ids"] = [v for v in as_list(fields["CONTACT_IDS"]) if ref_in(v) is not None]
        if "CONTACT_ID" in fields:
            data["contact_id"] = ref_in(fields["CONTACT_ID"])
            if "contact_ids" in data and data["contact_id"] is None:
                del data["contact_id"]
        if obj is None and ref_in(fields.get("CATEGORY_ID")) is not None:
            pipeline_pk = cat.pipeline_pk(fields["CATEGORY_ID"])
            if pipeline_pk is None:
                raise crm_error(f"Category {fields['CATEGORY_ID']} not found.")
            data["pipeline_id"] = pipeline_pk
        stage_raw = fields.get("STAGE_ID")
        if stage_raw not in (None, ""):
            stage = cat.resolve_stage(stage_raw)  # a bare code is a stage of the default pipeline
            if stage is None:
                raise crm_error(f"Stage '{stage_raw}' not found.")
            data["stage_id"] = stage.pk
        return data

    def create(self, call: Call, fields: dict[str, Any]) -> int:
        return services.deal_create(actor=call.user, data=self.data_in(call, fields)).pk

    def update(self, obj: Deal, call: Call, fields: dict[str, Any]) -> None:
        # CATEGORY_ID is immutable in crm.deal.update (Bitrix24 moves deals with crm.item.update).
        services.deal_update(deal=obj, actor=call.user, data=self.data_in(call, fields, obj))

    def delete(self, obj: Deal, call: Call) -> None:
        services.deal_delete(deal=obj, actor=call.user)

    def fields_description(self, call: Call) -> dict[str, Any]:
        return {
            "ID": field_meta("integer", "ID", read_only=True),
            "TITLE": field_meta("string", "Name"),
            "CATEGORY_ID": field_meta("crm_category", "Pipeline", immutable=True),
            "STAGE_ID": field_meta("crm_status", "Deal stage", statusType="DEAL_STAGE"),
            "STAGE_SEMANTIC_ID": field_meta("string", "Stage group", read_only=True),
            "IS_NEW": field_meta("char", "New deal", read_only=True),
            "IS_RETURN_CUSTOMER": field_meta("char", "Repeat deal", read_only=True),
            "CURRENCY_ID": field_meta("crm_currency", "Currency"),
            "OPPORTUNITY": field_meta("double", "Amount"),
            "COMPANY_ID": field_meta("crm_company", "Company"),
            "CONTACT_ID": field_meta("crm_contact", "Contact", isDeprecated=True),
            "CONTACT_IDS": field_meta("crm_contact", "Contacts", multiple=True),
            "BEGINDATE": field_meta("date", "Start date", read_only=True),
            "CLOSEDATE": field_meta("date", "End date", read_only=True),
            "OPENED": field_meta("char", "Available to everyone"),
            "CLOSED": field_meta("char", "Closed", read_only=True),
            "COMMENTS": field_meta("string", "Comment"),
            "ASSIGNED_BY_ID": field_meta("user", "Responsible person"),
            "CREATED_BY_ID": field_meta("user", "Created by", read_only=True),
            "DATE_CREATE": field_meta("datetime", "Created on", read_only=True),
            "DATE_MODIFY": field_meta("datetime", "Modified on", read_only=True),
            "SOURCE_ID": field_meta("crm_status", "Source", statusType="SOURCE"),
            "LEAD_ID": field_meta("crm_lead", "Lead", read_only=True),
        }


LEADS, DEALS, CONTACTS, COMPANIES = LeadEntity(), DealEntity(), ContactEntity(), CompanyEntity()
for _entity in (LEADS, DEALS, CONTACTS, COMPANIES):
    _entity.register()


@method("crm.deal.contact.items.get")
def deal_contact_items_get(call: Call) -> list[dict[str, Any]]:
    deal = DEALS.get_object(get_id(call.params))
    return [
        {"CONTACT_ID": link.contact_id, "SORT": link.sort, "ROLE_ID": 0, "IS_PRIMARY": yn(link.is_primary)}
        for link in DealContact.objects.filter(deal=deal).order_by("sort", "id")
    ]


@method("crm.deal.contact.items.set")
def deal_contact_items_set(call: Call) -> bool:
    deal = DEALS.get_object(get_id(call.params))
    items = get_param(call.params, "items")
    rows: list[tuple[bool, int, int, Any]] = []
    for index, item in enumerate(as_list(items)):
        if not isinstance(item, dict):
            raise crm_error("Parameter 'items' must be array of objects with CONTACT_ID.")
        upper = {str(k).upper(): v for k, v in item.items()}
        contact_id = to_int(upper.get("CONTACT_ID"))
        if contact_id is None or contact_id <= 0:
            raise crm_error("CONTACT_ID is not defined or invalid.")
        sort = to_int(upper.get("SORT"))
        rows.append((not yes_no(upper.get("IS_PRIMARY", "N")), sort if sort is not None else (index + 1) * 10,
                     index, contact_id))
    # The service makes the first contact primary and numbers the rest in order.
    ordered = [contact_id for *_, contact_id in sorted(rows, key=lambda r: (r[0], r[1], r[2]))]
    services.deal_contacts_set(deal=deal, contact_ids=ordered, actor=call.user)
    return True
