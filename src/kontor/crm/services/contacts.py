"""Contact services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.core.errors import validation
from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.models import Company, Contact, Deal, DealContact, Lead
from kontor.crm.services.common import (
    apply_changes,
    clean_communications,
    clean_text,
    communications_delete,
    communications_set,
    resolve_fk,
    resolve_source,
    resolve_user,
    timeline_add,
    unknown_fields,
)

CONTACT_FIELDS = (
    "name", "second_name", "last_name", "post", "company_id", "phones", "emails", "source", "assigned_id",
    "comments",
)


def _clean_contact(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown_fields(data, CONTACT_FIELDS)
    values: dict[str, Any] = {}
    for name in ("name", "second_name", "last_name"):
        if name in data:
            values[name] = clean_text(data[name], name, max_length=100)
    if "post" in data:
        values["post"] = clean_text(data["post"], "post")
    if "comments" in data:
        values["comments"] = clean_text(data["comments"], "comments", max_length=0)
    if "company_id" in data:
        values["company"] = resolve_fk(Company, data["company_id"], "company_id", label="company")
    if "source" in data:
        values["source"] = resolve_source(data["source"])
    if "assigned_id" in data:
        values["assigned"] = resolve_user(data["assigned_id"])
    return values


@transaction.atomic
def contact_create(*, actor=None, data: Mapping[str, Any]) -> Contact:
    """Create a contact; it needs a first or last name."""
    values = _clean_contact(data)
    comms = clean_communications(phones=data.get("phones", []), emails=data.get("emails", []))
    if not (values.get("name") or values.get("last_name")):
        raise validation("name or last_name is required", "name")
    contact = Contact(**values, created_by=actor)
    contact.assigned = values.get("assigned", actor)
    contact.save()
    communications_set(entity_type=EntityType.CONTACT, entity_id=contact.pk, cleaned=comms)
    timeline_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, kind=TimelineKind.CREATED, actor=actor)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, actor=None, data: Mapping[str, Any]) -> Contact:
    """Change a contact's fields; a contact keeps at least a first or last name."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    values = _clean_contact(data)
    comms = clean_communications(phones=data.get("phones"), emails=data.get("emails"))
    changes = apply_changes(contact, values)
    if not (contact.name or contact.last_name):
        raise validation("name or last_name is required", "name")
    comm_changed = communications_set(entity_type=EntityType.CONTACT, entity_id=contact.pk, cleaned=comms)
    if changes or comm_changed:
        contact.updated_at = timezone.now()
        contact.save()
        timeline_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, kind=TimelineKind.UPDATED, actor=actor,
                     data={"changes": sorted(changes) + (["communications"] if comm_changed else [])})
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, actor=None) -> None:
    """Delete a contact; deals and leads that named it keep existing without it."""
    from kontor.crm.services.activities import activities_unbind_record

    Deal.objects.filter(contact=contact).update(contact=None)
    Lead.objects.filter(contact=contact).update(contact=None)
    DealContact.objects.filter(contact=contact).delete()
    communications_delete(entity_type=EntityType.CONTACT, entity_id=contact.pk)
    activities_unbind_record(entity_type=EntityType.CONTACT, entity_id=contact.pk)
    contact.delete()
