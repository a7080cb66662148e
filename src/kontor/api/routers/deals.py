"""``/api/v1/deals``: list, create, read, change (including moving between stages) and delete deals."""

from __future__ import annotations

from functools import partial

from ninja import Query, Router, Status

from kontor.api.auth import current_user
from kontor.api.schemas import FILTER_HELP, DealFilters, DealIn, DealOut, Id, body, errors, list_filters, page_of
from kontor.api.serializers import page, records_out
from kontor.crm import access
from kontor.crm.enums import EntityType
from kontor.crm.models import Deal
from kontor.crm.selectors import deal_list
from kontor.crm.services import deal_create, deal_delete, deal_update
from kontor.crm.services.common import get_or_404

router = Router()
DealPage = page_of(DealOut, "DealPage")


def _read(pk: int) -> dict:
    return records_out(EntityType.DEAL, [get_or_404(Deal, pk)])[0]


@router.get("", response={200: DealPage, **errors(401, 422)}, summary="List deals",
            description=FILTER_HELP)
def list_deals(request, params: Query[DealFilters]):
    qs = access.scope(deal_list(filters=list_filters(request), order=params.order), current_user(request))
    return page(qs, limit=params.limit, offset=params.offset, count=params.count,
                render=partial(records_out, EntityType.DEAL))


@router.post("", response={201: DealOut, **errors(400, 401, 403, 422)},
             summary="Create a deal (default: first stage of the default pipeline)")
def create_deal(request, payload: DealIn):
    deal = deal_create(actor=current_user(request), data=body(payload))
    return Status(201, _read(deal.pk))


@router.get("/{deal_id}", response={200: DealOut, **errors(401, 404, 422)}, summary="Read a deal")
def get_deal(request, deal_id: Id):
    return _read(access.visible(Deal, deal_id, current_user(request)).pk)


@router.patch("/{deal_id}", response={200: DealOut, **errors(400, 401, 403, 404, 422)},
              summary="Change a deal; a new stage_id moves it")
def update_deal(request, deal_id: Id, payload: DealIn):
    user = current_user(request)
    deal = deal_update(deal=access.visible(Deal, deal_id, user), actor=user,
                       data=body(payload))
    return _read(deal.pk)


@router.delete("/{deal_id}", response={204: None, **errors(401, 403, 404, 422)}, summary="Delete a deal")
def delete_deal(request, deal_id: Id):
    deal_delete(deal=access.visible(Deal, deal_id, current_user(request)), actor=current_user(request))
    return Status(204, None)
