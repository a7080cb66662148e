"""``/api/v1/companies``: list, create, read, change and delete companies."""

from __future__ import annotations

from functools import partial

from ninja import Query, Router, Status

from kontor.api.auth import current_user
from kontor.api.schemas import (
    FILTER_HELP,
    CompanyFilters,
    CompanyIn,
    CompanyOut,
    Id,
    body,
    errors,
    list_filters,
    page_of,
)
from kontor.api.serializers import page, records_out
from kontor.crm import access
from kontor.crm.enums import EntityType
from kontor.crm.models import Company
from kontor.crm.selectors import company_list
from kontor.crm.services import company_create, company_delete, company_update
from kontor.crm.services.common import get_or_404

router = Router()
CompanyPage = page_of(CompanyOut, "CompanyPage")


def _read(pk: int) -> dict:
    return records_out(EntityType.COMPANY, [get_or_404(Company, pk)])[0]


@router.get("", response={200: CompanyPage, **errors(401, 422)}, summary="List companies",
            description=FILTER_HELP)
def list_companies(request, params: Query[CompanyFilters]):
    qs = access.scope(company_list(filters=list_filters(request), order=params.order), current_user(request))
    return page(qs, limit=params.limit, offset=params.offset, count=params.count,
                render=partial(records_out, EntityType.COMPANY))


@router.post("", response={201: CompanyOut, **errors(400, 401, 403, 422)}, summary="Create a company")
def create_company(request, payload: CompanyIn):
    company = company_create(actor=current_user(request), data=body(payload))
    return Status(201, _read(company.pk))


@router.get("/{company_id}", response={200: CompanyOut, **errors(401, 404, 422)}, summary="Read a company")
def get_company(request, company_id: Id):
    return _read(access.visible(Company, company_id, current_user(request)).pk)


@router.patch("/{company_id}", response={200: CompanyOut, **errors(400, 401, 403, 404, 422)},
              summary="Change a company")
def update_company(request, company_id: Id, payload: CompanyIn):
    user = current_user(request)
    company = company_update(company=access.visible(Company, company_id, user), actor=user,
                             data=body(payload))
    return _read(company.pk)


@router.delete("/{company_id}", response={204: None, **errors(401, 403, 404, 422)}, summary="Delete a company")
def delete_company(request, company_id: Id):
    company_delete(company=access.visible(Company, company_id, current_user(request)), actor=current_user(request))
    return Status(204, None)
