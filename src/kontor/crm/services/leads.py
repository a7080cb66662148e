"""Lead services: create, update, delete. Conversion lives in the CRM-modes app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.accounts.models import Action, RecordKind
from kontor.core.errors import ErrorCode, KontorError, validation
from kontor.core.normalize import normalize_title
from kontor.crm import access
from kontor.crm.enums import EntityType, Semantic
from kontor.crm.fields import Cleaned, clean_record
from kontor.crm.models import Lead, LeadStatus
from kontor.crm.services.common import (
    comm_changes,
    comm_values,
    communications_delete,
    communications_set,
    record_apply,
)
from kontor.events.bus import record_event


def first_process_status() -> LeadStatus:
    """The status a new lead starts in: the first in-progress one by sort."""
    status = LeadStatus.objects.filter(semantic=Semantic.PROCESS).order_by("sort", "code").first()
    if status is None:
        raise KontorError(ErrorCode.CONFLICT, "no in-progress lead status is configured")
    return status


def _clean_lead(data: Mapping[str, Any], *, create: bool) -> Cleaned:
    cleaned = clean_record(EntityType.LEAD, data, create=create)
    values = cleaned.values
    if values.get("status_id", "") is None:
        del values["status_id"]  # an empty status: the first one on create, unchanged on update
    if "company_title" in values:
        values["company_title_normalized"] = normalize_title(values["company_title"])[:255]  # "ß" → "ss" grows
    return cleaned


def default_lead_title(values: Mapping[str, Any]) -> str:
    name = " ".join(p for p in (values.get("name"), values.get("last_name")) if p)
    return name or values.get("company_title") or ""


def lead_create(*, actor=None, data: Mapping[str, Any], convert_in_simple_mode: bool = True) -> Lead:
    """Create a lead. A lead needs a title, or a name/company from which one is made.

    In simple mode the new lead is converted at once under the simple-mode settings, as Bitrix24
    does, so integrations written for classic mode keep working (``convert_in_simple_mode``). That
    happens in the CRM-modes app, which reacts to the ``lead.created`` event inside this transaction
    (the option travels with the event); this module does not know the modes.
    """
    with transaction.atomic():
        cleaned = _clean_lead(data, create=True)
        values = cleaned.values
        values["title"] = values.get("title") or default_lead_title(values)
        if not values["title"]:
            raise validation("title is required (or a name or company title to make one from)", "title")
        status = (LeadStatus.objects.get(code=values["status_id"]) if values.get("status_id")
                  else first_process_status())
        if status.semantic == Semantic.SUCCESS:
            raise validation("status_id: a lead becomes converted only by conversion", "status_id")
        values["status_id"] = status.code
        lead = Lead(**values, created_by=actor)
        if "assigned_id" not in values:
            lead.assigned = actor
        access.require_add(actor, RecordKind.LEAD, lead.assigned_id)
        lead.uf = {k: v for k, v in cleaned.uf.items() if v is not None} or None
        lead.is_return_customer = bool(lead.contact_id or lead.company_id)
        lead.save()
        communications_set(entity_type=EntityType.LEAD, entity_id=lead.pk, cleaned=cleaned.comms)
        record_event("created", "lead", lead.pk, actor=actor, convert_in_simple_mode=convert_in_simple_mode)
        return lead


def lead_is_converted(lead: Lead) -> bool:
    return lead.converted_at is not None or lead.status.semantic == Semantic.SUCCESS


def lead_update(*, lead: Lead, actor=None, data: Mapping[str, Any]) -> Lead:
    """Change a lead's fields. A converted lead is read-only history (409)."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().select_related("status").get(pk=lead.pk)
        access.require(actor, lead, Action.EDIT)
        if lead_is_converted(lead):
            raise KontorError(ErrorCode.READ_ONLY, f"lead {lead.pk} is converted and can no longer be changed")
        cleaned = _clean_lead(data, create=False)
        values = cleaned.values
        if "title" in values and not values["title"]:
            raise validation("title must not be empty", "title")
        new_status = values.get("status_id")
        if (new_status is not None and new_status != lead.status_id
                and LeadStatus.objects.get(code=new_status).semantic == Semantic.SUCCESS):
            raise validation("status_id: use the convert endpoint to convert a lead", "status_id")
        changes = record_apply(lead, cleaned)
        changes.pop("company_title_normalized", None)
        access.require_owner(actor, lead)
        if "contact_id" in changes or "company_id" in changes:
            lead.is_return_customer = bool(lead.contact_id or lead.company_id)
        comms_before = comm_values(entity_type=EntityType.LEAD, entity_id=lead.pk, types=cleaned.comms)
        comm_changed = communications_set(entity_type=EntityType.LEAD, entity_id=lead.pk, cleaned=cleaned.comms)
        if changes or comm_changed:
            lead.updated_at = timezone.now()
            lead.save()
            record_event("updated", "lead", lead.pk, actor=actor, changes={
                **changes, **comm_changes(comms_before, entity_type=EntityType.LEAD, entity_id=lead.pk)})
        return lead


def lead_delete(*, lead: Lead, actor=None) -> None:
    """Delete a lead with its phones, e-mails and activity bindings (activities bound elsewhere stay)."""
    with transaction.atomic():
        access.require(actor, lead, Action.DELETE)
        record_event("deleted", "lead", lead.pk, actor=actor)  # first: subscribers still see the record
        communications_delete(entity_type=EntityType.LEAD, entity_id=lead.pk)
        from kontor.crm.services.activities import activities_unbind_record

        activities_unbind_record(entity_type=EntityType.LEAD, entity_id=lead.pk)
        lead.delete()
