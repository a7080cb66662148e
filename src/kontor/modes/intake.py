"""The fast path of inquiry intake in simple mode: a few set-based statements in one transaction.

``kontor.modes.services.inquiry_accept`` validates the inquiry once and hands it here. What every
inquiry needs from configuration — the mode and simple-mode settings, the pipeline and its first
stage, the source codes, the mandatory custom fields — comes from a per-process cache kept under
the configuration generation (``kontor.core.generation``: one primary-key read per inquiry, correct
across gunicorn workers). The customer is matched by one query over phones and e-mails at once
(it also answers whether the contact had deals before). The rows are written directly —
contact, its phones and e-mails in one statement, deal (already pointing at its contact), the
deal-contact row — and the usual ``contact.created`` / ``deal.created`` events are announced, so the
timeline, the webhook outbox and every other subscriber see what they see on any other path.

Statements for a known customer: configuration token, match, deal, deal-contact row, the deal's
timeline entry (plus BEGIN/COMMIT); a new customer adds the contact, its phones/e-mails and its
timeline entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from kontor.core.db import insert
from kontor.core.errors import validation
from kontor.core.generation import cached
from kontor.crm.enums import CommType, EntityType, Semantic
from kontor.crm.models import (
    Communication,
    Company,
    Contact,
    ContactCompany,
    CrmSettings,
    CustomField,
    Deal,
    DealContact,
    Pipeline,
    Source,
    Stage,
)
from kontor.events.bus import record_event
from kontor.modes.matching import LOCK_SQL, customer_lock_ids, lock_customer_keys


@dataclass(frozen=True)
class IntakeConfig:
    """What intake reads from configuration, as of one configuration generation."""

    mode: str
    match_existing_customers: bool
    create_company: bool
    pipeline_id: int | None
    stage_id: int | None
    stage_code: str
    stage_closed: bool
    #: the validation error to raise when there is no usable pipeline or stage
    placement_error: tuple[str, str] | None
    sources: frozenset[str]
    #: custom fields marked mandatory, by entity type: intake cannot fill them
    mandatory: Mapping[int, tuple[str, ...]] = field(default_factory=dict)


def _load() -> IntakeConfig:
    settings = CrmSettings.load()
    pipeline = None
    if settings.simple_pipeline_id:
        pipeline = Pipeline.objects.filter(pk=settings.simple_pipeline_id).first()
    pipeline = pipeline or Pipeline.objects.filter(is_default=True).first() or \
        Pipeline.objects.order_by("sort", "id").first()
    stage = None
    error = None
    if pipeline is None:
        error = ("no pipeline exists", "pipeline_id")
    else:
        stages = Stage.objects.filter(pipeline=pipeline).order_by("sort", "id")
        stage = stages.filter(semantic=Semantic.PROCESS).first() or stages.first()
        if stage is None:
            error = (f"pipeline {pipeline.pk} has no stages", "pipeline_id")
    mandatory: dict[int, list[str]] = {}
    for entity_type, code in CustomField.objects.filter(mandatory=True).order_by("sort", "id") \
            .values_list("entity_type", "code"):
        mandatory.setdefault(entity_type, []).append(code.lower())
    return IntakeConfig(
        mode=settings.mode, match_existing_customers=settings.match_existing_customers,
        create_company=settings.create_company, pipeline_id=pipeline.pk if pipeline else None,
        stage_id=stage.pk if stage else None, stage_code=stage.code if stage else "",
        stage_closed=bool(stage and stage.semantic != Semantic.PROCESS), placement_error=error,
        sources=frozenset(Source.objects.values_list("code", flat=True)),
        mandatory={k: tuple(v) for k, v in mandatory.items()},
    )


def intake_config() -> IntakeConfig:
    """The configuration intake needs, from this process's cache (rebuilt when it changed)."""
    return cached("modes.intake_config", _load)


def source_code(config: IntakeConfig, code: Any, field_name: str = "source") -> str | None:
    """A known source's code (case-insensitive), ``None`` for none; a 422 naming the known ones."""
    if code is None or code == "":
        return None
    text = str(code).strip().upper()
    if text not in config.sources:
        raise validation(f"{field_name}: unknown source '{code}' (one of {', '.join(sorted(config.sources))})",
                         field_name)
    return text


@dataclass(frozen=True)
class CustomerMatch:
    contact_id: int
    company_id: int | None
    has_deals: bool


def match_customer(*, phones: Sequence[str], emails: Sequence[str],
                   lock_keys: Sequence[str] = ()) -> CustomerMatch | None:
    """The oldest contact with one of these normalised phones or e-mails, in one query (empty keys
    never match). ``lock_keys`` (``customer_keys``) are locked first on PostgreSQL, in the same round
    trip: the match is a statement of its own after the lock, so it sees what the previous holder
    committed."""
    phones = [p for p in phones if p]
    emails = [e for e in emails if e]
    if not phones and not emails:
        lock_customer_keys(lock_keys)
        return None
    # One index range per kind (crm_communication (type, normalized, entity_type)), joined by UNION ALL:
    # an OR of the two lets SQLite fall back to scanning the table. The unary + keeps SQLite from
    # walking the (entity_type, entity_id) index for the MIN instead — every contact's rows.
    parts = []
    params: list[Any] = []
    for type_, keys in ((CommType.PHONE, phones), (CommType.EMAIL, emails)):
        if keys:
            parts.append("SELECT entity_id FROM crm_communication WHERE type = %s "
                         f"AND normalized IN ({', '.join(['%s'] * len(keys))}) AND +entity_type = %s")
            params += [str(type_), *keys, int(EntityType.CONTACT)]
    sql = (
        "SELECT c.id, c.company_id, EXISTS (SELECT 1 FROM crm_dealcontact dc WHERE dc.contact_id = c.id) "
        f"FROM crm_contact c WHERE c.id = (SELECT MIN(entity_id) FROM ({' UNION ALL '.join(parts)}) found)"
    )
    lock = customer_lock_ids(lock_keys)
    if lock:
        sql, params = f"{LOCK_SQL}; {sql}", [lock, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if lock:
            cursor.nextset()  # past the lock statement's rows
        row = cursor.fetchone()
    return CustomerMatch(contact_id=row[0], company_id=row[1], has_deals=bool(row[2])) if row else None


def _require_mandatory(config: IntakeConfig, entity_type: EntityType) -> None:
    names = config.mandatory.get(int(entity_type), ())
    if names:
        raise validation(f"{names[0]} is required", names[0])


@dataclass
class SimpleIntake:
    """The written records of one simple-mode inquiry."""

    deal: Deal
    contact: Contact
    contact_matched: bool


def simple_intake(*, actor, config: IntakeConfig, contact_values: Mapping[str, Any], comms: Mapping[Any, list],
                  deal_values: Mapping[str, Any], match: CustomerMatch | None, company: Company | None,
                  source: str | None, assigned_id: int | None) -> SimpleIntake:
    """Write the contact (unless ``match`` found one) and the deal; the caller holds the transaction
    and the customer-key locks."""
    if config.placement_error or config.pipeline_id is None or config.stage_id is None:
        raise validation(*(config.placement_error or ("no pipeline exists", "pipeline_id")))
    _require_mandatory(config, EntityType.DEAL)
    now = timezone.now()
    actor_id = getattr(actor, "pk", None)
    company_id = company.pk if company else None
    if match is not None:
        contact = Contact(pk=match.contact_id, company_id=match.company_id)
        known = match.has_deals
    else:
        _require_mandatory(config, EntityType.CONTACT)
        contact = Contact(**contact_values, company_id=company_id, source_id=source, assigned_id=assigned_id,
                          created_by_id=actor_id, created_at=now, updated_at=now)
        insert([contact])
        if company_id:
            insert([ContactCompany(contact=contact, company_id=company_id, sort=10, is_primary=True)])
        rows = [Communication(entity_type=EntityType.CONTACT, entity_id=contact.pk, type=type_, value=item["value"],
                              value_type=item["value_type"], normalized=item["normalized"])
                for type_ in (CommType.PHONE, CommType.EMAIL) for item in comms.get(type_, ())]
        insert(rows)
        record_event("created", "contact", contact.pk, actor=actor, assigned_id=assigned_id)
        known = False
    if not known and company_id:
        known = Deal.objects.filter(company_id=company_id).exists()
    today = timezone.localdate()
    title = str(deal_values.get("title") or "")[:255]
    pipeline_id, stage_id = config.pipeline_id, config.stage_id
    deal = Deal(**{**deal_values, "title": title}, pipeline_id=pipeline_id, stage_id=stage_id,
                contact_id=contact.pk, company_id=company_id, source_id=source, assigned_id=assigned_id,
                created_by_id=actor_id, created_at=now, updated_at=now, begindate=today,
                closed=config.stage_closed, closed_at=now if config.stage_closed else None,
                closedate=today if config.stage_closed else None, is_return_customer=known)
    insert([deal])
    if not title:
        deal.title = f"Deal #{deal.pk}"
        Deal.objects.filter(pk=deal.pk).update(title=deal.title)
    insert([DealContact(deal=deal, contact_id=contact.pk, sort=10, is_primary=True)])
    record_event("created", "deal", deal.pk, actor=actor, assigned_id=assigned_id,
                 timeline_data={"title": deal.title, "stage": config.stage_code})
    return SimpleIntake(deal=deal, contact=contact, contact_matched=match is not None)
