"""``/api/v1/leads``: list, create, read, change and delete leads.

In simple mode the lead service converts a new lead at once; the answer is read back from the
database after the service returns, so it shows the converted status and what the lead became.
"""

from __future__ import annotations

from functools import partial

from ninja import Query, Router, Status

from kontor.api.auth import current_user
from kontor.api.schemas import FILTER_HELP, Id, LeadFilters, LeadIn, LeadOut, body, errors, list_filters, page_of
from kontor.api.serializers import page, records_out
from kontor.crm import access
from kontor.crm.enums import EntityType
from kontor.crm.models import Lead
from kontor.crm.selectors import lead_list
from kontor.crm.services import lead_create, lead_delete, lead_update
from kontor.crm.services.common import get_or_404

router = Router()
LeadPage = page_of(LeadOut, "LeadPage")


def _read(pk: int) -> dict:
    return records_out(EntityType.LEAD, [get_or_404(Lead, pk)])[0]


@router.get("", response={200: LeadPage, **errors(401, 422)}, summary="List leads",
            description=FILTER_HELP)
def list_leads(request, params: Query[LeadFilters]):
    qs = access.scope(lead_list(filters=list_filters(request), order=params.order), current_user(request))
    return page(qs, limit=params.limit, offset=params.offset, count=params.count,
                render=partial(records_out, EntityType.LEAD))


@router.post("", response={201: LeadOut, **errors(400, 401, 403, 409, 422)}, summary="Create a lead")
def create_lead(request, payload: LeadIn):
    lead = lead_create(actor=current_user(request), data=body(payload))
    return Status(201, _read(lead.pk))


@router.get("/{lead_id}", response={200: LeadOut, **errors(401, 404, 422)}, summary="Read a lead")
def get_lead(request, lead_id: Id):
    return _read(access.visible(Lead, lead_id, current_user(request)).pk)


@router.patch("/{lead_id}", response={200: LeadOut, **errors(400, 401, 403, 404, 409, 422)},
              summary="Change a lead (a converted lead is read-only: 409)")
def update_lead(request, lead_id: Id, payload: LeadIn):
    user = current_user(request)
    lead = lead_update(lead=access.visible(Lead, lead_id, user), actor=user,
                       data=body(payload))
    return _read(lead.pk)


@router.delete("/{lead_id}", response={204: None, **errors(401, 403, 404, 422)}, summary="Delete a lead")
def delete_lead(request, lead_id: Id):
    lead_delete(lead=access.visible(Lead, lead_id, current_user(request)), actor=current_user(request))
    return Status(204, None)
