"""Deal services: create, update, move between stages, set contacts, delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.core.errors import validation
from kontor.crm.enums import EntityType, Semantic, TimelineKind
from kontor.crm.models import Company, Contact, Deal, DealContact, Pipeline, Stage
from kontor.crm.services.common import (
    apply_changes,
    clean_amount,
    clean_currency,
    clean_text,
    communications_delete,
    resolve_fk,
    resolve_source,
    resolve_user,
    timeline_add,
    unknown_fields,
)

DEAL_FIELDS = (
    "title", "pipeline_id", "stage_id", "opportunity", "currency", "contact_id", "contact_ids", "company_id",
    "source", "assigned_id", "comments",
)


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.order_by("sort", "id").first()
    if pipeline is None:
        raise validation("no pipeline exists", "pipeline_id")
    return pipeline


def first_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(semantic=Semantic.PROCESS).order_by("sort", "id").first()
    stage = stage or pipeline.stages.order_by("sort", "id").first()
    if stage is None:
        raise validation(f"pipeline {pipeline.pk} has no stages", "pipeline_id")
    return stage


def _closed_state(stage: Stage) -> dict[str, Any]:
    closed = stage.semantic != Semantic.PROCESS
    return {"closed": closed}


def _clean_deal(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown_fields(data, DEAL_FIELDS)
    values: dict[str, Any] = {}
    if "title" in data:
        values["title"] = clean_text(data["title"], "title")
    if "comments" in data:
        values["comments"] = clean_text(data["comments"], "comments", max_length=0)
    if data.get("pipeline_id") is not None:
        values["pipeline"] = resolve_fk(Pipeline, data["pipeline_id"], "pipeline_id", label="pipeline")
    if data.get("stage_id") is not None:
        values["stage"] = resolve_fk(Stage, data["stage_id"], "stage_id", label="stage")
    if "opportunity" in data:
        values["opportunity"] = clean_amount(data["opportunity"])
    if "currency" in data:
        values["currency"] = clean_currency(data["currency"])
    if "company_id" in data:
        values["company"] = resolve_fk(Company, data["company_id"], "company_id", label="company")
    if "source" in data:
        values["source"] = resolve_source(data["source"])
    if "assigned_id" in data:
        values["assigned"] = resolve_user(data["assigned_id"])
    return values


def _clean_contact_ids(data: Mapping[str, Any]) -> list[Contact] | None:
    """The deal's contacts in order (primary first), or ``None`` when the request names none."""
    if "contact_ids" in data and data["contact_ids"] is not None:
        ids = data["contact_ids"]
        if not isinstance(ids, list | tuple):
            raise validation("contact_ids must be a list of contact ids", "contact_ids")
        contacts = [resolve_fk(Contact, pk, "contact_ids", label="contact") for pk in ids]
        primary = data.get("contact_id")
        if primary is not None:
            first = resolve_fk(Contact, primary, "contact_id", label="contact")
            contacts = [first, *[c for c in contacts if c.pk != first.pk]]
        return list(dict.fromkeys(contacts))
    if "contact_id" in data:
        contact = resolve_fk(Contact, data["contact_id"], "contact_id", label="contact")
        return [contact] if contact else []
    return None


def _place(values: dict[str, Any], *, current_pipeline: Pipeline | None) -> None:
    """Check that the stage belongs to the pipeline; fill in whichever one is missing."""
    pipeline = values.get("pipeline")
    stage = values.get("stage")
    if stage is not None and pipeline is None:
        if current_pipeline is not None and stage.pipeline_id != current_pipeline.pk:
            raise validation(f"stage_id: stage {stage.pk} does not belong to pipeline {current_pipeline.pk}",
                             "stage_id")
        values["pipeline"] = stage.pipeline
    elif pipeline is not None and stage is None:
        if current_pipeline is None or current_pipeline.pk != pipeline.pk:
            values["stage"] = first_stage(pipeline)
    elif pipeline is not None and stage is not None and stage.pipeline_id != pipeline.pk:
        raise validation(f"stage_id: stage {stage.pk} does not belong to pipeline {pipeline.pk}", "stage_id")


def _write_contacts(deal: Deal, contacts: Sequence[Contact]) -> None:
    DealContact.objects.filter(deal=deal).delete()
    DealContact.objects.bulk_create(
        [DealContact(deal=deal, contact=c, sort=(i + 1) * 10, is_primary=i == 0) for i, c in enumerate(contacts)]
    )
    deal.contact = contacts[0] if contacts else None


@transaction.atomic
def deal_create(*, actor=None, data: Mapping[str, Any], lead=None) -> Deal:
    """Create a deal, by default at the first stage of the default pipeline."""
    values = _clean_deal(data)
    contacts = _clean_contact_ids(data) or []
    if not values.get("pipeline") and not values.get("stage"):
        values["pipeline"] = default_pipeline()
    _place(values, current_pipeline=None)
    deal = Deal(**values, created_by=actor, lead=lead)
    deal.assigned = values.get("assigned", actor)
    deal.closed = _closed_state(deal.stage)["closed"]
    if deal.closed:
        deal.closed_at = timezone.now()
    deal.is_return_customer = bool(contacts or deal.company_id) and _is_known_customer(contacts, deal.company_id)
    deal.title = values.get("title") or ""
    deal.save()
    if not deal.title:
        deal.title = f"Deal #{deal.pk}"
        deal.save(update_fields=["title"])
    if contacts:
        _write_contacts(deal, contacts)
        deal.save(update_fields=["contact"])
    timeline_add(entity_type=EntityType.DEAL, entity_id=deal.pk, kind=TimelineKind.CREATED, actor=actor,
                 data={"title": deal.title, "stage": deal.stage.code})
    return deal


def _is_known_customer(contacts: Sequence[Contact], company_id: int | None) -> bool:
    """A customer with an earlier deal is a returning customer (Bitrix24 IS_RETURN_CUSTOMER)."""
    contact_ids = [c.pk for c in contacts]
    if contact_ids and DealContact.objects.filter(contact_id__in=contact_ids).exists():
        return True
    return bool(company_id and Deal.objects.filter(company_id=company_id).exists())


@transaction.atomic
def deal_update(*, deal: Deal, actor=None, data: Mapping[str, Any]) -> Deal:
    """Change a deal's fields, including moving it to another pipeline or stage."""
    deal = Deal.objects.select_for_update().select_related("stage", "pipeline").get(pk=deal.pk)
    values = _clean_deal(data)
    if "title" in values and not values["title"]:
        raise validation("title must not be empty", "title")
    contacts = _clean_contact_ids(data)
    _place(values, current_pipeline=deal.pipeline)
    old_stage = deal.stage
    changes = apply_changes(deal, values)
    if contacts is not None:
        before = list(deal.deal_contacts.values_list("contact_id", flat=True))
        if before != [c.pk for c in contacts]:
            _write_contacts(deal, contacts)
            changes["contact_ids"] = [before, [c.pk for c in contacts]]
    if "stage" in changes:
        _apply_stage_state(deal)
    if changes:
        deal.updated_at = timezone.now()
        deal.save()
    if "stage" in changes:
        _stage_timeline(deal, old_stage, actor)
        changes.pop("stage")
        changes.pop("pipeline", None)
    if changes:
        timeline_add(entity_type=EntityType.DEAL, entity_id=deal.pk, kind=TimelineKind.UPDATED, actor=actor,
                     data={"changes": sorted(changes)})
    return deal


def _apply_stage_state(deal: Deal) -> None:
    closed = deal.stage.semantic != Semantic.PROCESS
    if closed and not deal.closed:
        deal.closed_at = timezone.now()
    elif not closed:
        deal.closed_at = None
    deal.closed = closed


def _stage_timeline(deal: Deal, old_stage: Stage, actor) -> None:
    timeline_add(entity_type=EntityType.DEAL, entity_id=deal.pk, kind=TimelineKind.STAGE_CHANGED, actor=actor,
                 data={"from": old_stage.code, "to": deal.stage.code, "from_name": old_stage.name,
                       "to_name": deal.stage.name, "pipeline_id": deal.pipeline_id})


@transaction.atomic
def deal_move_stage(*, deal: Deal, stage: Stage, actor=None) -> Deal:
    """Move a deal to ``stage`` (of its pipeline, or of another one: the deal follows)."""
    deal = Deal.objects.select_for_update().select_related("stage").get(pk=deal.pk)
    if deal.stage_id == stage.pk:
        return deal
    old_stage = deal.stage
    deal.stage = stage
    deal.pipeline_id = stage.pipeline_id
    _apply_stage_state(deal)
    deal.updated_at = timezone.now()
    deal.save()
    _stage_timeline(deal, old_stage, actor)
    return deal


@transaction.atomic
def deal_contacts_set(*, deal: Deal, contact_ids: Sequence[int], actor=None) -> Deal:
    """Make ``contact_ids`` the deal's contacts, the first one primary."""
    return deal_update(deal=deal, actor=actor, data={"contact_ids": list(contact_ids)})


@transaction.atomic
def deal_delete(*, deal: Deal, actor=None) -> None:
    """Delete a deal; a lead converted into it keeps its history without the link."""
    from kontor.crm.models import Lead
    from kontor.crm.services.activities import activities_unbind_record

    Lead.objects.filter(deal=deal).update(deal=None)
    communications_delete(entity_type=EntityType.DEAL, entity_id=deal.pk)
    activities_unbind_record(entity_type=EntityType.DEAL, entity_id=deal.pk)
    deal.delete()
