"""``POST /api/v1/leads/{id}/convert``: manual conversion of a lead (classic mode).

The lead's custom values go to the deal's fields with the same code; with ``create_missing_fields``
(the default) the deal first gets the ones it lacks, and the answer lists them in ``fields_created``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from ninja import Field, Router, Schema
from pydantic import create_model

from kontor.api.auth import current_user
from kontor.api.schemas import Id, InputSchema, LeadOut, errors
from kontor.api.serializers import records_out
from kontor.crm import access
from kontor.crm.enums import EntityType
from kontor.crm.models import Lead
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
    create_missing_fields: bool = True


class FieldCreated(Schema):
    entity: str
    code: str
    key: str


if TYPE_CHECKING:
    class ConvertedOut(LeadOut): ...
else:
    ConvertedOut = create_model("ConvertedOut", __base__=LeadOut, fields_created=(
        list[FieldCreated], Field(description="custom fields the conversion added to the targets")))


def _created(fields: list[Any]) -> list[dict[str, str]]:
    return [{"entity": EntityType(f.entity_type).name.lower(), "code": f.code, "key": f.key} for f in fields]


@router.post("/{lead_id}/convert", response={200: ConvertedOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="Convert a lead into a deal and/or contact and/or company (409 when already converted)")
def convert_lead(request, lead_id: Id, payload: ConvertIn):
    data = payload.model_dump(exclude_unset=True)
    lead = lead_convert(
        lead=access.visible(Lead, lead_id, current_user(request)), actor=current_user(request),
        deal=data.get("deal") if "deal" in data else {"pipeline_id": None, "stage_id": None},
        contact=data.get("contact", "create"), company=data.get("company", "none"),
        keep_open_activities=payload.keep_open_activities, create_missing_fields=payload.create_missing_fields,
    )
    out = records_out(EntityType.LEAD, [Lead.objects.get(pk=lead.pk)])[0]
    return {**out, "fields_created": _created(getattr(lead, "fields_created", []))}
