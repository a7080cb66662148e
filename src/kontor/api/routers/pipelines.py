"""``/api/v1/pipelines`` and their ``/stages``: readable by every user, changed by admins only."""

from __future__ import annotations

from ninja import Router, Status

from kontor.api.auth import current_user, require_admin
from kontor.api.schemas import (
    Id,
    PipelineCreateIn,
    PipelineIn,
    PipelineOut,
    StageIn,
    StageOut,
    StageUpdateIn,
    body,
    errors,
    no_query,
)
from kontor.api.serializers import pipeline_out, stage_out
from kontor.core.errors import not_found
from kontor.crm.models import Pipeline, Stage
from kontor.crm.selectors import pipeline_list, stage_list
from kontor.crm.services import (
    pipeline_create,
    pipeline_delete,
    pipeline_update,
    stage_create,
    stage_delete,
    stage_update,
)
from kontor.crm.services.common import get_or_404

router = Router()


def _stage(pipeline_id: int, stage_id: int) -> Stage:
    stage = Stage.objects.filter(pk=stage_id, pipeline_id=pipeline_id).select_related("pipeline").first()
    if stage is None:
        raise not_found("Stage", stage_id)
    return stage


@router.get("", response={200: list[PipelineOut], **errors(401, 422)}, summary="List pipelines with their stages")
def list_pipelines(request):
    no_query(request)
    return [pipeline_out(p, list(p.stages.all())) for p in pipeline_list()]


@router.post("", response={201: PipelineOut, **errors(400, 401, 403, 422)},
             summary="Create a pipeline (admin), by default with Bitrix24's default stages")
def create_pipeline(request, payload: PipelineCreateIn):
    require_admin(request)
    pipeline = pipeline_create(actor=current_user(request), name=payload.name or "",
                               sort=payload.sort if payload.sort is not None else 500,
                               default_stages=payload.default_stages)
    return Status(201, pipeline_out(pipeline))


@router.get("/{pipeline_id}", response={200: PipelineOut, **errors(401, 404, 422)}, summary="Read a pipeline")
def get_pipeline(request, pipeline_id: Id):
    return pipeline_out(get_or_404(Pipeline, pipeline_id))


@router.patch("/{pipeline_id}", response={200: PipelineOut, **errors(400, 401, 403, 404, 422)},
              summary="Rename or re-sort a pipeline (admin)")
def update_pipeline(request, pipeline_id: Id, payload: PipelineIn):
    require_admin(request)
    pipeline = pipeline_update(pipeline=get_or_404(Pipeline, pipeline_id), actor=current_user(request),
                               data=body(payload))
    return pipeline_out(pipeline)


@router.delete("/{pipeline_id}", response={204: None, **errors(401, 403, 404, 409, 422)},
               summary="Delete an empty, non-default pipeline (admin)")
def delete_pipeline(request, pipeline_id: Id):
    require_admin(request)
    pipeline_delete(pipeline=get_or_404(Pipeline, pipeline_id), actor=current_user(request))
    return Status(204, None)


@router.get("/{pipeline_id}/stages", response={200: list[StageOut], **errors(401, 404, 422)},
            summary="A pipeline's stages in order")
def list_stages(request, pipeline_id: Id):
    no_query(request)
    return [stage_out(s) for s in stage_list(pipeline=get_or_404(Pipeline, pipeline_id))]


@router.post("/{pipeline_id}/stages", response={201: StageOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="Add a stage (admin)")
def create_stage(request, pipeline_id: Id, payload: StageIn):
    require_admin(request)
    stage = stage_create(pipeline=get_or_404(Pipeline, pipeline_id), actor=current_user(request),
                         data=body(payload))
    return Status(201, stage_out(stage))


@router.get("/{pipeline_id}/stages/{stage_id}", response={200: StageOut, **errors(401, 404, 422)},
            summary="Read a stage")
def get_stage(request, pipeline_id: Id, stage_id: Id):
    return stage_out(_stage(pipeline_id, stage_id))


@router.patch("/{pipeline_id}/stages/{stage_id}", response={200: StageOut, **errors(400, 401, 403, 404, 409, 422)},
              summary="Rename, re-sort or re-colour a stage (admin)")
def update_stage(request, pipeline_id: Id, stage_id: Id, payload: StageUpdateIn):
    require_admin(request)
    stage = stage_update(stage=_stage(pipeline_id, stage_id), actor=current_user(request), data=body(payload))
    return stage_out(stage)


@router.delete("/{pipeline_id}/stages/{stage_id}", response={204: None, **errors(401, 403, 404, 409, 422)},
               summary="Delete a stage no deal is in (admin)")
def delete_stage(request, pipeline_id: Id, stage_id: Id):
    require_admin(request)
    stage_delete(stage=_stage(pipeline_id, stage_id), actor=current_user(request))
    return Status(204, None)
