"""Calls a PBX reports (``telephony.externalcall.*``): find who calls, take in a new caller the way
the CRM mode says, and keep the call as an activity on the record.

``external_call_register`` looks the number up in any format (``+49 30 1234567``, ``030 1234567``,
``4930…`` as PBXes send it) on contacts, then companies, then leads — the order Bitrix24 uses. An
unknown number goes through the inquiry intake (``kontor.modes.services.inquiry_accept``): a lead in
classic mode, a deal with a new contact in simple mode. ``external_call_finish`` completes the
activity with duration and outcome; ``external_call_attach_record`` adds the recording's link.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.accounts.models import User
from kontor.bitrix.methods.common import comm_keys
from kontor.bitrix.models import ExternalCall
from kontor.core.errors import ErrorCode, KontorError
from kontor.core.normalize import normalize_phone
from kontor.crm import services
from kontor.crm.enums import ActivityDirection, ActivityType, EntityType
from kontor.crm.models import Activity, Communication

#: Bitrix24's TYPE: 1 outgoing, 2 incoming, 3 incoming redirected, 4 callback.
OUTGOING, INCOMING, REDIRECTED, CALLBACK = 1, 2, 3, 4
#: Who a number belongs to, searched in this order.
LOOKUP_ORDER = (EntityType.CONTACT, EntityType.COMPANY, EntityType.LEAD)
#: Bitrix24's STATUS_CODE values a PBX sends most (SIP codes).
STATUS_TEXT = {"200": "answered", "304": "missed", "603": "declined", "486": "busy", "484": "wrong number",
               "503": "unavailable", "403": "forbidden", "404": "number not found", "402": "no funds"}


@dataclass
class RegisteredCall:
    """What ``external_call_register`` did: the call, the record it is bound to, what it created."""

    call: ExternalCall
    entity_type: EntityType | None
    entity_id: int | None
    created: list[tuple[EntityType, int]] = field(default_factory=list)
    created_lead: int | None = None


def phone_owner(number: str) -> tuple[EntityType, int] | None:
    """The contact, company or lead with this number (the newest of its kind), in any format."""
    keys = comm_keys("PHONE", number)
    rows = Communication.objects.filter(type="PHONE", normalized__in=keys, entity_type__in=LOOKUP_ORDER)
    found: dict[int, int] = {}
    for entity_type, entity_id in rows.values_list("entity_type", "entity_id"):
        found[entity_type] = max(found.get(entity_type, 0), entity_id)
    for entity_type in LOOKUP_ORDER:
        if entity_type in found:
            return entity_type, found[entity_type]
    return None


def _storable_number(number: str) -> str | None:
    """The number as the intake should store it: as given when it reads as a phone, with ``+`` when
    only the international reading works (``79001234567``), else nothing (it stays in the title)."""
    if normalize_phone(number):
        return number
    if number[:1].isdigit() and normalize_phone("+" + number):
        return "+" + number
    return None


@transaction.atomic
def external_call_register(*, actor: User, user: User, number: str, call_type: int, started_at: datetime | None,
                           create: bool, source: str | None, entity: tuple[EntityType, int] | None) -> RegisteredCall:
    """Register a call: bind it to the caller's record (found, given or newly taken in) as an open
    call activity responsible ``user``."""
    from kontor.modes.services import inquiry_accept

    started_at = started_at or timezone.now()
    outgoing = call_type in (OUTGOING, CALLBACK)
    owner = entity or phone_owner(number)
    result = RegisteredCall(call=ExternalCall(), entity_type=None, entity_id=None)
    bindings: list[dict[str, Any]] = []
    if owner is None and create:
        stored = _storable_number(number)
        inquiry = inquiry_accept(actor=actor, data={
            "title": f"{'Outgoing call to' if outgoing else 'Incoming call from'} {number}",
            "phones": [stored] if stored else [], "source": source or "CALL",
            "assigned_id": user.pk,
        })
        if inquiry.lead is not None:
            owner = (EntityType.LEAD, inquiry.lead.pk)
            result.created.append(owner)
            result.created_lead = inquiry.lead.pk
        else:
            if inquiry.contact is not None:
                owner = (EntityType.CONTACT, inquiry.contact.pk)
                if not inquiry.contact_matched:
                    result.created.append(owner)
            if inquiry.deal is not None:
                result.created.append((EntityType.DEAL, inquiry.deal.pk))
                bindings.append({"entity": "deal", "id": inquiry.deal.pk})
                owner = owner or (EntityType.DEAL, inquiry.deal.pk)
    activity = None
    if owner is not None:
        result.entity_type, result.entity_id = owner
        bindings.insert(0, {"entity": owner[0].name.lower(), "id": owner[1]})
        activity = services.activity_create(actor=actor, data={
            "type": ActivityType.CALL,
            "subject": f"{'Outgoing call to' if outgoing else 'Incoming call from'} {number}",
            "deadline": started_at, "responsible_id": user.pk,
            "direction": ActivityDirection.OUTGOING if outgoing else ActivityDirection.INCOMING,
            "bindings": bindings,
        })
    result.call = ExternalCall.objects.create(
        call_id=f"externalCall.{uuid.uuid4().hex}.{int(started_at.timestamp())}", activity=activity, user=user,
        phone_number=number[:64], call_type=call_type, started_at=started_at,
        entity_type=result.entity_type, entity_id=result.entity_id)
    return result


def _description(call: ExternalCall) -> str:
    lines = []
    if call.duration is not None:
        lines.append(f"Duration: {call.duration} s")
    if call.status_code:
        text = STATUS_TEXT.get(call.status_code)
        lines.append(f"Status: {call.status_code}" + (f" ({text})" if text else ""))
    if call.record_url:
        lines.append(f"Recording: {call.record_url}")
    return "\n".join(lines)


def _activity_of(call: ExternalCall) -> Activity | None:
    return Activity.objects.filter(pk=call.activity_id).first() if call.activity_id else None


@transaction.atomic
def external_call_finish(*, call: ExternalCall, actor: User, duration: int, status_code: str,
                         record_url: str = "") -> ExternalCall:
    """End a call: duration, outcome (and recording link) on the call and its activity, completed."""
    call = ExternalCall.objects.select_for_update().get(pk=call.pk)
    if call.finished_at is not None:
        raise KontorError(ErrorCode.VALIDATION, f"Call {call.call_id} is already finished", field="CALL_ID")
    call.finished_at = timezone.now()
    call.duration = duration
    call.status_code = status_code
    if record_url:
        call.record_url = record_url
    call.save()
    activity = _activity_of(call)
    if activity is not None:
        services.activity_update(activity=activity, actor=actor,
                                 data={"description": _description(call), "completed": True})
    return call


@transaction.atomic
def external_call_attach_record(*, call: ExternalCall, actor: User, record_url: str) -> ExternalCall:
    """The recording's link on the call and in its activity's description."""
    call = ExternalCall.objects.select_for_update().get(pk=call.pk)
    call.record_url = record_url
    call.save(update_fields=["record_url"])
    activity = _activity_of(call)
    if activity is not None:
        services.activity_update(activity=activity, actor=actor, data={"description": _description(call)})
    return call
