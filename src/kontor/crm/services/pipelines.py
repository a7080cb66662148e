"""Pipelines with their stages, and lead statuses: the CRM's configurable structure (admin only)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction

from kontor.core.errors import ErrorCode, KontorError, validation
from kontor.crm.enums import DEFAULT_STAGES, Semantic
from kontor.crm.models import AuditLog, Deal, Lead, LeadStatus, Pipeline, Stage
from kontor.crm.services.common import INT32, apply_changes, clean_text, unknown_fields

_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,50}$")


#: A colour is ``#rrggbb`` (it is written into the pages' CSS, so nothing else may pass).
COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def clean_color(value: Any) -> str:
    """``#rrggbb``, or "" for the default colour."""
    text = clean_text(value, "color", max_length=16)
    if text and not COLOR.fullmatch(text):
        raise validation(f"color must be #rrggbb (six hexadecimal digits), not {text!r}", "color")
    return text


def _lang_index() -> int:
    return 1 if settings.LANGUAGE_CODE.startswith("de") else 2


def clean_name_sort(data: Mapping[str, Any]) -> dict[str, Any]:
    """The values of a settings entry's update that may only rename or re-sort it (a pipeline, a
    source, a directory entry); any other key is a 422 naming it."""
    unknown_fields(data, ("name", "sort"))
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = clean_text(data["name"], "name", required=True)
    if "sort" in data:
        values["sort"] = _clean_int(data["sort"], "sort")
    return values


def _clean_int(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise validation(f"{field} must be an integer", field)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise validation(f"{field} must be an integer", field) from None
    if number not in INT32:
        raise validation(f"{field} is out of range", field)
    return number


def _clean_semantic(value: Any, field: str = "semantic") -> str:
    if value not in Semantic.values:
        raise validation(f"{field} must be one of {', '.join(Semantic.values)}", field)
    return value


def _clean_code(value: Any, field: str = "code") -> str:
    if not isinstance(value, str) or not _CODE.match(value.strip()):
        raise validation(f"{field} must be 1-50 letters, digits, '_' or '-'", field)
    return value.strip().upper()


def stages_create_default(*, pipeline: Pipeline) -> list[Stage]:
    """Give ``pipeline`` Bitrix24's default stages (NEW … WON, LOSE, APOLOGY)."""
    idx = _lang_index()
    return Stage.objects.bulk_create(
        [
            Stage(pipeline=pipeline, code=row[0], name=row[idx], sort=(i + 1) * 10, semantic=row[3], color=row[4])
            for i, row in enumerate(DEFAULT_STAGES)
        ]
    )


def pipeline_create(*, actor=None, name: str, sort: int = 500, default_stages: bool = True) -> Pipeline:
    """Create a pipeline, with Bitrix24's default stages unless ``default_stages`` is false."""
    with transaction.atomic():
        name = clean_text(name, "name", required=True)
        pipeline = Pipeline.objects.create(name=name, sort=_clean_int(sort, "sort"))
        if default_stages:
            stages_create_default(pipeline=pipeline)
        AuditLog.objects.create(action="pipeline_created", actor=actor, data={"pipeline_id": pipeline.pk, "name": name})
        return pipeline


def pipeline_update(*, pipeline: Pipeline, actor=None, data: Mapping[str, Any]) -> Pipeline:
    """Rename or re-sort a pipeline."""
    with transaction.atomic():
        values = clean_name_sort(data)
        changes = apply_changes(pipeline, values)
        if changes:
            pipeline.save()
            AuditLog.objects.create(action="pipeline_updated", actor=actor,
                                    data={"pipeline_id": pipeline.pk, "changes": changes})
        return pipeline


def pipeline_delete(*, pipeline: Pipeline, actor=None) -> None:
    """Delete an empty, non-default pipeline."""
    with transaction.atomic():
        if pipeline.is_default:
            raise KontorError(ErrorCode.CONFLICT, "the default pipeline cannot be deleted")
        if Deal.objects.filter(pipeline=pipeline).exists():
            raise KontorError(ErrorCode.IN_USE, f"pipeline {pipeline.pk} still has deals")
        # simple mode's pipeline, when it was this one, falls back to the default (on_delete=SET_NULL)
        AuditLog.objects.create(action="pipeline_deleted", actor=actor, data={"pipeline_id": pipeline.pk,
                                                                             "name": pipeline.name})
        pipeline.delete()


def _check_stage_order(pipeline: Pipeline) -> None:
    """A pipeline keeps at least one in-progress and one won stage."""
    semantics = set(pipeline.stages.values_list("semantic", flat=True))
    if Semantic.PROCESS not in semantics:
        raise KontorError(ErrorCode.CONFLICT, "a pipeline needs at least one in-progress stage")
    if Semantic.SUCCESS not in semantics:
        raise KontorError(ErrorCode.CONFLICT, "a pipeline needs a success (won) stage")


def stage_create(*, pipeline: Pipeline, actor=None, data: Mapping[str, Any]) -> Stage:
    """Add a stage to a pipeline."""
    with transaction.atomic():
        unknown_fields(data, ("code", "name", "sort", "semantic", "color"))
        name = clean_text(data.get("name"), "name", required=True)
        code = _clean_code(data.get("code") or re.sub(r"[^A-Za-z0-9_]", "_", name)[:50])  # name: required, never blank
        if Stage.objects.filter(pipeline=pipeline, code=code).exists():
            raise KontorError(ErrorCode.CONFLICT, f"stage code '{code}' exists in this pipeline", field="code")
        stage = Stage.objects.create(
            pipeline=pipeline, code=code, name=name, sort=_clean_int(data.get("sort", 10), "sort"),
            semantic=_clean_semantic(data.get("semantic", Semantic.PROCESS)),
            color=clean_color(data.get("color")),
        )
        AuditLog.objects.create(action="stage_created", actor=actor, data={"stage_id": stage.pk, "code": code})
        return stage


def stage_update(*, stage: Stage, actor=None, data: Mapping[str, Any]) -> Stage:
    """Rename, re-sort or re-colour a stage; its semantic changes only while no deal is in it."""
    with transaction.atomic():
        unknown_fields(data, ("name", "sort", "semantic", "color"))
        values: dict[str, Any] = {}
        if "name" in data:
            values["name"] = clean_text(data["name"], "name", required=True)
        if "sort" in data:
            values["sort"] = _clean_int(data["sort"], "sort")
        if "color" in data:
            values["color"] = clean_color(data["color"])
        if "semantic" in data:
            values["semantic"] = _clean_semantic(data["semantic"])
            if values["semantic"] != stage.semantic and Deal.objects.filter(stage=stage).exists():
                raise KontorError(ErrorCode.IN_USE, "the semantic of a stage with deals cannot change",
                                  field="semantic")
        changes = apply_changes(stage, values)
        if changes:
            stage.save()
            _check_stage_order(stage.pipeline)
            AuditLog.objects.create(action="stage_updated", actor=actor,
                                    data={"stage_id": stage.pk, "changes": changes})
        return stage


def stage_delete(*, stage: Stage, actor=None) -> None:
    """Delete a stage no deal is in."""
    with transaction.atomic():
        if Deal.objects.filter(stage=stage).exists():
            raise KontorError(ErrorCode.IN_USE, f"stage {stage.pk} still has deals")
        pipeline, stage_id = stage.pipeline, stage.pk  # delete() sets stage.pk to None
        stage.delete()
        _check_stage_order(pipeline)
        AuditLog.objects.create(action="stage_deleted", actor=actor, data={"stage_id": stage_id, "code": stage.code})


def lead_status_create(*, actor=None, data: Mapping[str, Any]) -> LeadStatus:
    """Add a lead status. Only in-progress and junk statuses can be added: one status means converted."""
    with transaction.atomic():
        unknown_fields(data, ("code", "name", "sort", "semantic", "color"))
        code = _clean_code(data.get("code"))
        if LeadStatus.objects.filter(code=code).exists():
            raise KontorError(ErrorCode.CONFLICT, f"lead status '{code}' exists", field="code")
        semantic = _clean_semantic(data.get("semantic", Semantic.PROCESS))
        if semantic == Semantic.SUCCESS:
            raise validation("there is exactly one converted status (CONVERTED)", "semantic")
        status = LeadStatus.objects.create(
            code=code, name=clean_text(data.get("name"), "name", required=True), semantic=semantic,
            sort=_clean_int(data.get("sort", 40), "sort"), color=clean_color(data.get("color")),
        )
        AuditLog.objects.create(action="lead_status_created", actor=actor, data={"code": code})
        return status


def lead_status_update(*, status: LeadStatus, actor=None, data: Mapping[str, Any]) -> LeadStatus:
    """Rename, re-sort or re-colour a lead status. Semantics are fixed once created."""
    with transaction.atomic():
        unknown_fields(data, ("name", "sort", "color", "semantic"))
        if "semantic" in data and data["semantic"] != status.semantic:
            raise validation("the semantic of a lead status cannot change", "semantic")
        values: dict[str, Any] = {}
        if "name" in data:
            values["name"] = clean_text(data["name"], "name", required=True)
        if "sort" in data:
            values["sort"] = _clean_int(data["sort"], "sort")
        if "color" in data:
            values["color"] = clean_color(data["color"])
        changes = apply_changes(status, values)
        if changes:
            status.save()
            AuditLog.objects.create(action="lead_status_updated", actor=actor,
                                    data={"code": status.code, "changes": changes})
        return status


def lead_status_delete(*, status: LeadStatus, actor=None) -> None:
    """Delete a custom lead status that no lead has."""
    with transaction.atomic():
        if status.system:
            raise KontorError(ErrorCode.CONFLICT, f"built-in status {status.code} cannot be deleted")
        if Lead.objects.filter(status=status).exists():
            raise KontorError(ErrorCode.IN_USE, f"lead status {status.code} is still in use")
        AuditLog.objects.create(action="lead_status_deleted", actor=actor, data={"code": status.code})
        status.delete()
