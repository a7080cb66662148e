"""Records to wire dicts (SPEC §5 names), many at a time.

Phones, e-mails, deal contacts and activity bindings come from one query per page, never one per
record; a single record goes through the same functions as a page of one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from kontor.crm.enums import CommType, EntityType
from kontor.crm.models import (
    Activity,
    Company,
    Contact,
    Deal,
    DealContact,
    Lead,
    LeadStatus,
    Pipeline,
    Stage,
)
from kontor.crm.selectors import record_bindings, record_communications


def _comm(c) -> dict[str, Any]:
    return {"id": c.pk, "value": c.value, "type": c.value_type, "normalized": c.normalized}


def _comms(entity_type: EntityType, records: Sequence) -> dict[int, dict[str, list[dict[str, Any]]]]:
    found = record_communications(entity_type, [r.pk for r in records])
    return {
        pk: {"phones": [_comm(c) for c in kinds[CommType.PHONE]], "emails": [_comm(c) for c in kinds[CommType.EMAIL]]}
        for pk, kinds in found.items()
    }


def _stamps(record) -> dict[str, Any]:
    return {"assigned_id": record.assigned_id, "comments": record.comments, "created_at": record.created_at,
            "updated_at": record.updated_at}


def leads_out(leads: Sequence[Lead]) -> list[dict[str, Any]]:
    comms = _comms(EntityType.LEAD, leads)
    return [
        {
            "id": lead.pk, "title": lead.title, "name": lead.name, "second_name": lead.second_name,
            "last_name": lead.last_name, "post": lead.post, "company_title": lead.company_title,
            **comms[lead.pk], "status_id": lead.status_id, "source": lead.source_id,
            "source_description": lead.source_description, "opportunity": lead.opportunity,
            "currency": lead.currency, "contact_id": lead.contact_id, "company_id": lead.company_id,
            "deal_id": lead.deal_id, "is_return_customer": lead.is_return_customer,
            "converted_at": lead.converted_at, **_stamps(lead),
        }
        for lead in leads
    ]


def deals_out(deals: Sequence[Deal]) -> list[dict[str, Any]]:
    contact_ids: dict[int, list[int]] = {d.pk: [] for d in deals}
    links = DealContact.objects.filter(deal_id__in=list(contact_ids)).order_by("sort", "id")
    for deal_id, contact_id in links.values_list("deal_id", "contact_id"):
        contact_ids[deal_id].append(contact_id)
    return [
        {
            "id": deal.pk, "title": deal.title, "pipeline_id": deal.pipeline_id, "stage_id": deal.stage_id,
            "opportunity": deal.opportunity, "currency": deal.currency, "contact_id": deal.contact_id,
            "contact_ids": contact_ids[deal.pk], "company_id": deal.company_id, "lead_id": deal.lead_id,
            "source": deal.source_id, "closed": deal.closed, "closed_at": deal.closed_at,
            "is_return_customer": deal.is_return_customer, **_stamps(deal),
        }
        for deal in deals
    ]


def contacts_out(contacts: Sequence[Contact]) -> list[dict[str, Any]]:
    comms = _comms(EntityType.CONTACT, contacts)
    return [
        {
            "id": c.pk, "name": c.name, "second_name": c.second_name, "last_name": c.last_name, "post": c.post,
            "company_id": c.company_id, **comms[c.pk], "source": c.source_id, "lead_id": c.lead_id, **_stamps(c),
        }
        for c in contacts
    ]


def companies_out(companies: Sequence[Company]) -> list[dict[str, Any]]:
    comms = _comms(EntityType.COMPANY, companies)
    return [
        {"id": c.pk, "title": c.title, "industry": c.industry, **comms[c.pk], "lead_id": c.lead_id, **_stamps(c)}
        for c in companies
    ]


def activities_out(activities: Sequence[Activity]) -> list[dict[str, Any]]:
    bindings = record_bindings([a.pk for a in activities])
    return [
        {
            "id": a.pk, "type": a.type, "subject": a.subject, "description": a.description, "deadline": a.deadline,
            "completed": a.completed, "completed_at": a.completed_at, "responsible_id": a.responsible_id,
            "direction": a.direction, "priority": a.priority, "bindings": bindings[a.pk],
            "created_at": a.created_at, "updated_at": a.updated_at,
        }
        for a in activities
    ]


def stage_out(stage: Stage) -> dict[str, Any]:
    return {"id": stage.pk, "pipeline_id": stage.pipeline_id, "code": stage.code, "name": stage.name,
            "sort": stage.sort, "semantic": stage.semantic, "color": stage.color}


def pipeline_out(pipeline: Pipeline, stages: Sequence[Stage] | None = None) -> dict[str, Any]:
    """A pipeline with its stages in order; ``stages`` when prefetched, else one query."""
    if stages is None:
        stages = list(pipeline.stages.order_by("sort", "id"))
    return {"id": pipeline.pk, "name": pipeline.name, "sort": pipeline.sort, "is_default": pipeline.is_default,
            "created_at": pipeline.created_at, "stages": [stage_out(s) for s in stages]}


def lead_status_out(status: LeadStatus) -> dict[str, Any]:
    return {"id": status.code, "code": status.code, "name": status.name, "sort": status.sort,
            "semantic": status.semantic, "color": status.color, "system": status.system}


def page(qs: QuerySet, *, limit: int, offset: int, render) -> dict[str, Any]:
    """The list envelope ``{"items", "total", "limit", "offset"}`` for one page of ``qs``."""
    # The wire shape needs only the foreign keys' ids: joining the related rows would only cost time.
    items = list(qs.select_related(None)[offset:offset + limit])
    return {"items": render(items), "total": qs.count(), "limit": limit, "offset": offset}
