"""``POST /api/v1/leads/{id}/convert``: manual conversion of a lead (classic mode)."""

from __future__ import annotations

from typing import Literal

from ninja import Router

from kontor.api.auth import current_user
from kontor.api.schemas import Id, InputSchema, LeadOut, errors
from kontor.api.serializers import records_out
from kontor.crm.enums import EntityType
from kontor.crm.models import Lead
from kontor.crm.services.common import get_or_404
from kontor.modes.services import lead_convert

router = Router()


class DealTarget(InputSchema):
    pipeline_id: Id | None = None
    stage_id: Id | None = None


class Existing(InputSchema):
    id: Id


class ConvertIn(InputSchema):
    deal: DealTarget | None = None
    contact: Literal["create", "none"] | Existing = "create"
    company: Literal["create", "none"] | Existing = "none"
    keep_open_activities: bool = True


@router.post("/{lead_id}/convert", response={200: LeadOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="Convert a lead into a deal and/or contact and/or company (409 when already converted)")
def convert_lead(request, lead_id: Id, payload: ConvertIn):
    data = payload.model_dump(exclude_unset=True)
    lead = lead_convert(
        lead=get_or_404(Lead, lead_id), actor=current_user(request),
        deal=data.get("deal") if "deal" in data else {"pipeline_id": None, "stage_id": None},
        contact=data.get("contact", "create"), company=data.get("company", "none"),
        keep_open_activities=payload.keep_open_activities,
    )
    return records_out(EntityType.LEAD, [Lead.objects.get(pk=lead.pk)])[0]
