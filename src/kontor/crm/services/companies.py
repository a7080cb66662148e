"""Company services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.accounts.models import Action, RecordKind
from kontor.core.errors import validation
from kontor.core.normalize import normalize_title
from kontor.crm import access
from kontor.crm.enums import EntityType
from kontor.crm.fields import Cleaned, clean_record
from kontor.crm.models import Company, ContactCompany
from kontor.crm.services.common import (
    comm_changes,
    comm_values,
    communications_delete,
    communications_set,
    record_apply,
)
from kontor.events.bus import record_event


def _clean_company(data: Mapping[str, Any], *, create: bool) -> Cleaned:
    cleaned = clean_record(EntityType.COMPANY, data, create=create)
    values = cleaned.values
    if create and not values.get("title"):
        raise validation("title is required", "title")
    if "title" in values:
        # Case folding can lengthen a title ("ß" → "ss"); the key column holds 255 characters.
        values["title_normalized"] = normalize_title(values["title"])[:255]
    return cleaned


def company_create(*, actor=None, data: Mapping[str, Any]) -> Company:
    """Create a company; it needs a title."""
    with transaction.atomic():
        cleaned = _clean_company(data, create=True)
        company = Company(**cleaned.values, created_by=actor)
        if "assigned_id" not in cleaned.values:
            company.assigned = actor
        access.require_add(actor, RecordKind.COMPANY, company.assigned_id)
        company.uf = {k: v for k, v in cleaned.uf.items() if v is not None} or None
        company.save()
        communications_set(entity_type=EntityType.COMPANY, entity_id=company.pk, cleaned=cleaned.comms)
        record_event("created", "company", company.pk, actor=actor)
        return company


def company_update(*, company: Company, actor=None, data: Mapping[str, Any]) -> Company:
    """Change a company's fields."""
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company.pk)
        access.require(actor, company, Action.EDIT)
        cleaned = _clean_company(data, create=False)
        changes = record_apply(company, cleaned)
        access.require_owner(actor, company)
        changes.pop("title_normalized", None)
        comms_before = comm_values(entity_type=EntityType.COMPANY, entity_id=company.pk, types=cleaned.comms)
        comm_changed = communications_set(entity_type=EntityType.COMPANY, entity_id=company.pk, cleaned=cleaned.comms)
        if changes or comm_changed:
            company.updated_at = timezone.now()
            company.save()
            record_event("updated", "company", company.pk, actor=actor, changes={
                **changes, **comm_changes(comms_before, entity_type=EntityType.COMPANY, entity_id=company.pk)})
        return company


def company_delete(*, company: Company, actor=None) -> None:
    """Delete a company; its contacts, deals and leads stay, without the link."""
    with transaction.atomic():
        from kontor.crm.models import Contact
        from kontor.crm.services.activities import activities_unbind_record

        access.require(actor, company, Action.DELETE)
        record_event("deleted", "company", company.pk, actor=actor)  # first: subscribers still see the record
        ContactCompany.objects.filter(company=company).delete()
        # A contact whose primary company goes gets its next one as primary (or none).
        for contact in Contact.objects.filter(company=company):
            nxt = ContactCompany.objects.filter(contact=contact).order_by("sort", "id").first()
            Contact.objects.filter(pk=contact.pk).update(company_id=nxt.company_id if nxt else None)
            if nxt:
                ContactCompany.objects.filter(pk=nxt.pk).update(is_primary=True)
        communications_delete(entity_type=EntityType.COMPANY, entity_id=company.pk)
        activities_unbind_record(entity_type=EntityType.COMPANY, entity_id=company.pk)
        company.delete()
