"""Contact services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.accounts.models import Action, RecordKind
from kontor.core.errors import validation
from kontor.crm import access
from kontor.crm.enums import EntityType
from kontor.crm.fields import clean_record, ordered_links
from kontor.crm.models import Contact, ContactCompany
from kontor.crm.services.common import (
    comm_changes,
    comm_values,
    communications_delete,
    communications_set,
    record_apply,
)
from kontor.events.bus import record_event


def _write_companies(contact: Contact, company_ids: Sequence[int]) -> None:
    ContactCompany.objects.filter(contact=contact).delete()
    ContactCompany.objects.bulk_create([
        ContactCompany(contact=contact, company_id=pk, sort=(i + 1) * 10, is_primary=i == 0)
        for i, pk in enumerate(company_ids)
    ])
    contact.company_id = company_ids[0] if company_ids else None


def contact_create(*, actor=None, data: Mapping[str, Any]) -> Contact:
    """Create a contact; it needs a first or last name."""
    with transaction.atomic():
        cleaned = clean_record(EntityType.CONTACT, data, create=True)
        values = cleaned.values
        if not (values.get("name") or values.get("last_name")):
            raise validation("name or last_name is required", "name")
        company_ids = ordered_links(cleaned, "company_ids") or []
        contact = Contact(**values, created_by=actor)  # its company_id is set from company_ids below
        if "assigned_id" not in values:
            contact.assigned = actor
        access.require_add(actor, RecordKind.CONTACT, contact.assigned_id)
        contact.uf = {k: v for k, v in cleaned.uf.items() if v is not None} or None
        contact.company_id = company_ids[0] if company_ids else None
        contact.save()
        if company_ids:
            _write_companies(contact, company_ids)
        communications_set(entity_type=EntityType.CONTACT, entity_id=contact.pk, cleaned=cleaned.comms)
        record_event("created", "contact", contact.pk, actor=actor)
        return contact


def contact_update(*, contact: Contact, actor=None, data: Mapping[str, Any]) -> Contact:
    """Change a contact's fields; a contact keeps at least a first or last name."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        access.require(actor, contact, Action.EDIT)
        cleaned = clean_record(EntityType.CONTACT, data, create=False)
        company_ids = ordered_links(cleaned, "company_ids")
        cleaned.values.pop("company_id", None)
        changes = record_apply(contact, cleaned)
        access.require_owner(actor, contact)
        if not (contact.name or contact.last_name):
            raise validation("name or last_name is required", "name")
        if company_ids is not None:
            before = list(ContactCompany.objects.filter(contact=contact).order_by("-is_primary", "sort", "id")
                          .values_list("company_id", flat=True))
            if before != company_ids:
                _write_companies(contact, company_ids)
                changes["company_ids"] = [before, company_ids]
        comms_before = comm_values(entity_type=EntityType.CONTACT, entity_id=contact.pk, types=cleaned.comms)
        comm_changed = communications_set(entity_type=EntityType.CONTACT, entity_id=contact.pk, cleaned=cleaned.comms)
        if changes or comm_changed:
            contact.updated_at = timezone.now()
            contact.save()
            record_event("updated", "contact", contact.pk, actor=actor, changes={
                **changes, **comm_changes(comms_before, entity_type=EntityType.CONTACT, entity_id=contact.pk)})
        return contact


def contact_delete(*, contact: Contact, actor=None) -> None:
    """Delete a contact; deals and leads that named it keep existing without it (``SET_NULL``; its deal
    links go with it, ``CASCADE``)."""
    with transaction.atomic():
        from kontor.crm.services.activities import activities_unbind_record

        access.require(actor, contact, Action.DELETE)
        record_event("deleted", "contact", contact.pk, actor=actor)  # first: subscribers still see the record
        communications_delete(entity_type=EntityType.CONTACT, entity_id=contact.pk)
        activities_unbind_record(entity_type=EntityType.CONTACT, entity_id=contact.pk)
        contact.delete()
