"""Lead services: create, update, delete. Conversion lives in ``kontor.modes``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.core.errors import ErrorCode, KontorError, validation
from kontor.core.normalize import normalize_title
from kontor.crm.enums import EntityType, Semantic, TimelineKind
from kontor.crm.models import ActivityBinding, Company, Contact, Lead, LeadStatus
from kontor.crm.services.common import (
    apply_changes,
    clean_amount,
    clean_communications,
    clean_currency,
    clean_text,
    communications_delete,
    communications_set,
    resolve_fk,
    resolve_source,
    resolve_user,
    timeline_add,
    unknown_fields,
)

LEAD_FIELDS = (
    "title", "name", "second_name", "last_name", "post", "company_title", "phones", "emails", "status_id",
    "source", "source_description", "opportunity", "currency", "assigned_id", "comments", "contact_id",
    "company_id",
)


def first_process_status() -> LeadStatus:
    """The status a new lead starts in: the first in-progress one by sort."""
    status = LeadStatus.objects.filter(semantic=Semantic.PROCESS).order_by("sort", "code").first()
    if status is None:
        raise KontorError(ErrorCode.CONFLICT, "no in-progress lead status is configured")
    return status


def _clean_lead(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown_fields(data, LEAD_FIELDS)
    values: dict[str, Any] = {}
    for name in ("name", "second_name", "last_name"):
        if name in data:
            values[name] = clean_text(data[name], name, max_length=100)
    for name in ("post", "company_title"):
        if name in data:
            values[name] = clean_text(data[name], name)
    if "company_title" in values:
        values["company_title_normalized"] = normalize_title(values["company_title"])[:255]  # "ß" → "ss" grows
    if "title" in data:
        values["title"] = clean_text(data["title"], "title")
    if "comments" in data:
        values["comments"] = clean_text(data["comments"], "comments", max_length=0)
    if "source_description" in data:
        values["source_description"] = clean_text(data["source_description"], "source_description", max_length=0)
    if "status_id" in data and data["status_id"] is not None:
        status = LeadStatus.objects.filter(code=str(data["status_id"]).upper()).first()
        if status is None:
            raise validation(f"status_id: unknown lead status '{data['status_id']}'", "status_id")
        values["status"] = status
    if "source" in data:
        values["source"] = resolve_source(data["source"])
    if "opportunity" in data:
        values["opportunity"] = clean_amount(data["opportunity"])
    if "currency" in data:
        values["currency"] = clean_currency(data["currency"])
    if "assigned_id" in data:
        values["assigned"] = resolve_user(data["assigned_id"])
    if "contact_id" in data:
        values["contact"] = resolve_fk(Contact, data["contact_id"], "contact_id", label="contact")
    if "company_id" in data:
        values["company"] = resolve_fk(Company, data["company_id"], "company_id", label="company")
    return values


def default_lead_title(values: Mapping[str, Any]) -> str:
    name = " ".join(p for p in (values.get("name"), values.get("last_name")) if p)
    return name or values.get("company_title") or ""


@transaction.atomic
def lead_create(*, actor=None, data: Mapping[str, Any], convert_in_simple_mode: bool = True) -> Lead:
    """Create a lead. A lead needs a title, or a name/company from which one is made.

    In simple mode the new lead is converted at once under the simple-mode settings, as Bitrix24
    does, so integrations written for classic mode keep working (``convert_in_simple_mode``).
    """
    values = _clean_lead(data, partial=False)
    comms = clean_communications(phones=data.get("phones", []), emails=data.get("emails", []))
    values["title"] = values.get("title") or default_lead_title(values)
    if not values["title"]:
        raise validation("title is required (or a name or company title to make one from)", "title")
    values.setdefault("status", first_process_status())
    if values["status"].semantic == Semantic.SUCCESS:
        raise validation("status_id: a lead becomes converted only by conversion", "status_id")
    lead = Lead(**values, created_by=actor)
    lead.assigned = values.get("assigned", actor)
    lead.is_return_customer = bool(lead.contact_id or lead.company_id)
    lead.save()
    communications_set(entity_type=EntityType.LEAD, entity_id=lead.pk, cleaned=comms)
    timeline_add(entity_type=EntityType.LEAD, entity_id=lead.pk, kind=TimelineKind.CREATED, actor=actor,
                 data={"title": lead.title})
    if convert_in_simple_mode:
        from kontor.modes.hooks import after_lead_created

        after_lead_created(lead=lead, actor=actor)
    return lead


def lead_is_converted(lead: Lead) -> bool:
    return lead.converted_at is not None or lead.status.semantic == Semantic.SUCCESS


@transaction.atomic
def lead_update(*, lead: Lead, actor=None, data: Mapping[str, Any]) -> Lead:
    """Change a lead's fields. A converted lead is read-only history (409)."""
    lead = Lead.objects.select_for_update().select_related("status").get(pk=lead.pk)
    if lead_is_converted(lead):
        raise KontorError(ErrorCode.READ_ONLY, f"lead {lead.pk} is converted and can no longer be changed")
    values = _clean_lead(data, partial=True)
    comms = clean_communications(phones=data.get("phones"), emails=data.get("emails"))
    if "title" in values and not values["title"]:
        raise validation("title must not be empty", "title")
    new_status = values.get("status")
    if new_status is not None and new_status.semantic == Semantic.SUCCESS and new_status != lead.status:
        raise validation("status_id: use the convert endpoint to convert a lead", "status_id")
    old_status = lead.status_id
    changes = apply_changes(lead, values)
    changes.pop("company_title_normalized", None)
    if "contact" in changes or "company" in changes:
        lead.is_return_customer = bool(lead.contact_id or lead.company_id)
    comm_changed = communications_set(entity_type=EntityType.LEAD, entity_id=lead.pk, cleaned=comms)
    if changes or comm_changed:
        lead.updated_at = timezone.now()
        lead.save()
    if "status" in changes:
        timeline_add(entity_type=EntityType.LEAD, entity_id=lead.pk, kind=TimelineKind.STATUS_CHANGED, actor=actor,
                     data={"from": old_status, "to": lead.status_id})
        changes.pop("status")
    if changes or comm_changed:
        timeline_add(entity_type=EntityType.LEAD, entity_id=lead.pk, kind=TimelineKind.UPDATED, actor=actor,
                     data={"changes": sorted(changes) + (["communications"] if comm_changed else [])})
    return lead


@transaction.atomic
def lead_delete(*, lead: Lead, actor=None) -> None:
    """Delete a lead with its phones, e-mails and activity bindings (activities bound elsewhere stay)."""
    communications_delete(entity_type=EntityType.LEAD, entity_id=lead.pk)
    from kontor.crm.services.activities import activities_unbind_record

    activities_unbind_record(entity_type=EntityType.LEAD, entity_id=lead.pk)
    ActivityBinding.objects.filter(entity_type=EntityType.LEAD, entity_id=lead.pk).delete()
    lead.delete()
