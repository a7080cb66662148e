"""Deal services: create, update, move between stages, set contacts, delete."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.accounts.models import Action, RecordKind
from kontor.core.errors import validation
from kontor.crm import access
from kontor.crm.enums import EntityType, Semantic
from kontor.crm.fields import Cleaned, clean_record, ordered_links
from kontor.crm.models import Deal, DealContact, Pipeline, Stage
from kontor.crm.services.common import (
    apply_changes,
    record_apply,
)
from kontor.events.bus import record_event


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


def _clean_deal(data: Mapping[str, Any], *, create: bool) -> tuple[Cleaned, dict[str, Any]]:
    """The cleaned input, and the pipeline and stage it names as objects (``_place`` needs them)."""
    cleaned = clean_record(EntityType.DEAL, data, create=create)
    values = cleaned.values
    placement: dict[str, Any] = {}
    pipeline_id = values.pop("pipeline_id", None)
    stage_id = values.pop("stage_id", None)
    if pipeline_id is not None:
        placement["pipeline"] = Pipeline.objects.filter(pk=pipeline_id).first()
        if placement["pipeline"] is None:
            raise validation(f"pipeline_id: no pipeline {pipeline_id}", "pipeline_id")
    if stage_id is not None:
        placement["stage"] = Stage.objects.select_related("pipeline").filter(pk=stage_id).first()
        if placement["stage"] is None:
            raise validation(f"stage_id: no stage {stage_id}", "stage_id")
    return cleaned, placement


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


def _write_contacts(deal: Deal, contact_ids: Sequence[int]) -> None:
    DealContact.objects.filter(deal=deal).delete()
    DealContact.objects.bulk_create(
        [DealContact(deal=deal, contact_id=pk, sort=(i + 1) * 10, is_primary=i == 0)
         for i, pk in enumerate(contact_ids)]
    )
    deal.contact_id = contact_ids[0] if contact_ids else None


def deal_create(*, actor=None, data: Mapping[str, Any], lead=None) -> Deal:
    """Create a deal, by default at the first stage of the default pipeline."""
    with transaction.atomic():
        cleaned, placement = _clean_deal(data, create=True)
        values = cleaned.values
        contacts = ordered_links(cleaned, "contact_ids") or []  # the primary first: _write_contacts sets contact_id
        if not placement.get("pipeline") and not placement.get("stage"):
            placement["pipeline"] = default_pipeline()
        _place(placement, current_pipeline=None)
        deal = Deal(**values, created_by=actor, lead=lead, pipeline=placement["pipeline"], stage=placement["stage"])
        if "assigned_id" not in values:
            deal.assigned = actor
        access.require_add(actor, RecordKind.DEAL, deal.assigned_id)
        deal.uf = {k: v for k, v in cleaned.uf.items() if v is not None} or None
        if deal.begindate is None:
            deal.begindate = timezone.localdate()
        deal.closed = _closed_state(deal.stage)["closed"]
        if deal.closed:
            deal.closed_at = timezone.now()
            deal.closedate = deal.closedate or timezone.localdate()
        deal.is_return_customer = bool(contacts or deal.company_id) and _is_known_customer(contacts, deal.company_id)
        deal.title = values.get("title") or ""
        deal.save()
        if not deal.title:
            deal.title = f"Deal #{deal.pk}"
            deal.save(update_fields=["title"])
        if contacts:
            _write_contacts(deal, contacts)
            deal.save(update_fields=["contact"])
        record_event("created", "deal", deal.pk, actor=actor)
        return deal


def _is_known_customer(contact_ids: Sequence[int], company_id: int | None) -> bool:
    """A customer with an earlier deal is a returning customer (Bitrix24 IS_RETURN_CUSTOMER)."""
    if contact_ids and DealContact.objects.filter(contact_id__in=contact_ids).exists():
        return True
    return bool(company_id and Deal.objects.filter(company_id=company_id).exists())


def deal_update(*, deal: Deal, actor=None, data: Mapping[str, Any]) -> Deal:
    """Change a deal's fields, including moving it to another pipeline or stage."""
    with transaction.atomic():
        deal = Deal.objects.select_for_update().select_related("stage", "pipeline").get(pk=deal.pk)
        access.require(actor, deal, Action.EDIT)
        cleaned, placement = _clean_deal(data, create=False)
        values = cleaned.values
        if "title" in values and not values["title"]:
            raise validation("title must not be empty", "title")
        contacts = ordered_links(cleaned, "contact_ids")
        values.pop("contact_id", None)
        _place(placement, current_pipeline=deal.pipeline)
        old_stage = deal.stage
        changes = record_apply(deal, cleaned)
        changes.update(apply_changes(deal, placement))
        access.require_owner(actor, deal)
        if contacts is not None:
            before = list(deal.deal_contacts.order_by("-is_primary", "sort", "id").values_list("contact_id", flat=True))
            if before != contacts:
                _write_contacts(deal, contacts)
                changes["contact_ids"] = [before, contacts]
        if "stage" in changes:
            _apply_stage_state(deal)
        if changes:
            deal.updated_at = timezone.now()
            deal.save()
            # Public names: the foreign keys by their id fields.
            public = {{"stage": "stage_id", "pipeline": "pipeline_id"}.get(k, k): v for k, v in changes.items()}
            record_event("updated", "deal", deal.pk, actor=actor, changes=public)
        if "stage" in changes:
            _stage_changed(deal, old_stage, actor)
        return deal


def _apply_stage_state(deal: Deal) -> None:
    closed = deal.stage.semantic != Semantic.PROCESS
    if closed and not deal.closed:
        deal.closed_at = timezone.now()
        deal.closedate = deal.closedate or timezone.localdate()
    elif not closed:
        deal.closed_at = None
    deal.closed = closed


def _stage_changed(deal: Deal, old_stage: Stage, actor) -> None:
    record_event("stage_changed", "deal", deal.pk, actor=actor,
                 changes={"stage_id": [old_stage.pk, deal.stage_id]},
                 data={"stage_from": old_stage.code, "stage_to": deal.stage.code})


def deal_move_stage(*, deal: Deal, stage: Stage, actor=None) -> Deal:
    """Move a deal to ``stage`` (of its pipeline, or of another one: the deal follows)."""
    with transaction.atomic():
        deal = Deal.objects.select_for_update().select_related("stage").get(pk=deal.pk)
        access.require(actor, deal, Action.EDIT)
        if deal.stage_id == stage.pk:
            return deal
        old_stage = deal.stage
        deal.stage = stage
        deal.pipeline_id = stage.pipeline_id
        _apply_stage_state(deal)
        deal.updated_at = timezone.now()
        deal.save()
        changes: dict[str, list] = {"stage_id": [old_stage.pk, stage.pk]}
        if old_stage.pipeline_id != stage.pipeline_id:
            changes["pipeline_id"] = [old_stage.pipeline_id, stage.pipeline_id]
        record_event("updated", "deal", deal.pk, actor=actor, changes=changes)
        _stage_changed(deal, old_stage, actor)
        return deal


def deal_contacts_set(*, deal: Deal, contact_ids: Sequence[int], actor=None) -> Deal:
    """Make ``contact_ids`` the deal's contacts, the first one primary."""
    with transaction.atomic():
        return deal_update(deal=deal, actor=actor, data={"contact_ids": list(contact_ids)})


def deal_delete(*, deal: Deal, actor=None) -> None:
    """Delete a deal; a lead converted into it keeps its history without the link (``Lead.deal`` is
    ``SET_NULL``). Deals have no phones or e-mails of their own."""
    with transaction.atomic():
        from kontor.crm.services.activities import activities_unbind_record

        access.require(actor, deal, Action.DELETE)
        record_event("deleted", "deal", deal.pk, actor=actor)  # first: subscribers still see the record
        activities_unbind_record(entity_type=EntityType.DEAL, entity_id=deal.pk)
        deal.delete()


def deal_lose(*, deal: Deal, stage: Stage, reason: str, close_activities: bool, actor=None) -> Deal:
    """Move a deal to a failure stage with the reason why: the reason is kept as a note on the deal
    (a timeline comment marked ``lost_reason``); with ``close_activities`` its open activities are
    completed."""
    with transaction.atomic():
        from kontor.crm.models import Activity
        from kontor.crm.services.activities import activity_complete
        from kontor.crm.services.notes import note_add

        if stage.semantic != Semantic.FAILURE:
            raise validation("stage_id must be a failure (lost) stage", "stage_id")
        deal = deal_move_stage(deal=deal, stage=stage, actor=actor)
        note_add(entity_type=EntityType.DEAL, entity_id=deal.pk, text=reason, actor=actor, field="reason",
                 extra={"lost_reason": True, "stage": stage.name})
        if close_activities:
            for activity in Activity.objects.filter(completed=False, bindings__entity_type=EntityType.DEAL,
                                                    bindings__entity_id=deal.pk).distinct():
                activity_complete(activity=activity, actor=actor)
        return deal
