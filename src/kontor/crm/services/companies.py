"""Company services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.core.normalize import normalize_title
from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.models import Company
from kontor.crm.services.common import (
    apply_changes,
    clean_communications,
    clean_text,
    communications_delete,
    communications_set,
    resolve_user,
    timeline_add,
    unknown_fields,
)

COMPANY_FIELDS = ("title", "industry", "phones", "emails", "assigned_id", "comments")


def _clean_company(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown_fields(data, COMPANY_FIELDS)
    values: dict[str, Any] = {}
    if "title" in data or not partial:
        values["title"] = clean_text(data.get("title"), "title", required=True)
        # Case folding can lengthen a title ("ß" → "ss"); the key column holds 255 characters.
        values["title_normalized"] = normalize_title(values["title"])[:255]
    if "industry" in data:
        values["industry"] = clean_text(data["industry"], "industry", max_length=100)
    if "comments" in data:
        values["comments"] = clean_text(data["comments"], "comments", max_length=0)
    if "assigned_id" in data:
        values["assigned"] = resolve_user(data["assigned_id"])
    return values


@transaction.atomic
def company_create(*, actor=None, data: Mapping[str, Any]) -> Company:
    """Create a company; it needs a title."""
    values = _clean_company(data, partial=False)
    comms = clean_communications(phones=data.get("phones", []), emails=data.get("emails", []))
    company = Company(**values, created_by=actor)
    company.assigned = values.get("assigned", actor)
    company.save()
    communications_set(entity_type=EntityType.COMPANY, entity_id=company.pk, cleaned=comms)
    timeline_add(entity_type=EntityType.COMPANY, entity_id=company.pk, kind=TimelineKind.CREATED, actor=actor)
    return company


@transaction.atomic
def company_update(*, company: Company, actor=None, data: Mapping[str, Any]) -> Company:
    """Change a company's fields."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    values = _clean_company(data, partial=True)
    comms = clean_communications(phones=data.get("phones"), emails=data.get("emails"))
    changes = apply_changes(company, values)
    changes.pop("title_normalized", None)
    comm_changed = communications_set(entity_type=EntityType.COMPANY, entity_id=company.pk, cleaned=comms)
    if changes or comm_changed:
        company.updated_at = timezone.now()
        company.save()
        timeline_add(entity_type=EntityType.COMPANY, entity_id=company.pk, kind=TimelineKind.UPDATED, actor=actor,
                     data={"changes": sorted(changes) + (["communications"] if comm_changed else [])})
    return company


@transaction.atomic
def company_delete(*, company: Company, actor=None) -> None:
    """Delete a company; its contacts, deals and leads stay, without the link."""
    from kontor.crm.services.activities import activities_unbind_record

    communications_delete(entity_type=EntityType.COMPANY, entity_id=company.pk)
    activities_unbind_record(entity_type=EntityType.COMPANY, entity_id=company.pk)
    company.delete()
