"""Personal data of one contact (DSGVO/GDPR Art. 15 access, Art. 17 erasure).

``contact_personal_data`` gathers everything Kontor holds about a person: the contact, its phones
and e-mails, its companies, the leads and deals that name it or carry one of its phones/e-mails,
the activities bound to them, and the timeline. ``contact_erase`` deletes the contact and the traces
of its phones and e-mails elsewhere: the same numbers and addresses on leads, deals and companies,
the person's name and address on the leads that named them, the deals' links to them, and the
timeline entries that recorded any of it. Both write an ``AuditLog`` row — without the personal
data itself, which the erasure would otherwise keep.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kontor.api.serializers import activities_out, records_out
from kontor.crm.enums import CommType, EntityType
from kontor.crm.models import (
    Activity,
    ActivityBinding,
    AuditLog,
    Communication,
    Company,
    Contact,
    Deal,
    DealContact,
    Lead,
    TimelineEntry,
)

#: A lead's fields that describe the person (cleared on erasure; the inquiry itself stays).
LEAD_PERSON_FIELDS = {
    "honorific": "", "name": "", "second_name": "", "last_name": "", "birthdate": None, "post": "",
    "address": "", "address_2": "", "address_postal_code": "", "address_city": "", "address_region": "",
    "address_province": "", "address_country": "", "address_country_code": "",
}


def _keys(contact: Contact) -> tuple[list[str], list[str], list[str]]:
    """The contact's normalised phones and e-mails, and the values as written."""
    rows = list(Communication.objects.filter(entity_type=EntityType.CONTACT, entity_id=contact.pk,
                                             type__in=(CommType.PHONE, CommType.EMAIL))
                .values_list("type", "normalized", "value"))
    phones = [n for t, n, _ in rows if t == CommType.PHONE]
    emails = [n for t, n, _ in rows if t == CommType.EMAIL]
    return phones, emails, [v for _, _, v in rows] + phones + emails


def _traces(entity: EntityType, phones: list[str], emails: list[str]) -> list[int]:
    """Ids of records of ``entity`` carrying one of these phones or e-mails."""
    cond = Q(pk__in=[])
    if phones:
        cond |= Q(type=CommType.PHONE, normalized__in=phones)
    if emails:
        cond |= Q(type=CommType.EMAIL, normalized__in=emails)
    return sorted(set(Communication.objects.filter(cond, entity_type=entity).values_list("entity_id", flat=True)))


def _related(contact: Contact) -> dict[str, list[int]]:
    phones, emails, _ = _keys(contact)
    leads = set(Lead.objects.filter(contact=contact).values_list("id", flat=True)) | set(
        _traces(EntityType.LEAD, phones, emails))
    deals = set(Deal.objects.filter(contact=contact).values_list("id", flat=True)) | set(
        DealContact.objects.filter(contact=contact).values_list("deal_id", flat=True)) | set(
        _traces(EntityType.DEAL, phones, emails))
    return {"leads": sorted(leads), "deals": sorted(deals)}


def _timeline(entity: EntityType, ids: list[int]) -> list[dict[str, Any]]:
    return [{"entity": entity.name.lower(), "entity_id": e.entity_id, "kind": e.kind, "data": e.data,
             "created_at": e.created_at.isoformat()}
            for e in TimelineEntry.objects.filter(entity_type=entity, entity_id__in=ids).order_by("created_at", "id")]


def contact_personal_data(*, contact: Contact, actor=None) -> dict[str, Any]:
    """Everything Kontor holds about ``contact`` as one JSON-ready document (audited)."""
    related = _related(contact)
    companies = list(Company.objects.filter(contact_links__contact=contact).distinct().order_by("id"))
    leads = list(Lead.objects.filter(pk__in=related["leads"]).order_by("id"))
    deals = list(Deal.objects.filter(pk__in=related["deals"]).order_by("id"))
    bound = ActivityBinding.objects.filter(
        Q(entity_type=EntityType.CONTACT, entity_id=contact.pk) | Q(entity_type=EntityType.LEAD,
                                                                     entity_id__in=related["leads"])
        | Q(entity_type=EntityType.DEAL, entity_id__in=related["deals"])).values_list("activity_id", flat=True)
    activities = list(Activity.objects.filter(pk__in=list(bound)).order_by("id"))
    document = {
        "generated_at": timezone.now().isoformat(),
        "contact": records_out(EntityType.CONTACT, [contact])[0],
        "companies": records_out(EntityType.COMPANY, companies),
        "leads": records_out(EntityType.LEAD, leads),
        "deals": records_out(EntityType.DEAL, deals),
        "activities": activities_out(activities),
        "timeline": _timeline(EntityType.CONTACT, [contact.pk]) + _timeline(EntityType.LEAD, related["leads"])
        + _timeline(EntityType.DEAL, related["deals"]),
    }
    AuditLog.objects.create(action="contact_personal_data_exported", actor=actor, data={"contact_id": contact.pk})
    return json.loads(json.dumps(document, default=str))


def _mentions(data: Any, needles: list[str]) -> bool:
    text = json.dumps(data, ensure_ascii=False, default=str).casefold()
    return any(n and n.casefold() in text for n in needles)


@transaction.atomic
def contact_erase(*, contact: Contact, actor=None) -> dict[str, int]:
    """Erase ``contact`` and the traces of its phones and e-mails (see the module docstring); the counts."""
    from kontor.crm.services.contacts import contact_delete

    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    phones, emails, needles = _keys(contact)
    needles += [v for v in (contact.name and contact.last_name and f"{contact.name} {contact.last_name}",) if v]
    related = _related(contact)
    person_leads = sorted(set(Lead.objects.filter(contact=contact).values_list("id", flat=True))
                          | set(_traces(EntityType.LEAD, phones, emails)))
    comm_cond = Q(pk__in=[])
    if phones:
        comm_cond |= Q(type=CommType.PHONE, normalized__in=phones)
    if emails:
        comm_cond |= Q(type=CommType.EMAIL, normalized__in=emails)
    comms_deleted, _ = Communication.objects.filter(comm_cond).exclude(entity_type=EntityType.CONTACT).delete()
    Lead.objects.filter(pk__in=person_leads).update(**LEAD_PERSON_FIELDS, updated_at=timezone.now())
    # Timeline entries recorded the person's values (a change's old and new phone, an inquiry's data):
    # those of the leads and deals concerned lose their data.
    scrubbed = 0
    for entry in TimelineEntry.objects.filter(
            Q(entity_type=EntityType.LEAD, entity_id__in=related["leads"])
            | Q(entity_type=EntityType.DEAL, entity_id__in=related["deals"])).only("id", "data"):
        if entry.data and _mentions(entry.data, needles):
            TimelineEntry.objects.filter(pk=entry.pk).update(data={"erased": True})
            scrubbed += 1
    timeline_deleted, _ = TimelineEntry.objects.filter(entity_type=EntityType.CONTACT, entity_id=contact.pk).delete()
    contact_id = contact.pk
    contact_delete(contact=contact, actor=actor)
    counts = {"contact_id": contact_id, "leads_cleared": len(person_leads), "deals_unlinked": len(related["deals"]),
              "communications_deleted": comms_deleted, "timeline_scrubbed": scrubbed + timeline_deleted}
    AuditLog.objects.create(action="contact_erased", actor=actor, data=counts)
    return counts
