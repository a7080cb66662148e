"""``/api/v1/lead-statuses``: readable by every user, changed by admins only. The key is the code."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Router, Status

from kontor.api.auth import current_user, require_admin
from kontor.api.schemas import LeadStatusIn, LeadStatusOut, LeadStatusUpdateIn, Text, body, errors, no_query
from kontor.api.serializers import lead_status_out
from kontor.core.errors import not_found
from kontor.crm.models import LeadStatus
from kontor.crm.selectors import lead_status_list
from kontor.crm.services import lead_status_create, lead_status_delete, lead_status_update

router = Router()
Code = Annotated[Text, Field(min_length=1, max_length=50)]


def _status(code: str) -> LeadStatus:
    status = LeadStatus.objects.filter(code=code.strip().upper()).first()
    if status is None:
        raise not_found("Lead status", code)
    return status


@router.get("", response={200: list[LeadStatusOut], **errors(401, 422)}, summary="List lead statuses in order")
def list_lead_statuses(request):
    no_query(request)
    return [lead_status_out(s) for s in lead_status_list()]


@router.post("", response={201: LeadStatusOut, **errors(400, 401, 403, 409, 422)},
             summary="Add an in-progress or junk lead status (admin)")
def create_lead_status(request, payload: LeadStatusIn):
    require_admin(request)
    status = lead_status_create(actor=current_user(request), data=body(payload))
    return Status(201, lead_status_out(status))


@router.get("/{code}", response={200: LeadStatusOut, **errors(401, 404, 422)}, summary="Read a lead status")
def get_lead_status(request, code: Code):
    return lead_status_out(_status(code))


@router.patch("/{code}", response={200: LeadStatusOut, **errors(400, 401, 403, 404, 422)},
              summary="Rename, re-sort or re-colour a lead status (admin)")
def update_lead_status(request, code: Code, payload: LeadStatusUpdateIn):
    require_admin(request)
    status = lead_status_update(status=_status(code), actor=current_user(request), data=body(payload))
    return lead_status_out(status)


@router.delete("/{code}", response={204: None, **errors(401, 403, 404, 409, 422)},
               summary="Delete a custom lead status no lead has (admin)")
def delete_lead_status(request, code: Code):
    require_admin(request)
    lead_status_delete(status=_status(code), actor=current_user(request))
    return Status(204, None)
